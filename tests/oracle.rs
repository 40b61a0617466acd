//! Frame-count oracle: on every capture in tests/captures where TCP reports no lost segment, the
//! plugin must find as many WebSocket frames in each direction of each upgraded connection as
//! Wireshark's own WebSocket dissector (tshark from a HOME without the plugin), and must raise no
//! `ws.expert.capture_gap`: a gap where nothing is missing makes it skip frames the built-in
//! dissector decodes.
//!
//! The built-in dissector only decodes connections HTTP saw upgraded (it has no mid-stream
//! detection), so captures where it finds no upgraded connection cannot be checked this way: they
//! must be listed in [`NOT_DECODED_BY_THE_BUILTIN`] with the reason, and a listed capture that the
//! built-in dissector does decode fails the test (the list stays true). Captures where TCP reports
//! a lost segment are skipped with that reason printed. Gzipped captures (`*.pcapng.gz`) are
//! inflated into the test's temporary directory; `<stem>.keys` next to a capture is given to tshark
//! as `tls.keylog_file`.
//!
//! The bulk captures (tests/captures/BULK.md) have their own tests, which also check the built-in
//! dissector's counts against what the peers logged as sent (`bulk_*.truth.json`), and that the
//! plugin's gap tracker follows the connection at all (it raises `ws.expert.capture_gap` once a
//! packet is cut out).
#[macro_use]
mod common;

use common::builtin::Builtin;
use common::{occ, root, Tshark};
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

/// Captures the built-in dissector decodes nothing of; `*` at the end matches a prefix.
const NOT_DECODED_BY_THE_BUILTIN: &[(&str, &str)] = &[
    (
        "m_midstream_py",
        "capture begins after the handshake: the built-in dissector never sees the Upgrade",
    ),
    (
        "m_midstream_8080",
        "capture begins after the handshake (inside a 100 kB frame): the built-in dissector never \
         sees the Upgrade",
    ),
    (
        "m_cut_*",
        "cut from a real capture after its handshake, or after its Upgrade request (CUTS.md): the \
         built-in dissector needs the request and the 101",
    ),
    (
        "neg_*",
        "negative capture, no WebSocket connection (the plugin's silence on these is checked by \
         golden.rs negatives_are_never_claimed)",
    ),
];

/// Captures the built-in dissector decodes in some Wireshark versions only: compared where it
/// decodes them, skipped (with the reason) where it decodes nothing.
const DECODED_BY_SOME_VERSIONS: &[(&str, &str)] = &[
    (
        "m_cut_101_port80",
        "a 101 without its request, on port 80: HTTP 4.6 hands the connection over to the \
         built-in dissector, HTTP 4.0 does not",
    ),
    (
        "m_cut_after_request",
        "a 101 without its request: HTTP 4.6 hands the connection over to the built-in \
         dissector, HTTP 4.0 does not",
    ),
];

