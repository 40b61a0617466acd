//! Compare what the plugin reports with what the real peers logged they sent
//! (tests/captures/*.truth.jsonl, written by the peer programs themselves).
#[macro_use]
mod common;

use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq)]
struct Msg {
    dir: String,
    ty: u8,
    len: u64,
    sha256: String,
}

fn unhex(s: &str) -> Vec<u8> {
    // An empty FT_BYTES value prints as "<none>".
    let s = if s == "<none>" { "" } else { s };
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn truth(name: &str) -> Vec<Msg> {
    let path = common::root()
        .join("tests/captures")
        .join(format!("{name}.truth.jsonl"));
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let ty = match v["type"].as_str().unwrap() {
                "text" => 1,
                "binary" => 2,
                "close" => 8,
                "ping" => 9,
                "pong" => 10,
                t => panic!("type {t}"),
            };
            Msg {
                dir: v["dir"].as_str().unwrap().into(),
                ty,
                len: v["len"].as_u64().unwrap(),
                sha256: v["sha256"].as_str().unwrap().into(),
            }
        })
        .collect()
}

/// Every completed message the plugin shows, in order, with the hash of its (unmasked,
/// reassembled) bytes.
fn dissected(t: &common::Tshark, cap: &str, extra: &[&str]) -> Vec<Msg> {
    let rows = t.fields(
        cap,
        "ws.msg.len",
        &["ws.dir", "ws.msg.type", "ws.msg.len", "ws.msg.data"],
        extra,
    );
    let mut out = Vec::new();
    for r in rows {
        // Coalesced frames: one occurrence per completed message, aggregated with '|'.
        let dirs = common::occ(&r[0]);
        let types = common::occ(&r[1]);
        let lens = common::occ(&r[2]);
        let datas: Vec<String> = r[3].split('|').map(str::to_string).collect();
        // ws.dir is on every frame; the message fields only on completing frames. Frames of a
        // packet that complete nothing would misalign, so require one message per frame here.
        assert_eq!(types.len(), lens.len());
        assert_eq!(datas.len(), lens.len(), "{r:?}");
        assert_eq!(
            dirs.len(),
            lens.len(),
            "a frame without a completed message in {r:?}"
        );
        for i in 0..lens.len() {
            let bytes = unhex(&datas[i]);
            out.push(Msg {
                dir: dirs[i].clone(),
                ty: types[i].parse().unwrap(),
                len: lens[i].parse().unwrap(),
                sha256: Sha256::digest(&bytes)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect(),
            });
        }
    }
    out
}

/// The truth of each direction must appear in order in what was dissected; anything else the
/// plugin shows must be a control frame the library sent on its own (pong, close reply). Data
/// messages and control frames are compared as two sequences: a ping sent between the fragments
/// of a message completes before that message does.
fn check(name: &str, per_packet_one_message: bool) {
    check_with(name, per_packet_one_message, false)
}

fn check_with(name: &str, per_packet_one_message: bool, tls_keys: bool) {
    let t = ts!();
    let cap = t.capture(&format!("{name}.pcapng"));
    let mut extra: Vec<String> = Vec::new();
    if tls_keys {
        extra.push("-o".into());
        extra.push(format!(
            "tls.keylog_file:{}",
            t.capture(&format!("{name}.keys"))
        ));
    }
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let want = truth(name);
    let got = if per_packet_one_message {
        dissected(t, &cap, &extra)
    } else {
        dissected_multi(t, &cap, &extra)
    };
    assert!(!got.is_empty());
    for dir in ["client", "server"] {
        for control in [false, true] {
            let pick = |m: &&Msg| m.dir == dir && (m.ty >= 8) == control;
            let w: Vec<&Msg> = want.iter().filter(pick).collect();
            let g: Vec<&Msg> = got.iter().filter(pick).collect();
            let mut wi = 0;
            for m in &g {
                if wi < w.len() && *m == w[wi] {
                    wi += 1;
                } else {
                    assert!(
                        m.ty == 10 || m.ty == 8,
                        "{name} {dir}: unexpected message {m:?} (next truth {:?})",
                        w.get(wi)
                    );
                }
            }
            assert_eq!(
                wi,
                w.len(),
                "{name} {dir}: truth message {:?} not found in order",
                w.get(wi)
            );
        }
    }
}

