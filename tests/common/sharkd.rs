//! sharkd, Wireshark's JSON-RPC daemon (`sharkd -`, Debian package wireshark-common), run in the
//! same hermetic environment as tshark: as "nobody" when we are root, with the temporary HOME that
//! holds the plugin. `load` runs the in-order first pass; every `frame` request is then a revisit
//! in whatever order it is asked for, as in the GUI.

use super::Tshark;
use serde_json::Value;
use std::io::Write;
use std::process::Stdio;
use std::sync::OnceLock;

/// Whether sharkd can be run. Missing sharkd fails when tshark is required (`WSK_REQUIRE_TSHARK`
/// or `CI` set, as in `tshark()`); otherwise the caller skips.
pub fn available() -> bool {
    static HAVE: OnceLock<bool> = OnceLock::new();
    *HAVE.get_or_init(|| super::have_tool("sharkd", "Debian package wireshark-common"))
}

impl Tshark {
    /// Send `requests` (JSON-RPC 2.0 objects with integer ids >= 1) to a fresh `sharkd -`, one per
    /// line, and return each request's `result`, in request order. Panics on a JSON-RPC error, a
    /// missing answer, a failed exit or a plugin panic on stderr.
    pub fn sharkd(&self, requests: &[Value]) -> Vec<Value> {
        let mut cmd = super::hermetic("sharkd", &self.home, self.as_nobody);
        cmd.arg("-")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("run sharkd");
        let mut stdin = child.stdin.take().expect("sharkd stdin");
        let input: String = requests.iter().map(|r| format!("{r}\n")).collect();
        // Written from another thread: sharkd answers while it reads, and its output is large.
        let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
        let out = child.wait_with_output().expect("wait for sharkd");
        writer
            .join()
            .expect("sharkd writer thread")
            .expect("write to sharkd");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "sharkd failed: {stderr}");
        assert!(
            !stderr.contains("ws-keepalive: panic"),
            "plugin panicked: {stderr}"
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let answers: Vec<Value> = stdout
            .split('\n')
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str(l).unwrap_or_else(|e| {
                    panic!(
                        "sharkd answer is not JSON ({e}): {}",
                        &l[..l.len().min(300)]
                    )
                })
            })
            .collect();
        assert_eq!(
            answers.len(),
            requests.len(),
            "sharkd answered {} of {} requests; stderr: {stderr}",
            answers.len(),
            requests.len()
        );
        requests
            .iter()
            .zip(answers)
            .map(|(req, mut ans)| {
                assert_eq!(ans["id"], req["id"], "sharkd answered out of order");
                assert!(
                    ans.get("error").is_none(),
                    "sharkd error for {req}: {}",
                    ans["error"]
                );
                ans.get_mut("result")
                    .map(Value::take)
                    .unwrap_or_else(|| panic!("sharkd: no result for {req}"))
            })
            .collect()
    }
}
