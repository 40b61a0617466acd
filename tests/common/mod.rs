//! Test support: run the real tshark with the built plugin in a hermetic environment, and write
//! small hand-made captures. Each test file starts with `#[macro_use] mod common;` and gets the
//! runner macros below.
#![allow(dead_code)]
pub mod builtin;
pub mod pcap;
pub mod sharkd;
/// The frame builder of the core's unit tests, the same source (one encoder for all Rust tests).
#[path = "../../src/core/testutil.rs"]
pub mod testutil;
pub mod violations;
#[allow(unused_imports)]
pub use testutil::{Frame, LengthForm};

/// The shared [`Tshark`], or return from the test when tshark is absent and not required.
#[allow(unused_macros)]
macro_rules! ts {
    () => {
        match $crate::common::tshark() {
            Some(t) => t,
            None => return,
        }
    };
}

/// The shared [`Tshark`] when sharkd can run too (see [`sharkd::available`]), else return.
#[allow(unused_macros)]
macro_rules! sharkd {
    () => {
        match $crate::common::tshark() {
            Some(t) if $crate::common::sharkd::available() => t,
            _ => return,
        }
    };
}

/// The shared [`Tshark`] and the plugin-less [`builtin::Builtin`], or return.
#[allow(unused_macros)]
macro_rules! ts_and_builtin {
    () => {
        match ($crate::common::tshark(), $crate::common::builtin::builtin()) {
            (Some(t), Some(b)) => (t, b),
            _ => return,
        }
    };
}

/// Whether `program` runs (`program --version`). Missing, it fails the test run when tshark is
/// required (`WSK_REQUIRE_TSHARK` or `CI` set); otherwise it prints a SKIPPED line.
fn have_tool(program: &str, install_hint: &str) -> bool {
    let have = Command::new(program)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !have {
        if std::env::var_os("WSK_REQUIRE_TSHARK").is_some() || std::env::var_os("CI").is_some() {
            panic!("{program} is required but not installed ({install_hint})");
        }
        eprintln!("SKIPPED: {program} not installed ({install_hint})");
    }
    have
}

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub struct Tshark {
    pub home: PathBuf,
    pub dir: PathBuf,
    as_nobody: bool,
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n")
        .unwrap_or(false)
}

/// major.minor of the Wireshark whose tshark runs the tests: `WSK_WS_VERSION` (scripts/dev/compat.sh
/// sets it), else `pkg-config --modversion wireshark`, else `tshark --version`.
pub fn ws_version() -> String {
    let full = std::env::var("WSK_WS_VERSION")
        .ok()
        .filter(|v| !v.is_empty())
        .or_else(|| {
            let out = Command::new("pkg-config")
                .args(["--modversion", "wireshark"])
                .output()
                .ok()?;
            let v = String::from_utf8_lossy(&out.stdout).trim().to_string();
            (out.status.success() && !v.is_empty()).then_some(v)
        })
        .or_else(|| {
            // "TShark (Wireshark) 4.4.18 (Git v4.4.18 packaged as 4.4.18-0+deb13u1)."
            let out = Command::new("tshark").arg("--version").output().ok()?;
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let first = text.lines().next()?.to_string();
            first
                .split_whitespace()
                .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))
                .map(str::to_string)
        })
        .expect("cannot tell the Wireshark version (set WSK_WS_VERSION)");
    full.split('.').take(2).collect::<Vec<_>>().join(".")
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The plugin under test: `WSK_PLUGIN`, else the release (or debug) build in the target dir.
pub fn plugin_path() -> PathBuf {
    if let Ok(p) = std::env::var("WSK_PLUGIN") {
        return PathBuf::from(p);
    }
    let t = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root().join("target"));
    for prof in ["release", "debug"] {
        let p = t.join(prof).join("libws_keepalive.so");
        if p.exists() {
            return p;
        }
    }
    panic!("no built plugin: run scripts/test.sh (or set WSK_PLUGIN)");
}