/// Like `dissected`, for captures where one packet holds frames that complete nothing (fragments)
/// next to frames that do: take one frame at a time with frame-level fields.
fn dissected_multi(t: &common::Tshark, cap: &str, extra: &[&str]) -> Vec<Msg> {
    let rows = t.fields(
        cap,
        "ws.opcode",
        &[
            "ws.dir",
            "ws.fin",
            "ws.msg.type",
            "ws.msg.len",
            "ws.msg.data",
        ],
        extra,
    );
    let mut out = Vec::new();
    for r in rows {
        let dirs = common::occ(&r[0]);
        let fins = common::occ(&r[1]);
        let types = common::occ(&r[2]);
        let lens = common::occ(&r[3]);
        let datas: Vec<String> = r[4].split('|').map(str::to_string).collect();
        // Completing frames are those with FIN set (no orphan continuations in real captures).
        let completing: Vec<usize> = (0..fins.len()).filter(|&i| fins[i] == "1").collect();
        assert_eq!(completing.len(), lens.len(), "{r:?}");
        for (k, &i) in completing.iter().enumerate() {
            let bytes = unhex(&datas[k]);
            out.push(Msg {
                dir: dirs[i].clone(),
                ty: types[i].parse().unwrap(),
                len: lens[k].parse().unwrap(),
                sha256: Sha256::digest(&bytes)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect(),
            });
        }
    }
    out
}

#[test]
fn py_basic_matches_what_python_websockets_sent() {
    check("py_basic", true);
}

#[test]
fn node_frag_matches_what_node_ws_sent() {
    check("node_frag", false);
}

#[test]
fn node_port80_matches_what_node_ws_sent() {
    check("node_port80", false);
}

/// permessage-deflate (RFC 7692): what the applications sent, after inflating, with context
/// takeover (Python websockets, Node ws with fragmented compressed messages) and without.
#[test]
fn deflate_py_matches_what_python_websockets_sent() {
    check("m_deflate_py", false);
}

#[test]
fn deflate_py_no_context_takeover_matches() {
    check("m_deflate_py_nocontext", false);
}

#[test]
fn deflate_node_fragmented_matches_what_node_ws_sent() {
    check("m_deflate_node_frag", false);
}

#[test]
fn json_subprotocol_matches() {
    check("m_json_subprotocol", false);
}

/// wss: with the client's TLS key log, Wireshark decrypts and the plugin gets the upgrade.
#[test]
fn wss_on_443_and_9443_match_with_the_key_log() {
    check_with("m_wss_443", false, true);
    check_with("m_wss_9443", false, true);
    // Without the keys nothing is claimed.
    let t = ts!();
    for name in ["m_wss_443.pcapng", "m_wss_9443.pcapng"] {
        let cap = t.capture(name);
        assert!(
            t.fields(&cap, "ws", &["frame.number"], &[]).is_empty(),
            "{name}"
        );
    }
}

