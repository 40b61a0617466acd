//! Adversarial captures (tests/adversarial/, made by scripts/captures/make-adversarial.sh from
//! scripts/captures/adversarial.py): each must be dissected in bounded time and memory, with exact
//! results and the expected expert infos. Timings and peak memory: docs/robustness.md. The
//! wall-time bounds here are generous sanity checks, not benchmarks.
#[macro_use]
mod common;

use common::{occ, root, Tshark};
use std::time::{Duration, Instant};

struct Run {
    /// One row per packet: the requested fields, occurrences joined by '|'.
    rows: Vec<Vec<String>>,
    /// `-z expert`: (frequency, group, protocol, summary).
    experts: Vec<(u64, String, String, String)>,
    took: Duration,
}

impl Run {
    /// Column `col` of the rows whose column `key` is not empty.
    fn rows_with(&self, key: usize) -> Vec<&Vec<String>> {
        self.rows.iter().filter(|r| !r[key].is_empty()).collect()
    }

    /// All occurrences of column `col` over all packets.
    fn all(&self, col: usize) -> Vec<String> {
        self.rows.iter().flat_map(|r| occ(&r[col])).collect()
    }

    fn count_eq(&self, col: usize, value: &str) -> usize {
        self.all(col).iter().filter(|v| *v == value).count()
    }

    /// Expert infos raised by the plugin's protocols (WS and KeepAlive), summed.
    fn plugin_experts(&self) -> u64 {
        self.experts
            .iter()
            .filter(|e| e.2 == "WS" || e.2 == "KeepAlive")
            .map(|e| e.0)
            .sum()
    }
}

/// Dissect tests/adversarial/NAME with `-T fields -e frame.number -e FIELDS... -z expert`; the
/// first column of every row is the frame number.
fn run(t: &Tshark, name: &str, extra: &[&str], fields: &[&str], bound_secs: u64) -> Run {
    let bytes = std::fs::read(root().join("tests/adversarial").join(name))
        .unwrap_or_else(|e| panic!("{name}: {e} (run scripts/captures/make-adversarial.sh)"));
    let cap = t.write_capture(name, &bytes);
    let mut args: Vec<&str> = vec!["-r", &cap];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["-T", "fields", "-E", "occurrence=a", "-E", "aggregator=|"]);
    args.extend_from_slice(&["-e", "frame.number"]);
    for f in fields {
        args.extend_from_slice(&["-e", f]);
    }
    args.extend_from_slice(&["-z", "expert"]);
    let start = Instant::now();
    let out = t.run(&args);
    let took = start.elapsed();
    assert!(
        took < Duration::from_secs(bound_secs),
        "{name}: tshark took {took:?} (sanity bound {bound_secs}s)"
    );
    let mut rows = Vec::new();
    let mut experts = Vec::new();
    let mut in_experts = false;
    for line in out.lines() {
        let head = line.split(" (").next().unwrap_or("");
        if matches!(head, "Errors" | "Warns" | "Notes" | "Chats" | "Comments") {
            in_experts = true;
            continue;
        }
        if !in_experts {
            if line.starts_with(|c: char| c.is_ascii_digit()) {
                rows.push(common::field_row(line));
            }
            continue;
        }
        let mut it = line.split_whitespace();
        let (Some(n), Some(group), Some(proto)) = (it.next(), it.next(), it.next()) else {
            continue;
        };
        let Ok(n) = n.parse::<u64>() else { continue };
        let summary = it.collect::<Vec<_>>().join(" ");
        experts.push((n, group.to_string(), proto.to_string(), summary));
    }
    Run {
        rows,
        experts,
        took,
    }
}

/// A client frame with a 64-bit length of 2^63 (MSB set), 4 payload bytes in the capture, then
/// FIN without Close.
#[test]
fn length_2_pow_63() {
    let t = ts!();
    let r = run(
        t,
        "len63.pcap",
        &[],
        &[
            "ws.len",
            "ws.dir",
            "ws.payload",
            "ws.expert.length_msb_set",
            "ws.expert.frame_too_large",
            "ws.expert.payload_truncated",
            "ws.expert.closed_without_close",
            "ws.end.abnormal",
        ],
        120,
    );
    assert_eq!(r.rows.len(), 9);
    let frames: Vec<(&str, &str, &str, &str)> = r
        .rows_with(1)
        .iter()
        .map(|x| (x[0].as_str(), x[1].as_str(), x[2].as_str(), x[3].as_str()))
        .collect();
    assert_eq!(
        frames,
        vec![
            ("6", "2", "client", "6869"),
            ("7", "9223372036854775808", "client", "61626364")
        ]
    );
    for col in [4, 5, 6] {
        let hits: Vec<&str> = r.rows_with(col).iter().map(|x| x[0].as_str()).collect();
        assert_eq!(hits, vec!["7"], "column {col}");
    }
    let ends: Vec<&str> = r.rows_with(7).iter().map(|x| x[0].as_str()).collect();
    assert_eq!(ends, vec!["9"]);
    assert_eq!(r.rows[8][8], "1");
    assert_eq!(r.plugin_experts(), 4, "{:?}", r.experts);
    eprintln!("len63: {:?}", r.took);
}