/// The shared tshark environment, or None when tshark is absent and not required.
pub fn tshark() -> Option<&'static Tshark> {
    static T: OnceLock<Option<Tshark>> = OnceLock::new();
    T.get_or_init(|| {
        if !have_tool("tshark", "scripts/test.sh installs it") {
            return None;
        }
        let base = std::env::temp_dir().join(format!("wsk-test-{}", std::process::id()));
        let home = base.join("home");
        let dir = base.join("captures");
        let epan = home.join(format!(
            ".local/lib/wireshark/plugins/{}/epan",
            ws_version()
        ));
        std::fs::create_dir_all(&epan).unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(plugin_path(), epan.join("ws_keepalive.so")).unwrap();
        let profiles = home.join(".config/wireshark/profiles/ws-keepalive");
        std::fs::create_dir_all(&profiles).unwrap();
        std::fs::copy(
            root().join("plugin/profiles/ws-keepalive/preferences"),
            profiles.join("preferences"),
        )
        .unwrap();
        let as_nobody = is_root();
        chmod_tree(&base);
        if as_nobody {
            give_to_nobody(&home);
        }
        Some(Tshark {
            home,
            dir,
            as_nobody,
        })
    })
    .as_ref()
}

fn chmod_tree(p: &Path) {
    let st = Command::new("chmod")
        .args(["-R", "a+rwX"])
        .arg(p)
        .status()
        .unwrap();
    assert!(st.success());
}

/// Make `dir` (recursively) owned by "nobody", the user the tests run tshark and sharkd as.
pub fn give_to_nobody(dir: &Path) {
    let st = Command::new("chown")
        .args(["-R", "nobody:nogroup"])
        .arg(dir)
        .status()
        .unwrap();
    assert!(st.success());
}

/// The arguments of `tshark -r CAP [extra] -Y FILTER -T fields -e ...` (occurrences joined by
/// `|`).
pub fn fields_args<'a>(
    cap: &'a str,
    filter: &'a str,
    fields: &[&'a str],
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut args: Vec<&str> = vec!["-r", cap];
    args.extend_from_slice(extra);
    if !filter.is_empty() {
        args.extend_from_slice(&["-Y", filter]);
    }
    args.extend_from_slice(&["-T", "fields", "-E", "occurrence=a", "-E", "aggregator=|"]);
    for f in fields {
        args.extend_from_slice(&["-e", f]);
    }
    args
}

/// `program` in the tests' hermetic environment: as "nobody" when `as_nobody` (root ignores
/// personal plugins), with only PATH, `home` as HOME, TZ=UTC and LANG=C.UTF-8.
pub fn hermetic(program: &str, home: &Path, as_nobody: bool) -> Command {
    let mut cmd = if as_nobody {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            program,
        ]);
        c
    } else {
        Command::new(program)
    };
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("TZ", "UTC")
        .env("LANG", "C.UTF-8");
    cmd
}

impl Tshark {
    /// Run tshark (as "nobody" when we are root: root ignores personal plugins); returns stdout.
    pub fn run(&self, args: &[&str]) -> String {
        self.run_both(args).0
    }