/// (tcp.stream, "client" | "server")
type Key = (u32, &'static str);

#[derive(Debug, Default)]
struct Builtins {
    /// Frames per direction, with a 0 entry for both directions of every upgraded connection.
    frames: BTreeMap<Key, usize>,
    lost_segments: Vec<u32>,
    /// Packets holding WebSocket frames.
    packets: Vec<u32>,
}

#[derive(Debug, Default)]
struct Plugin {
    frames: BTreeMap<Key, usize>,
    gap_frames: Vec<u32>,
}

/// What the oracle made of one capture.
struct Report {
    want: Builtins,
    /// Why the oracle does not apply.
    skipped: Option<String>,
    /// Every difference (empty: the plugin agrees with the built-in dissector).
    errors: Vec<String>,
}

/// `name` copied (or inflated, for `.gz`) where tshark's user can read it; the extra tshark options
/// (the TLS key log when there is one).
fn prepare(t: &Tshark, name: &str) -> (String, Vec<String>) {
    let cap = match name.strip_suffix(".gz") {
        Some(plain) if t.dir.join(plain).exists() => {
            t.dir.join(plain).to_string_lossy().into_owned()
        }
        Some(plain) => {
            let gz = std::fs::read(root().join("tests/captures").join(name))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            t.write_capture(plain, &gunzip(&gz, name))
        }
        None => t.capture(name),
    };
    let stem = stem(name);
    let mut extra = Vec::new();
    if root()
        .join("tests/captures")
        .join(format!("{stem}.keys"))
        .exists()
    {
        extra.push("-o".to_string());
        extra.push(format!(
            "tls.keylog_file:{}",
            t.capture(&format!("{stem}.keys"))
        ));
    }
    (cap, extra)
}

/// The name without `.pcapng` / `.pcap` / `.gz`.
fn stem(name: &str) -> &str {
    let n = name.strip_suffix(".gz").unwrap_or(name);
    n.strip_suffix(".pcapng")
        .or_else(|| n.strip_suffix(".pcap"))
        .unwrap_or(n)
}

/// A gzip member (RFC 1952) inflated.
fn gunzip(gz: &[u8], name: &str) -> Vec<u8> {
    assert!(
        gz.len() > 18 && gz[0] == 0x1f && gz[1] == 0x8b && gz[2] == 8,
        "{name}: not gzip"
    );
    let flags = gz[3];
    let mut at = 10;
    if flags & 4 != 0 {
        at += 2 + usize::from(u16::from_le_bytes([gz[at], gz[at + 1]]));
    }
    for bit in [8u8, 16] {
        if flags & bit != 0 {
            at += gz[at..].iter().position(|&b| b == 0).expect("gzip name") + 1;
        }
    }
    if flags & 2 != 0 {
        at += 2;
    }
    miniz_oxide::inflate::decompress_to_vec(&gz[at..gz.len() - 8])
        .unwrap_or_else(|e| panic!("{name}: inflate: {e:?}"))
}

fn built_in_counts(b: &Builtin, cap: &str, extra: &[&str]) -> Builtins {
    let rows = b.fields(
        cap,
        "tcp.analysis.lost_segment || websocket || http.response.code == 101",
        &[
            "frame.number",
            "tcp.stream",
            "ip.src",
            "ipv6.src",
            "tcp.srcport",
            "http.response.code",
            "websocket.opcode",
            "tcp.analysis.lost_segment",
        ],
        extra,
    );
    // The server of each upgraded connection: who sent the 101.
    let mut servers: BTreeMap<u32, String> = BTreeMap::new();
    let endpoint = |r: &Vec<String>| format!("{}{}:{}", r[2], r[3], r[4]);
    let mut out = Builtins::default();
    for r in &rows {
        let frame: u32 = r[0].parse().unwrap();
        if !r[7].is_empty() {
            out.lost_segments.push(frame);
        }
        if occ(&r[5]).iter().any(|c| c == "101") {
            let stream: u32 = r[1].parse().unwrap();
            servers.entry(stream).or_insert_with(|| endpoint(r));
            out.frames.entry((stream, "client")).or_default();
            out.frames.entry((stream, "server")).or_default();
        }
        let n = occ(&r[6]).len();
        if n == 0 {
            continue;
        }
        out.packets.push(frame);
        let stream: u32 = r[1].parse().unwrap();
        let server = servers
            .get(&stream)
            .unwrap_or_else(|| panic!("{cap}: frame {frame}: WebSocket frames before any 101"));
        let dir = if *server == endpoint(r) {
            "server"
        } else {
            "client"
        };
        *out.frames.entry((stream, dir)).or_default() += n;
    }
    out
}

fn plugin_counts(t: &Tshark, cap: &str, extra: &[&str]) -> Plugin {
    let rows = t.fields(
        cap,
        "ws.opcode || ws.expert.capture_gap",
        &[
            "frame.number",
            "tcp.stream",
            "ws.dir",
            "ws.opcode",
            "ws.expert.capture_gap",
        ],
        extra,
    );
    let mut out = Plugin::default();
    for r in &rows {
        let frame: u32 = r[0].parse().unwrap();
        if !r[4].is_empty() {
            out.gap_frames.push(frame);
        }
        let n = occ(&r[3]).len();
        if n == 0 {
            continue;
        }
        let stream: u32 = r[1].parse().unwrap();
        let dirs = occ(&r[2]);
        let dir = match dirs.first().map(String::as_str) {
            Some("client") => "client",
            Some("server") => "server",
            d => panic!("{cap}: frame {frame}: ws.dir {d:?}"),
        };
        assert!(dirs.iter().all(|d| d == dir), "{cap}: frame {frame}: {r:?}");
        *out.frames.entry((stream, dir)).or_default() += n;
    }
    out
}

fn listed(name: &str) -> Option<&'static str> {
    let stem = stem(name);
    NOT_DECODED_BY_THE_BUILTIN
        .iter()
        .find(|(pat, _)| match pat.strip_suffix('*') {
            Some(prefix) => stem.starts_with(prefix),
            None => stem == *pat,
        })
        .map(|(_, why)| *why)
}