/// 32,000 empty Binary frames in one 64,000-byte segment: all are counted (the next frame is
/// Server.32001), the tree shows the first 2,000 of the packet.
#[test]
fn thirty_two_thousand_frames_in_one_segment() {
    let t = ts!();
    let r = run(
        t,
        "tiny32k.pcap",
        &[],
        &["ws.opcode", "ws.msg.index", "ws.msg.text", "ws.dir"],
        120,
    );
    let ws = r.rows_with(1);
    assert_eq!(ws.len(), 2);
    assert_eq!(ws[0][0], "6");
    let ops = occ(&ws[0][1]);
    assert_eq!(ops.len(), 2000);
    assert!(ops.iter().all(|o| o == "2"));
    let idx = occ(&ws[0][2]);
    assert_eq!(idx.first().map(String::as_str), Some("1"));
    assert_eq!(idx.last().map(String::as_str), Some("2000"));
    assert_eq!(
        (ws[1][0].as_str(), ws[1][1].as_str(), ws[1][2].as_str()),
        ("8", "1", "32001")
    );
    assert_eq!((ws[1][3].as_str(), ws[1][4].as_str()), ("end", "server"));
    assert_eq!(r.plugin_experts(), 0, "{:?}", r.experts);
    eprintln!("tiny32k: {:?}", r.took);
}

/// permessage-deflate: a 101,923-byte message that inflates to 100 MiB stops at ws.max_inflate
/// (10 MiB) with one expert warning; the next message is still fine.
#[test]
fn deflate_bomb() {
    let t = ts!();
    let r = run(
        t,
        "bomb.pcap",
        &[],
        &[
            "ws.msg.len",
            "ws.msg.wire_len",
            "ws.msg.compressed",
            "ws.msg.text",
            "ws.expert.decompression_capped",
        ],
        120,
    );
    let msgs: Vec<Vec<&str>> = r
        .rows_with(1)
        .iter()
        .map(|x| x[1..5].iter().map(String::as_str).collect())
        .collect();
    assert_eq!(
        msgs,
        vec![
            vec!["10485760", "101923", "1", ""],
            vec!["2", "2", "0", "ok"]
        ]
    );
    assert_eq!(r.rows_with(5).len(), 1);
    assert_eq!(r.plugin_experts(), 1, "{:?}", r.experts);
    eprintln!("bomb: {:?}", r.took);
}

/// 10,000 connections, each ending (capture end) inside a fragmented Text message.
///
/// The server port is 8765, so the `ws_tcp` heuristic finds the handshakes; the client ports
/// (41000-50999) include a few that other dissectors register (44321 pcp, 44322 pmproxy, 44818
/// enip, 48049 cbsp, 48898 ams in Wireshark 4.0), which run before any heuristic and would take
/// 5 of the connections: hence `tcp.try_heuristic_first` (README, "Ports that HTTP owns").
#[test]
fn ten_thousand_unfinished_fragmented_messages() {
    let t = ts!();
    let r = run(
        t,
        "frag10k.pcap.gz",
        &["-o", "tcp.try_heuristic_first:TRUE"],
        &[
            "ws.fin",
            "ws.dir",
            "ws.msg.index",
            "ws.msg.fragment",
            "ws.opcode",
        ],
        300,
    );
    assert_eq!(r.rows.len(), 60_000);
    let ws = r.rows_with(1);
    assert_eq!(ws.len(), 10_000);
    assert!(ws.iter().all(|x| x[1..6] == ["0", "client", "1", "1", "1"]));
    assert_eq!(r.plugin_experts(), 0, "{:?}", r.experts);
    eprintln!("frag10k: {:?}", r.took);
}

/// 20,000 Pings in one connection, the server answering every 100th: with -2, 19,800 are
/// unanswered (one expert warning each), and the FIN without Close raises one more.
#[test]
fn ping_flood() {
    let t = ts!();
    let r = run(
        t,
        "pingflood.pcap.gz",
        &["-2"],
        &[
            "keepalive.kind",
            "keepalive.num",
            "keepalive.unanswered",
            "keepalive.expert.unanswered",
            "ws.expert.closed_without_close",
        ],
        300,
    );
    assert_eq!(r.count_eq(1, "ping"), 20_000);
    assert_eq!(r.count_eq(1, "pong"), 200);
    assert_eq!(r.count_eq(3, "1"), 19_800);
    assert_eq!(r.rows_with(4).len(), 19_800);
    assert_eq!(r.rows_with(5).len(), 1);
    let max_num = r.all(2).iter().filter_map(|n| n.parse::<u32>().ok()).max();
    assert_eq!(max_num, Some(20_000));
    assert_eq!(r.plugin_experts(), 19_801, "{:?}", r.experts);
    eprintln!("pingflood: {:?}", r.took);
}

