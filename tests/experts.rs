//! Every anomaly of the core (`Anomaly::ALL`) is raised as its expert info by the plugin when
//! tshark dissects real input: the hand-made violations capture for the RFC 6455 rules, and
//! committed captures (some with a preference set, or cut with editcap) for the caps, the
//! connection's end, compression and gaps. A new anomaly without a source here fails the test.

#[macro_use]
mod common;

use common::pcap::{Conn, Pcap, ACK, FIN};
use common::violations::violations;
use common::{root, Frame, Tshark};
use std::process::Command;
use ws_keepalive::core::anomaly::Anomaly;

/// A capture of tests/adversarial, where tshark's user can read it.
fn adversarial(t: &Tshark, name: &str) -> String {
    let bytes = std::fs::read(root().join("tests/adversarial").join(name)).unwrap();
    t.write_capture(name, &bytes)
}

/// `editcap [-r] SRC OUT PACKETS`: SRC without (or, keep, with only) PACKETS, as OUT where
/// tshark's user can read it.
fn editcap(t: &Tshark, src: &str, out: &str, keep: bool, packets: &str) -> String {
    let dst = t.dir.join(out);
    let mut cmd = Command::new("editcap");
    if keep {
        cmd.arg("-r");
    }
    let st = cmd
        .arg(src)
        .arg(&dst)
        .arg(packets)
        .status()
        .expect("run editcap");
    assert!(st.success(), "editcap {src} {packets} failed");
    let bytes = std::fs::read(&dst).unwrap();
    t.write_capture(out, &bytes)
}

/// A Close from the client that the server never answers before both sides send FIN.
fn close_unanswered(t: &Tshark) -> String {
    let mut p = Pcap::new();
    let mut c = Conn::open(&mut p, 40300, 8765);
    c.ws_handshake(&mut p, None);
    c.client(
        &mut p,
        &Frame::close(&1000u16.to_be_bytes())
            .masked([1, 2, 3, 4])
            .encode(),
    );
    let (cseq, sseq) = c.next_seqs();
    c.raw(&mut p, true, cseq, FIN | ACK, &[]);
    c.raw(&mut p, false, sseq, FIN | ACK, &[]);
    t.write_capture("close_unanswered.pcap", p.bytes())
}

fn frames_with(t: &Tshark, cap: &str, key: &str, extra: &[&str]) -> usize {
    t.fields(cap, &format!("ws.expert.{key}"), &["frame.number"], extra)
        .len()
}

#[test]
fn every_expert_comes_from_dissection() {
    let t = ts!();
    let mut covered: Vec<&str> = Vec::new();

    let v = violations(t);
    for (key, frames) in &v.want {
        assert_eq!(
            frames_with(t, &v.cap, key, &[]),
            frames.len(),
            "{key} in the violations capture"
        );
        covered.push(key);
    }

    let py_basic = t.capture("py_basic.pcapng");
    // Packet 16: the header of the client's 65,535-byte frame (tests/gaps.rs).
    let gap = editcap(t, &py_basic, "py_basic-without-16.pcapng", false, "16");
    let nocontext = t.capture("m_deflate_py_nocontext.pcapng");
    let resp = t.fields(
        &nocontext,
        "http.response.code == 101",
        &["frame.number"],
        &[],
    );
    let after_101 = format!("{}-100000", resp[0][0].parse::<u32>().unwrap() + 1);
    let sources: Vec<(&str, String, Vec<&str>)> = vec![
        (
            "unmask_capped",
            py_basic.clone(),
            vec!["-o", "ws.max_unmask:4"],
        ),
        (
            "message_truncated",
            t.capture("node_frag.pcapng"),
            vec!["-o", "ws.max_message:12"],
        ),
        (
            "closed_without_close",
            t.capture("m_abrupt_rst.pcapng"),
            vec!["-2"],
        ),
        ("close_unanswered", close_unanswered(t), vec!["-2"]),
        ("decompression_capped", adversarial(t, "bomb.pcap"), vec![]),
        (
            "decompression_failed",
            adversarial(t, "recursion_accept_heuristic.pcapng"),
            vec![],
        ),
        (
            "compressed_context_unknown",
            editcap(
                t,
                &nocontext,
                "m_deflate_after_101.pcapng",
                true,
                &after_101,
            ),
            vec![],
        ),
        ("capture_gap", gap.clone(), vec![]),
        ("resynchronized", gap, vec![]),
    ];
    for (key, cap, extra) in &sources {
        assert!(
            frames_with(t, cap, key, extra) > 0,
            "{key}: none in {cap} {extra:?}"
        );
        covered.push(key);
    }

    let mut missing: Vec<&str> = Anomaly::ALL
        .into_iter()
        .map(Anomaly::key)
        .filter(|k| !covered.contains(k))
        .collect();
    missing.sort_unstable();
    assert_eq!(missing, Vec::<&str>::new(), "anomalies with no source");
}