    /// As [`Tshark::run`], returning stdout and stderr.
    pub fn run_both(&self, args: &[&str]) -> (String, String) {
        let mut cmd = hermetic("tshark", &self.home, self.as_nobody);
        cmd.args(args);
        let out = cmd.output().expect("run tshark");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "tshark {args:?} failed: {stderr}");
        assert!(
            !stderr.contains("ws-keepalive: panic"),
            "plugin panicked: {stderr}"
        );
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr.into_owned(),
        )
    }

    /// A committed capture from tests/captures, copied where tshark's user can read it.
    pub fn capture(&self, name: &str) -> String {
        let src = root().join("tests/captures").join(name);
        let dst = self.dir.join(name);
        if !dst.exists() {
            // Copied under a name of this thread's, then renamed into place: a test running at
            // the same time never sees (and never reads) a half-written copy.
            let tmp = self.part_name(name);
            std::fs::copy(&src, &tmp).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
            chmod_tree(&tmp);
            std::fs::rename(&tmp, &dst).unwrap_or_else(|e| panic!("{}: {e}", dst.display()));
        }
        dst.to_string_lossy().into_owned()
    }

    /// Write a hand-made capture where tshark's user can read it.
    pub fn write_capture(&self, name: &str, bytes: &[u8]) -> String {
        let dst = self.dir.join(name);
        // Written whole under a name of this thread's, then renamed into place (see `capture`).
        let tmp = self.part_name(name);
        std::fs::write(&tmp, bytes).unwrap();
        chmod_tree(&tmp);
        std::fs::rename(&tmp, &dst).unwrap_or_else(|e| panic!("{}: {e}", dst.display()));
        dst.to_string_lossy().into_owned()
    }

    /// A name next to `name` that only this thread of this process writes.
    fn part_name(&self, name: &str) -> PathBuf {
        self.dir.join(format!(
            "{name}.{}-{:?}.part",
            std::process::id(),
            std::thread::current().id()
        ))
    }

    /// `tshark -r CAP [extra] -Y FILTER -T fields -e ...`, one Vec per output line.
    pub fn fields(
        &self,
        cap: &str,
        filter: &str,
        fields: &[&str],
        extra: &[&str],
    ) -> Vec<Vec<String>> {
        let args = fields_args(cap, filter, fields, extra);
        self.run(&args).lines().map(field_row).collect()
    }

    /// The Info column as Wireshark shows it, one row (of one cell) per displayed packet. Not
    /// `-e _ws.col.Info`: from 4.2 that field is filled before the postdissectors (the keepalive
    /// annotations) run.
    pub fn info(&self, cap: &str, filter: &str, extra: &[&str]) -> Vec<Vec<String>> {
        let mut args: Vec<&str> = vec!["-r", cap];
        args.extend_from_slice(extra);
        if !filter.is_empty() {
            args.extend_from_slice(&["-Y", filter]);
        }
        args.extend_from_slice(&["-o", "gui.column.format:\"Info\",\"%i\""]);
        self.run(&args)
            .lines()
            .map(|l| vec![l.to_string()])
            .collect()
    }
}

/// One `-T fields` line as cells. FT_BOOLEAN values print as 1/0 in 4.0 and as True/False from
/// 4.2: they are given as 1/0.
pub fn field_row(line: &str) -> Vec<String> {
    let boolean = |v: &str| match v {
        "True" => "1".to_string(),
        "False" => "0".to_string(),
        _ => v.to_string(),
    };
    line.split('\t')
        .map(|cell| cell.split('|').map(boolean).collect::<Vec<_>>().join("|"))
        .collect()
}

/// Split "a|b|c" aggregated occurrences.
pub fn occ(s: &str) -> Vec<String> {
    if s.is_empty() {
        Vec::new()
    } else {
        s.split('|').map(str::to_string).collect()
    }
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Run `scripts/ws-messages ARGS...` with the plugin under test; its stdout.
pub fn ws_messages<I, S>(args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = Command::new(root().join("scripts/ws-messages"))
        .args(args)
        .env("WSK_PLUGIN", plugin_path())
        .output()
        .expect("run scripts/ws-messages");
    assert!(
        out.status.success(),
        "scripts/ws-messages failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Standard base64 (RFC 4648 §4) decoded, for the payloads sharkd and HAR files carry.
pub fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("bad base64 {c}"),
    } as u32;
    let mut out = Vec::new();
    for chunk in s.as_bytes().chunks(4) {
        let n = chunk.iter().filter(|&&c| c != b'=').count();
        let mut v = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            v |= if c == b'=' { 0 } else { val(c) } << (18 - 6 * i);
        }
        out.extend_from_slice(&v.to_be_bytes()[1..n]);
    }
    out
}