/// An Upgrade request with 1 MB of headers: the handshake is still recognised and the frames
/// after it decoded.
#[test]
fn one_megabyte_of_handshake_headers() {
    let t = ts!();
    let r = run(
        t,
        "bighdr.pcap.gz",
        &[],
        &[
            "ws.handshake.accept_valid",
            "ws.dir",
            "ws.msg.text",
            "ws.close.code",
            "ws.detected_by",
        ],
        120,
    );
    let accept: Vec<&str> = r.rows_with(1).iter().map(|x| x[1].as_str()).collect();
    assert_eq!(accept, vec!["1"]);
    let frames: Vec<Vec<&str>> = r
        .rows_with(2)
        .iter()
        .map(|x| x[2..6].iter().map(String::as_str).collect())
        .collect();
    assert_eq!(
        frames,
        vec![
            vec!["client", "after the headers", "", "handshake"],
            vec!["server", "after the headers", "", "handshake"],
            vec!["client", "", "1000", "handshake"],
            vec!["server", "", "1000", "handshake"],
        ]
    );
    assert_eq!(r.plugin_experts(), 0, "{:?}", r.experts);
    eprintln!("bighdr: {:?}", r.took);
}

/// 100,000 idle TCP connections, each with one zero-byte keep-alive probe and its ACK.
#[test]
fn keepalive_probes_on_100k_connections() {
    let t = ts!();
    let r = run(
        t,
        "ka100k.pcap.gz",
        &[],
        &["keepalive.kind", "keepalive.style", "keepalive.num"],
        900,
    );
    assert_eq!(r.rows.len(), 500_000);
    assert_eq!(r.count_eq(1, "probe"), 100_000);
    assert_eq!(r.count_eq(1, "ack"), 100_000);
    assert_eq!(r.count_eq(2, "zero-byte"), 100_000);
    assert_eq!(r.count_eq(3, "1"), 100_000);
    assert_eq!(r.plugin_experts(), 0, "{:?}", r.experts);
    eprintln!("ka100k: {:?}", r.took);
}

/// Damaged handshakes (tests/adversarial/README.md) once made WS and HTTP hand the same bytes to
/// each other until Wireshark stopped them at gui.max_tree_depth ("Dissector bug"). Now: no
/// Dissector bug or warning, no bytes handed back and forth, and the frames after the 101 still decoded,
/// in one pass, two passes, and with TCP's heuristics tried first.
#[test]
fn damaged_handshakes_never_recurse() {
    let t = ts!();
    for name in [
        "recursion_accept_port80.pcapng",
        "recursion_accept_heuristic.pcapng",
        "recursion_http_line_after_101.pcapng",
    ] {
        let bytes = std::fs::read(root().join("tests/adversarial").join(name)).unwrap();
        let cap = t.write_capture(name, &bytes);
        for extra in [&[][..], &["-2"], &["-o", "tcp.try_heuristic_first:TRUE"]] {
            let mut args = vec!["-r", cap.as_str()];
            args.extend_from_slice(extra);
            args.extend_from_slice(&["-V"]);
            let (out, err) = t.run_both(&args);
            for bad in ["Dissector bug", "failed assertion", "WARNING", "CRITICAL"] {
                assert!(!out.contains(bad), "{name} {extra:?}: {bad} in the tree");
                assert!(!err.contains(bad), "{name} {extra:?}: {bad}: {err}");
            }
            let mut args = vec!["-r", cap.as_str()];
            args.extend_from_slice(extra);
            args.extend_from_slice(&["-T", "fields", "-e", "frame.protocols", "-e", "ws.opcode"]);
            let out = t.run(&args);
            // (tcp:ws:http is the heuristic path handing the handshake itself to HTTP.)
            assert!(
                !out.contains("ws:http:ws") && !out.contains("http:ws:http"),
                "{name} {extra:?}: {out}"
            );
            // The frames after a 101 with a damaged Accept are WebSocket frames. (In the third
            // capture the bytes after the 101 claim an 86-byte frame the capture never completes.)
            if !name.contains("accept") {
                continue;
            }
            let opcodes: Vec<&str> = out
                .lines()
                .filter_map(|l| l.split('\t').nth(1))
                .filter(|o| !o.is_empty())
                .collect();
            assert!(!opcodes.is_empty(), "{name} {extra:?}: no frames: {out}");
        }
    }
}