/// Compare one capture.
fn check(t: &Tshark, b: &Builtin, name: &str) -> Report {
    let (cap, extra) = prepare(t, name);
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let want = built_in_counts(b, &cap, &extra);
    let mut r = Report {
        want,
        skipped: None,
        errors: Vec::new(),
    };
    let lost = &r.want.lost_segments;
    if !lost.is_empty() {
        r.skipped = Some(format!(
            "TCP reports {} lost segment(s) (frames {:?}): frames really are missing",
            lost.len(),
            &lost[..lost.len().min(10)]
        ));
        return r;
    }
    // Decodes nothing: no upgraded connection, or one whose frames it never shows (a 101 without
    // its request, m_cut_after_request, in 4.0).
    let decodes_nothing = r.want.frames.values().all(|&n| n == 0);
    if let Some((_, why)) = DECODED_BY_SOME_VERSIONS
        .iter()
        .find(|(n, _)| *n == stem(name))
    {
        if decodes_nothing {
            r.skipped = Some(why.to_string());
            return r;
        }
    } else {
        match (decodes_nothing, listed(name)) {
            (true, Some(why)) => r.skipped = Some(why.to_string()),
            (true, None) => r.errors.push(format!(
            "{name}: the built-in dissector finds no upgraded connection; if that is expected, \
             list it in NOT_DECODED_BY_THE_BUILTIN with the reason"
        )),
            (false, Some(_)) => r.errors.push(format!(
                "{name}: listed in NOT_DECODED_BY_THE_BUILTIN, but the built-in dissector decodes \
             {:?}: remove it from the list",
                r.want.frames
            )),
            (false, None) => {}
        }
    }
    if r.skipped.is_some() || !r.errors.is_empty() {
        return r;
    }
    let got = plugin_counts(t, &cap, &extra);
    for (key, &w) in &r.want.frames {
        let g = got.frames.get(key).copied().unwrap_or(0);
        if g != w {
            r.errors.push(format!(
                "{name}: stream {} {}: built-in {w} frames, plugin {g} ({} lost)",
                key.0,
                key.1,
                w as i64 - g as i64
            ));
        }
    }
    let others: Vec<_> = got
        .frames
        .iter()
        .filter(|(k, _)| !r.want.frames.contains_key(k))
        .collect();
    if !others.is_empty() {
        eprintln!(
            "oracle: {name}: not compared (no Upgrade the built-in dissector saw): {others:?}"
        );
    }
    if !got.gap_frames.is_empty() {
        r.errors.push(format!(
            "{name}: ws.expert.capture_gap in {} frame(s) where TCP reports no lost segment: {:?}",
            got.gap_frames.len(),
            got.gap_frames
        ));
    }
    if r.errors.is_empty() {
        eprintln!("oracle: {name}: OK {:?}", r.want.frames);
    }
    r
}

fn is_capture(name: &str) -> bool {
    [".pcapng", ".pcap", ".pcapng.gz", ".pcap.gz"]
        .iter()
        .any(|e| name.ends_with(e))
}

fn is_bulk(name: &str) -> bool {
    name.starts_with("bulk_")
}

