//! Mid-stream recall and false claims, CI-sized: the measurement of `scripts/dev/midstream-recall.sh`
//! and `scripts/dev/fp-corpus.sh` (README, "Captures that begin after the handshake") on a subset.
//!
//! Recall: for a few WebSocket captures (three peer libraries, Node `ws` on port 8080 with
//! fragmented messages, MQTT over WebSocket, compressed fragments), 8 cuts each (the first K
//! packets dropped with editcap, K evenly spread over the cuts that leave at least 3 frames); a
//! frame remains when its header is in a kept packet, and is found when `tshark -2` on the cut
//! shows it in the same packet as on the whole capture, with the same opcode and length. False claims: every negative capture (`neg_*`), whole and cut at a quarter, half
//! and three quarters of its packets, `-2`, with the default heuristic order and with
//! `tcp.try_heuristic_first:TRUE`: no WebSocket frame at all.
mod common;

use std::collections::BTreeMap;
use std::process::Command;

use common::{tshark, Tshark};

/// A packet's row: its TCP stream, the WebSocket frames it shows as (opcode, payload length),
/// and the first segment of its first frame.
type Row = (u32, Vec<(String, String)>, u32);

/// Per packet: its row.
fn frames_by_packet(t: &Tshark, cap: &str) -> BTreeMap<u32, Row> {
    let out = t.run(&[
        "-2",
        "-r",
        cap,
        "-T",
        "fields",
        "-E",
        "occurrence=a",
        "-e",
        "frame.number",
        "-e",
        "tcp.stream",
        "-e",
        "ws.opcode",
        "-e",
        "tcp.segment",
        "-e",
        "ws.len",
    ]);
    let mut rows = BTreeMap::new();
    for line in out.lines() {
        let c: Vec<&str> = line.split('\t').collect();
        let (Some(num), Some(stream)) = (c.first(), c.get(1)) else {
            continue;
        };
        let (Ok(num), Some(Ok(stream))) = (
            num.parse::<u32>(),
            stream.split(',').next().map(str::parse::<u32>),
        ) else {
            continue;
        };
        let list = |i: usize| -> Vec<String> {
            c.get(i).map_or(Vec::new(), |o| {
                o.split(',')
                    .filter(|x| !x.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
        };
        let (ops, lens) = (list(2), list(4));
        let frames = ops
            .into_iter()
            .enumerate()
            .map(|(i, o)| (o, lens.get(i).cloned().unwrap_or_default()))
            .collect();
        let first = c
            .get(3)
            .and_then(|s| s.split(',').filter_map(|x| x.parse::<u32>().ok()).min())
            .unwrap_or(num);
        rows.insert(num, (stream, frames, first));
    }
    rows
}

/// The capture without its first `k` packets, where tshark's user can read it.
fn cut(t: &Tshark, cap: &str, k: u32) -> String {
    let name = std::path::Path::new(cap)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let tmp = std::env::temp_dir().join(format!("wsk-recall-{}-{name}-{k}", std::process::id()));
    let st = Command::new("editcap")
        .args(["-F", "pcapng", cap])
        .arg(&tmp)
        .arg(format!("1-{k}"))
        .status()
        .expect("editcap");
    assert!(st.success(), "editcap {cap} 1-{k}");
    let bytes = std::fs::read(&tmp).unwrap();
    std::fs::remove_file(&tmp).ok();
    t.write_capture(&format!("{name}.cut{k}.pcapng"), &bytes)
}

/// (frames left, frames found, connections with >= 4 frames left, of them found) over `cuts`
/// evenly spread cuts of `name`.
fn recall(t: &Tshark, name: &str, cuts: usize) -> (u32, u32, u32, u32) {
    let cap = t.capture(name);
    let full = frames_by_packet(t, &cap);
    // Per stream: the packet of each frame's header.
    let mut starts: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for (&num, (stream, frames, first)) in &full {
        let (stream, first) = (*stream, *first);
        for i in 0..frames.len() {
            starts
                .entry(stream)
                .or_default()
                .push(if i == 0 { first } else { num });
        }
    }
    let last = full.keys().max().copied().unwrap_or(0);
    let left_after = |k: u32| -> u32 {
        starts
            .values()
            .map(|s| s.iter().filter(|&&p| p > k).count() as u32)
            .sum()
    };
    let valid: Vec<u32> = (1..last).filter(|&k| left_after(k) >= 3).collect();
    let ks: Vec<u32> = (0..cuts)
        .map(|i| valid[i * valid.len() / cuts])
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let (mut left, mut found, mut conns, mut conns_found) = (0, 0, 0, 0);
    for k in ks {
        let got = frames_by_packet(t, &cut(t, &cap, k));
        // Packet n of the cut is packet n + k of the whole capture. A frame is found when the
        // cut shows it in the same packet as the whole capture does, with the same opcode and
        // payload length (of the frames whose header is in the cut: only a packet's first frame
        // can have begun in an earlier packet).
        let mut by_stream: BTreeMap<u32, u32> = BTreeMap::new();
        for (&num, (_, frames, _)) in &got {
            let Some((stream, want, first)) = full.get(&(num + k)) else {
                continue;
            };
            let mut want: Vec<&(String, String)> = want
                .iter()
                .enumerate()
                .filter(|(i, _)| *i > 0 || *first > k)
                .map(|(_, f)| f)
                .collect();
            for f in frames {
                if let Some(i) = want.iter().position(|w| *w == f) {
                    want.swap_remove(i);
                    *by_stream.entry(*stream).or_default() += 1;
                }
            }
        }
        for (stream, s) in &starts {
            let l = s.iter().filter(|&&p| p > k).count() as u32;
            let f = by_stream.get(stream).copied().unwrap_or(0).min(l);
            left += l;
            found += f;
            if l >= 4 {
                conns += 1;
                conns_found += (f > 0) as u32;
            }
        }
    }
    (left, found, conns, conns_found)
}

#[test]
fn recall_on_cuts_meets_the_targets() {
    let Some(t) = tshark() else { return };
    // (capture, frames left, found, connections with >= 4 frames left, found), 8 cuts each.
    // node_frag is on port 8080, which HTTP owns (README, "Ports that HTTP owns"): its cuts
    // that begin inside the server's 70,000-byte frame start with segments HTTP reads as text.
    let expected = [
        ("node_frag.pcapng", 312, 312, 8, 8),
        ("ws_gorilla.pcapng", 531, 531, 8, 8),
        ("ws_tungstenite.pcapng", 456, 456, 8, 8),
        ("ws_aiohttp.pcapng", 966, 966, 8, 8),
        ("m_mqtt_ws.pcapng", 90, 90, 8, 8),
        ("m_deflate_node_frag.pcapng", 141, 141, 8, 8),
    ];
    let mut got = Vec::new();
    for (name, ..) in expected {
        let (l, f, c, cf) = recall(t, name, 8);
        got.push((name, l, f, c, cf));
    }
    assert_eq!(got, expected);
    let all = &got[..];
    let left: u32 = all.iter().map(|g| g.1).sum();
    let found: u32 = all.iter().map(|g| g.2).sum();
    let conns: u32 = all.iter().map(|g| g.3).sum();
    let conns_found: u32 = all.iter().map(|g| g.4).sum();
    assert!(found * 100 >= left * 98, "{found} of {left} frames");
    assert!(conns_found * 100 >= conns * 90, "{conns_found} of {conns}");
}

#[test]
fn no_negative_capture_is_claimed_whole_or_cut() {
    let Some(t) = tshark() else { return };
    let mut names: Vec<String> = std::fs::read_dir(common::root().join("tests/captures"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("neg_") && n.ends_with(".pcapng"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 25, "the negative corpus: {names:?}");
    let mut runs = 0;
    for name in &names {
        let cap = t.capture(name);
        let packets = t
            .run(&["-r", &cap, "-T", "fields", "-e", "frame.number"])
            .lines()
            .count() as u32;
        let mut files = vec![cap.clone()];
        for q in 1..=3 {
            files.push(cut(t, &cap, packets * q / 4));
        }
        for f in &files {
            for extra in [&[][..], &["-o", "tcp.try_heuristic_first:TRUE"][..]] {
                let mut args = vec!["-2", "-r", f.as_str()];
                args.extend_from_slice(extra);
                args.extend_from_slice(&["-Y", "ws", "-T", "fields", "-e", "frame.number"]);
                let claimed = t.run(&args);
                assert_eq!(claimed, "", "{f} {extra:?}: claimed frames");
                runs += 1;
            }
        }
    }
    assert_eq!(runs, 25 * 4 * 2);
}