/// A compressed conversation captured after its handshake (made from the no-context-takeover
/// capture by dropping the handshake with editcap): RSV1 is recognised as compression with the
/// parameters unknown, and since each message is self-contained it still inflates.
#[test]
fn midstream_compressed_without_context_takeover() {
    let t = ts!();
    let full = t.capture("m_deflate_py_nocontext.pcapng");
    // The frames after the 101 response.
    let resp = t.fields(&full, "http.response.code == 101", &["frame.number"], &[]);
    let first = resp[0][0].parse::<u32>().unwrap() + 1;
    let cut = t.dir.join("m_deflate_midstream.pcapng");
    let st = std::process::Command::new("editcap")
        .args([
            "-r",
            &full,
            cut.to_str().unwrap(),
            &format!("{first}-100000"),
        ])
        .status()
        .unwrap();
    assert!(st.success());
    let cap = cut.to_string_lossy().into_owned();
    std::process::Command::new("chmod")
        .args(["a+r", &cap])
        .status()
        .unwrap();
    let got = dissected_multi(t, &cap, &[]);
    let want = truth("m_deflate_py_nocontext");
    assert!(got.len() >= 8, "{got:?}");
    for m in &got {
        assert!(
            want.contains(m) || m.ty >= 8,
            "not what the peers sent: {m:?}"
        );
    }
    let notes = t.fields(
        &cap,
        "ws.expert.compressed_context_unknown",
        &["ws.detected_by", "ws.msg.compressed"],
        &[],
    );
    assert!(!notes.is_empty());
    assert!(
        notes
            .iter()
            .all(|r| r[0].starts_with("midstream") && r[1] == "1"),
        "{notes:?}"
    );
}

/// Mid-stream (the capture began after the handshake): every message sent after the capture
/// started, from the point the connection is recognised, matches what the peers sent; the
/// messages before recognition are TCP only. Python websockets on 9001: no configuration.
#[test]
fn midstream_python_matches_from_recognition_on() {
    let t = ts!();
    let cap = t.capture("m_midstream_py.pcapng");
    let got = dissected_multi(t, &cap, &[]);
    let want = truth("m_midstream_py");
    assert!(got.len() >= 10, "only {} messages recognised", got.len());
    for dir in ["client", "server"] {
        let g: Vec<&Msg> = got.iter().filter(|m| m.dir == dir && m.ty < 8).collect();
        let w: Vec<&Msg> = want.iter().filter(|m| m.dir == dir && m.ty < 8).collect();
        // What was recognised is the tail of what was sent, in order.
        assert!(
            !g.is_empty() && g.len() <= w.len(),
            "{dir}: {} of {}",
            g.len(),
            w.len()
        );
        assert_eq!(g, w[w.len() - g.len()..].to_vec(), "{dir}");
    }
    let by = t.fields(&cap, "ws.opcode", &["ws.detected_by"], &[]);
    assert!(by.iter().all(|r| r[0] == "midstream"), "{by:?}");
}

/// On port 8080, which HTTP owns, the capture begins 17 kB inside a 100 kB frame, and HTTP reads
/// about a third of its segments as header lines. With the default preferences the postdissector
/// feeds them to the detector all the same (README, "Ports that HTTP owns"): one pass shows the
/// connection from the segment after the deciding one, and `-2` shows exactly what it shows with
/// heuristics tried first.
#[test]
fn midstream_on_8080() {
    let t = ts!();
    let cap = t.capture("m_midstream_8080.pcapng");
    let want = truth("m_midstream_8080");
    for extra in [
        &[][..],
        &["-2"][..],
        &["-o", "tcp.try_heuristic_first:TRUE"][..],
    ] {
        let got = dissected_multi(t, &cap, extra);
        assert!(got.len() >= 6, "{extra:?}: {got:?}");
        for m in &got {
            assert!(
                want.contains(m) || m.ty >= 8,
                "{extra:?}: not sent by the peers: {m:?}"
            );
        }
        let clients: Vec<&Msg> = got.iter().filter(|m| m.dir == "client").collect();
        assert!(
            !clients.is_empty() && got.iter().any(|m| m.dir == "server"),
            "{extra:?}"
        );
    }
    let f = [
        "frame.number",
        "ws.opcode",
        "ws.len",
        "ws.dir",
        "ws.msg.index",
    ];
    let default = t.fields(&cap, "ws.opcode", &f, &["-2"]);
    assert_eq!(default.len(), 14, "{default:?}");
    assert_eq!(
        default,
        t.fields(
            &cap,
            "ws.opcode",
            &f,
            &["-2", "-o", "tcp.try_heuristic_first:TRUE"]
        )
    );
}