/// The committed bulk capture `bulk_<kind>.pcapng` (or `.pcapng.gz`).
fn bulk_file(kind: &str) -> String {
    let dir = root().join("tests/captures");
    for name in [
        format!("bulk_{kind}.pcapng"),
        format!("bulk_{kind}.pcapng.gz"),
    ] {
        if dir.join(&name).exists() {
            return name;
        }
    }
    panic!(
        "no tests/captures/bulk_{kind}.pcapng(.gz) (sudo scripts/captures/make-bulk-captures.sh)"
    );
}

/// (messages the client sent, messages the server sent) from `bulk_<kind>.truth.json`.
fn bulk_truth(kind: &str) -> (usize, usize) {
    let path = root().join(format!("tests/captures/bulk_{kind}.truth.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let sent = |side: &str| v[side]["sent"].as_u64().expect("sent") as usize;
    (sent("client"), sent("server"))
}

fn bulk(kind: &str) {
    let (t, b) = ts_and_builtin!();
    let name = bulk_file(kind);
    let (client, server) = bulk_truth(kind);
    let r = check(t, b, &name);
    if let Some(why) = &r.skipped {
        panic!("{name}: the oracle cannot apply ({why}): remake the capture");
    }
    // The reference itself: every message each peer sent, and one Close each way.
    let dirs: Vec<(&Key, &usize)> = r.want.frames.iter().collect();
    assert_eq!(
        dirs.len(),
        2,
        "{name}: one upgraded connection expected: {dirs:?}"
    );
    assert_eq!(
        (*dirs[0].1, *dirs[1].1),
        (client + 1, server + 1),
        "{name}: the built-in dissector does not find what the peers sent (+ one Close each way)"
    );
    assert!(r.errors.is_empty(), "{}", r.errors.join("\n"));
    gap_tracker_runs(t, &name, &r.want.packets);
}

/// The check above only means something if the plugin's gap tracker follows this connection (it
/// does when TCP hands the plugin its sequence numbers: not when HTTP owns the conversation, as on
/// port 80 or 8080 in Wireshark 4.0). Without one packet in the middle that holds frames, the
/// plugin must say that bytes are missing.
fn gap_tracker_runs(t: &Tshark, name: &str, packets: &[u32]) {
    let (cap, _) = prepare(t, name);
    let drop = packets[packets.len() / 2];
    let out = format!("{cap}.without-{drop}.pcapng");
    let st = Command::new("editcap")
        .args([&cap, &out, &drop.to_string()])
        .status()
        .expect("run editcap");
    assert!(st.success(), "editcap failed");
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).unwrap();
    let got = plugin_counts(t, &out, &[]);
    assert!(
        !got.gap_frames.is_empty(),
        "{name} without packet {drop}: no ws.expert.capture_gap, so the gap tracker does not follow \
         this connection and the oracle proves nothing about it"
    );
    eprintln!(
        "oracle: {name} without packet {drop}: ws.expert.capture_gap in {:?} (the tracker runs)",
        got.gap_frames
    );
}

/// tests/captures/bulk_mtu1500.pcapng: Node `ws`, both sides sending at once, slow receivers,
/// wire-sized segments (BULK.md).
#[test]
fn bulk_mtu1500_frames_match_the_builtin_dissector() {
    bulk("mtu1500");
}

/// tests/captures/bulk_lo.pcapng: the same traffic over a 64 KiB-MTU loopback (BULK.md).
#[test]
fn bulk_lo_frames_match_the_builtin_dissector() {
    bulk("lo");
}

/// Every other capture in tests/captures: compared, or skipped with its reason.
#[test]
fn every_other_capture_matches_the_builtin_dissector() {
    let (t, b) = ts_and_builtin!();
    let mut names: Vec<String> = std::fs::read_dir(root().join("tests/captures"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| is_capture(n) && !is_bulk(n))
        .collect();
    names.sort();
    let mut failures = Vec::new();
    let mut compared = 0;
    for name in &names {
        let r = check(t, b, name);
        if let Some(why) = &r.skipped {
            eprintln!("oracle: {name}: SKIPPED: {why}");
        } else if r.errors.is_empty() {
            compared += 1;
        } else {
            failures.extend(r.errors);
        }
    }
    eprintln!(
        "oracle: {compared} of {} captures compared, {} failed",
        names.len(),
        failures.len()
    );
    assert!(compared > 0, "no capture compared");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
