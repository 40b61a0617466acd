//! Keep-alive analysis in the real tshark: TCP probes/ACKs and WebSocket ping/pong on real
//! captures (tests/captures/KEEPALIVE.md says how each was made) and hand-made edge cases.
#[macro_use]
mod common;

use common::pcap::{Conn, Pcap, ACK, PSH, RST};

const KA: [&str; 12] = [
    "frame.number",
    "keepalive.layer",
    "keepalive.kind",
    "keepalive.style",
    "keepalive.num",
    "keepalive.idle",
    "keepalive.interval",
    "keepalive.reply_in",
    "keepalive.reply_to",
    "keepalive.rtt",
    "keepalive.unanswered",
    "keepalive.verdict",
];

fn lines(rows: Vec<Vec<String>>) -> Vec<String> {
    rows.into_iter().map(|r| r.join(",")).collect()
}

/// Our probes/acks are exactly the frames Wireshark's own analysis flags on these simple
/// captures (an independent oracle), whatever the TCP preferences.
fn same_frames_as_wireshark(t: &common::Tshark, cap: &str) {
    let ws_probe = lines(t.fields(cap, "tcp.analysis.keep_alive", &["frame.number"], &[]));
    let ws_ack = lines(t.fields(cap, "tcp.analysis.keep_alive_ack", &["frame.number"], &[]));
    for extra in [
        &[][..],
        &["-o", "tcp.analyze_sequence_numbers:FALSE"][..],
        &["-o", "tcp.desegment_tcp_streams:FALSE"][..],
    ] {
        let probes = lines(t.fields(cap, "keepalive.kind == \"probe\"", &["frame.number"], extra));
        let acks = lines(t.fields(cap, "keepalive.kind == \"ack\"", &["frame.number"], extra));
        assert_eq!(probes, ws_probe, "{cap} {extra:?}");
        assert_eq!(acks, ws_ack, "{cap} {extra:?}");
    }
}

#[test]
fn answered_zero_byte_probes() {
    let t = ts!();
    let cap = t.capture("ka_answered.pcapng");
    let want = [
        "13,tcp,probe,zero-byte,1,1.999119087,,14,,,,",
        "14,tcp,ack,,,,,,13,0.000030180,,",
        "15,tcp,probe,zero-byte,2,4.015130520,2.016011433,16,,,,",
        "16,tcp,ack,,,,,,15,0.000047730,,",
        "17,tcp,probe,zero-byte,3,6.031121742,2.015991222,18,,,,",
        "18,tcp,ack,,,,,,17,0.000041250,,",
        "19,tcp,probe,zero-byte,4,8.051121198,2.019999456,20,,,,",
        "20,tcp,ack,,,,,,19,0.000034120,,",
    ];
    assert_eq!(lines(t.fields(&cap, "keepalive", &KA, &["-2"])), want);
    // Sequence analysis off: the same annotations.
    assert_eq!(
        lines(t.fields(
            &cap,
            "keepalive",
            &KA,
            &["-2", "-o", "tcp.analyze_sequence_numbers:FALSE"]
        )),
        want
    );
    same_frames_as_wireshark(t, &cap);
    let info = t.info(&cap, "frame.number == 13 or frame.number == 14", &["-2"]);
    assert!(
        info[0][0].ends_with(" [KA probe #1 idle=2.0s → 14]"),
        "{info:?}"
    );
    assert!(info[1][0].ends_with(" [KA ack rtt=0.030ms]"), "{info:?}");
    // One pass: what needs the future (answered in) is left out, the rest is there.
    let one = lines(t.fields(&cap, "frame.number == 13", &KA, &[]));
    assert_eq!(one, ["13,tcp,probe,zero-byte,1,1.999119087,,,,,,"]);
}

#[test]
fn unanswered_probes_then_reset() {
    let t = ts!();
    let cap = t.capture("ka_unanswered.pcapng");
    let want = [
        "13,tcp,probe,zero-byte,1,1.998786747,,,,,1,",
        "14,tcp,probe,zero-byte,2,3.022802427,1.024015680,,,,1,",
        "15,tcp,probe,zero-byte,3,4.046798647,1.023996220,,,,1,peer unresponsive after 3 probes",
        "16,tcp,,,,,,,,,,reset after 3 unanswered probes",
    ];
    assert_eq!(lines(t.fields(&cap, "keepalive", &KA, &["-2"])), want);
    assert_eq!(
        lines(t.fields(
            &cap,
            "keepalive",
            &KA,
            &["-2", "-o", "tcp.analyze_sequence_numbers:FALSE"]
        )),
        want
    );
    // Filters users type: unanswered probes, and the verdict (expert warnings too).
    assert_eq!(
        lines(t.fields(&cap, "keepalive.unanswered", &["frame.number"], &["-2"])),
        ["13", "14", "15"]
    );
    assert_eq!(
        lines(t.fields(&cap, "keepalive.expert.verdict", &["frame.number"], &["-2"])),
        ["15", "16"]
    );
    let info = t.info(&cap, "frame.number >= 15", &["-2"]);
    assert!(
        info[0][0].ends_with(" [KA probe #3 idle=4.0s unanswered]"),
        "{info:?}"
    );
    assert!(
        info[1][0].ends_with(" [KA reset after 3 unanswered probes]"),
        "{info:?}"
    );
    // In one pass the RST's verdict is known when it is read.
    assert_eq!(
        lines(t.fields(&cap, "keepalive.verdict", &["frame.number"], &[])),
        ["16"]
    );
}

#[test]
fn one_byte_probes_and_the_garbage_byte() {
    let t = ts!();
    let cap = t.capture("ka_onebyte.pcap");
    let want = [
        "13,tcp,probe,one-byte,1,1.041210000,,14,,,,",
        "14,tcp,ack,,,,,,13,0.000045000,,",
        "15,tcp,probe,one-byte,2,2.041210000,1.000000000,16,,,,",
        "16,tcp,ack,,,,,,15,0.000045000,,",
    ];
    same_frames_as_wireshark(t, &cap);
    // The 0x00 byte is never a WebSocket frame, and the next frame still decodes, in every
    // combination of sequence analysis and reassembly.
    for extra in [
        &["-2"][..],
        &["-2", "-o", "tcp.analyze_sequence_numbers:FALSE"][..],
        &["-2", "-o", "tcp.desegment_tcp_streams:FALSE"][..],
        &[
            "-2",
            "-o",
            "tcp.analyze_sequence_numbers:FALSE",
            "-o",
            "tcp.desegment_tcp_streams:FALSE",
        ][..],
    ] {
        assert_eq!(
            lines(t.fields(&cap, "keepalive", &KA, extra)),
            want,
            "{extra:?}"
        );
        assert!(
            t.fields(
                &cap,
                "ws and (frame.number == 13 or frame.number == 15)",
                &["frame.number"],
                extra
            )
            .is_empty(),
            "{extra:?}"
        );
        let after = lines(t.fields(
            &cap,
            "ws.opcode",
            &["frame.number", "ws.dir", "ws.msg.index", "ws.msg.text"],
            extra,
        ));
        assert!(
            after.contains(&"17,client,3,after idle".to_string()),
            "{extra:?}: {after:?}"
        );
        assert!(
            after.contains(&"18,server,3,echo: after idle".to_string()),
            "{extra:?}: {after:?}"
        );
    }
}

#[test]
fn the_seed_probe_and_its_ack() {
    let t = ts!();
    let cap = t.capture("ka_seed.pcap");
    assert_eq!(
        lines(t.fields(&cap, "keepalive", &KA, &["-2"])),
        [
            "11,tcp,probe,one-byte,1,10.000124000,,12,,,,",
            "12,tcp,ack,,,,,,11,0.000419000,,"
        ]
    );
    same_frames_as_wireshark(t, &cap);
}

#[test]
fn websocket_heartbeat_ping_pong() {
    let t = ts!();
    let cap = t.capture("ka_heartbeat.pcapng");
    let f = [
        "frame.number",
        "keepalive.layer",
        "keepalive.kind",
        "keepalive.num",
        "keepalive.interval",
        "keepalive.reply_in",
        "keepalive.reply_to",
        "keepalive.unanswered",
        "keepalive.unsolicited",
    ];
    let want = [
        "8,ws,ping,1,,9,,,",
        "9,ws,pong,,,,8,,",
        "11,ws,ping,2,0.500558420,12,,,",
        "12,ws,pong,,,,11,,",
        "14,ws,pong,,,,,,1",
        "16,ws,ping,3,0.500501040,17,,,",
        "17,ws,pong,,,,16,,",
        "26,ws,ping,1,0.501269140,27,,,",
        "27,ws,pong,,,,26,,",
        "29,ws,ping,2,0.501000771,30,,,",
        "30,ws,pong,,,,29,,",
        "32,ws,ping,3,0.503837733,33,,,",
        "33,ws,pong,,,,32,,",
    ];
    assert_eq!(lines(t.fields(&cap, "keepalive", &f, &["-2"])), want);
    // Each pong answers the ping with the same payload (what the client sent: hb1..hb6).
    let pings = t.fields(&cap, "keepalive.kind == \"ping\"", &["ws.payload"], &[]);
    let payloads: Vec<String> = pings
        .iter()
        .map(|r| String::from_utf8(unhex(&r[0])).unwrap())
        .collect();
    assert_eq!(payloads, ["hb1", "hb2", "hb3", "hb4", "hb5", "hb6"]);
    assert_eq!(
        lines(t.fields(
            &cap,
            "keepalive.expert.unsolicited_pong",
            &["frame.number"],
            &[]
        )),
        ["14"]
    );
    let info = t.info(&cap, "frame.number == 8 or frame.number == 9", &["-2"]);
    assert!(info[0][0].ends_with(" [Ping #1 → 9]"), "{info:?}");
    assert!(info[1][0].contains(" [Pong ← 8 rtt="), "{info:?}");
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// Where Wireshark's heuristic is wrong: a capture that starts mid-connection with a probe's
/// ACK context only, an answer whose ACK number moved on (the peer sent data), and other
/// segments between a probe and its answer.
#[test]
fn pairing_where_wireshark_guesses_wrong() {
    let t = ts!();
    let mut p = Pcap::new();
    let x = 500_000u32;
    let y = 900_000u32;
    let mut c = Conn::midstream(45000, 7000, x, y);
    // The capture begins: the server acknowledges X (so the client's next sequence is X).
    c.raw(&mut p, false, y, ACK, &[]);
    Conn::idle(&mut p, 30);
    let probe1 = c.raw(&mut p, true, x - 1, ACK, &[]);
    let other = c.raw(&mut p, true, x, ACK, &[]); // a plain ACK of the client in between
    let ack1 = c.raw(&mut p, false, y, ACK, &[]);
    Conn::idle(&mut p, 30);
    let probe2 = c.raw(&mut p, true, x - 1, ACK, &[]);
    // The server answers with data: its segment acks the probe and moves on.
    let ack2 = c.server(&mut p, b"push-update");
    let cap = t.write_capture("handmade_ka_pairing.pcap", p.bytes());
    let got = lines(t.fields(
        &cap,
        "keepalive",
        &[
            "frame.number",
            "keepalive.kind",
            "keepalive.num",
            "keepalive.reply_in",
            "keepalive.reply_to",
        ],
        &["-2"],
    ));
    assert_eq!(
        got,
        [
            format!("{probe1},probe,1,{ack1},"),
            format!("{ack1},ack,,,{probe1}"),
            format!("{probe2},probe,2,{ack2},"),
            format!("{ack2},ack,,,{probe2}"),
        ]
    );
    assert!(t
        .fields(
            &cap,
            &format!("keepalive and frame.number == {other}"),
            &["frame.number"],
            &["-2"]
        )
        .is_empty());
    // A RST after one unanswered probe.
    let mut p = Pcap::new();
    let mut c = Conn::open(&mut p, 45001, 7000);
    c.client(&mut p, b"hello");
    Conn::idle(&mut p, 5);
    let (cn, _) = c.next_seqs();
    let probe = c.raw(&mut p, true, cn - 1, ACK, &[]);
    Conn::idle(&mut p, 5);
    let rst = c.raw(&mut p, true, cn, RST | ACK, &[]);
    let cap = t.write_capture("handmade_ka_reset.pcap", p.bytes());
    let got = lines(t.fields(
        &cap,
        "keepalive",
        &["frame.number", "keepalive.unanswered", "keepalive.verdict"],
        &["-2"],
    ));
    assert_eq!(
        got,
        [
            format!("{probe},1,peer unresponsive after 1 probe"),
            format!("{rst},,reset after 1 unanswered probe")
        ]
    );
    let _ = PSH;
}

/// The shipped column profile shows the plugin's fields as columns (`tshark -C ws-keepalive`).
#[test]
fn column_profile() {
    let t = ts!();
    let cap = t.capture("ka_answered.pcapng");
    let out = t.run(&[
        "-C",
        "ws-keepalive",
        "-r",
        &cap,
        "-2",
        "-Y",
        "frame.number == 8 or frame.number == 13 or frame.number == 14",
    ]);
    let rows: Vec<&str> = out.lines().collect();
    assert_eq!(rows.len(), 3, "{out}");
    // The profile's columns follow Protocol and Length.
    let cols = |l: &str| {
        let v: Vec<String> = l.split_whitespace().map(str::to_string).collect();
        let at = v.iter().position(|c| c == "WS" || c == "TCP").unwrap();
        v[at + 2..].to_vec()
    };
    let r8 = cols(rows[0]);
    assert_eq!(&r8[..4], ["client", "1", "Text", "Client.1"], "{rows:?}");
    let r13 = cols(rows[1]);
    assert_eq!(&r13[..3], ["probe", "1", "1.999119087"], "{rows:?}");
    let r14 = cols(rows[2]);
    assert_eq!(&r14[..2], ["ack", "0.000030180"], "{rows:?}");
}

/// A probe answered by the peer's RST (tests/captures/ka_rst.pcapng, real traffic: the server's
/// kernel forgot the connection, as after a reboot, and the client application got ECONNRESET).
/// The RST answers probe 2: the probe is not unanswered, and neither says "unresponsive" or
/// "unanswered probes". Probe 1 was answered by an ACK.
#[test]
fn probe_answered_by_the_peers_reset() {
    let t = ts!();
    let cap = t.capture("ka_rst.pcapng");
    // The truth: the client's errno, and the frames the recipe's check found.
    let truth: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(common::root().join("tests/captures/ka_rst.truth.json")).unwrap(),
    )
    .unwrap();
    let client_error = truth["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["who"] == "client" && e["event"] == "connection_error")
        .expect("the client's error");
    assert_eq!(client_error["errno_name"], "ECONNRESET");
    assert_eq!(truth["frames"]["rst"], "16");

    let f = [
        "frame.number",
        "keepalive.layer",
        "keepalive.kind",
        "keepalive.num",
        "keepalive.reply_in",
        "keepalive.reply_to",
        "keepalive.unanswered",
        "keepalive.verdict",
    ];
    let want = [
        "13,tcp,probe,1,14,,,",
        "14,tcp,ack,,,13,,",
        "15,tcp,probe,2,16,,,peer reset the connection (it restarted or forgot it)",
        "16,tcp,reset,,,15,,answers probe #2: peer reset the connection (it restarted or forgot it)",
    ];
    assert_eq!(lines(t.fields(&cap, "keepalive", &f, &["-2"])), want);
    assert_eq!(
        lines(t.fields(
            &cap,
            "keepalive",
            &f,
            &["-2", "-o", "tcp.analyze_sequence_numbers:FALSE"]
        )),
        want
    );
    // Wireshark's own analysis agrees on the probes and the one ACK (it has no name for the RST).
    same_frames_as_wireshark(t, &cap);
    // The RST comes from the server (the prober's peer), without ACK, tens of microseconds after
    // the probe.
    let rst = t.fields(
        &cap,
        "keepalive.kind == \"reset\"",
        &[
            "frame.number",
            "ip.src",
            "tcp.flags.reset",
            "tcp.flags.ack",
            "keepalive.rtt",
        ],
        &["-2"],
    );
    assert_eq!(rst.len(), 1, "{rst:?}");
    assert_eq!(rst[0][..4], ["16", "10.81.0.2", "1", "0"]);
    let rtt: f64 = rst[0][4].parse().unwrap();
    assert!(rtt > 0.0 && rtt < 0.001, "{rtt}");
    // Nothing is unanswered, and the expert for unanswered keep-alives does not fire.
    assert!(t
        .fields(&cap, "keepalive.unanswered", &["frame.number"], &["-2"])
        .is_empty());
    assert!(t
        .fields(
            &cap,
            "keepalive.expert.unanswered",
            &["frame.number"],
            &["-2"]
        )
        .is_empty());
    let info = t.info(&cap, "frame.number >= 15", &["-2"]);
    assert_eq!(info.len(), 2, "{info:?}");
    assert!(info[0][0].contains(" [KA probe #2 "), "{info:?}");
    assert!(info[0][0].contains("→ 16"), "{info:?}");
    for row in &info {
        assert!(!row[0].contains("unanswered"), "{info:?}");
        assert!(!row[0].contains("unresponsive"), "{info:?}");
    }
    // One pass: the RST is known to answer probe 2 when it is read; the probe's answer and
    // verdict need the future.
    assert_eq!(
        lines(t.fields(&cap, "keepalive", &f, &[])),
        [
            "13,tcp,probe,1,,,,",
            "14,tcp,ack,,,13,,",
            "15,tcp,probe,2,,,,",
            "16,tcp,reset,,,15,,answers probe #2: peer reset the connection (it restarted or forgot it)",
        ]
    );
}

/// Who sends the RST tells the outcome apart (hand-made): the prober's own RST after its
/// unanswered probes is its kernel giving up (ETIMEDOUT); the peer's RST after a probe answers it.
#[test]
fn reset_by_the_prober_or_by_its_peer() {
    let t = ts!();
    let f = [
        "frame.number",
        "keepalive.kind",
        "keepalive.reply_in",
        "keepalive.reply_to",
        "keepalive.unanswered",
        "keepalive.verdict",
    ];
    // The peer (server) resets: a RST without ACK whose seq is the probe's ack number.
    let mut p = Pcap::new();
    let mut c = Conn::open(&mut p, 45002, 7000);
    c.client(&mut p, b"hello");
    Conn::idle(&mut p, 5);
    let (cn, sn) = c.next_seqs();
    let probe = c.raw(&mut p, true, cn - 1, ACK, &[]);
    let rst = c.raw(&mut p, false, sn, RST, &[]);
    let cap = t.write_capture("handmade_ka_peer_reset.pcap", p.bytes());
    assert_eq!(
        lines(t.fields(&cap, "keepalive", &f, &["-2"])),
        [
            format!("{probe},probe,{rst},,,peer reset the connection (it restarted or forgot it)"),
            format!(
                "{rst},reset,,{probe},,answers probe #1: peer reset the connection (it restarted or forgot it)"
            ),
        ]
    );
    // The prober (client) gives up after two unanswered probes and resets itself.
    let mut p = Pcap::new();
    let mut c = Conn::open(&mut p, 45003, 7000);
    c.client(&mut p, b"hello");
    Conn::idle(&mut p, 5);
    let (cn, _) = c.next_seqs();
    let p1 = c.raw(&mut p, true, cn - 1, ACK, &[]);
    Conn::idle(&mut p, 1);
    let p2 = c.raw(&mut p, true, cn - 1, ACK, &[]);
    Conn::idle(&mut p, 1);
    let rst = c.raw(&mut p, true, cn, RST | ACK, &[]);
    let cap = t.write_capture("handmade_ka_prober_reset.pcap", p.bytes());
    assert_eq!(
        lines(t.fields(&cap, "keepalive", &f, &["-2"])),
        [
            format!("{p1},probe,,,1,"),
            format!("{p2},probe,,,1,peer unresponsive after 2 probes"),
            format!("{rst},,,,,reset after 2 unanswered probes"),
        ]
    );
}

#[test]
fn websocket_ping_late_after_a_regular_cadence() {
    let t = ts!();
    let cap = t.capture("ka_ping_late.pcapng");
    let got = lines(t.fields(
        &cap,
        "keepalive.kind == \"ping\"",
        &[
            "frame.number",
            "keepalive.num",
            "keepalive.interval",
            "keepalive.verdict",
        ],
        &["-2"],
    ));
    // The client's ws pinged p1..p9 every 500 ms; its event loop stalled 1.6 s after p5
    // ("stall-start" .. "stall-end" in ka_ping_late.truth.jsonl), so p6 (frame 26) is late.
    assert_eq!(
        got,
        [
            "11,1,,",
            "14,2,0.500123166,",
            "17,3,0.500613967,",
            "20,4,0.500039301,",
            "23,5,0.502534804,",
            "26,6,1.601594878,ping 1.6 s after the sender's previous ping, more than 1.5 × its regular cadence of 501 ms",
            "29,7,0.500397995,",
            "32,8,0.513972319,",
            "35,9,0.500911143,",
        ]
    );
    // One expert (PI_SEQUENCE, warning), on the late ping, and the Info column says so.
    let ex = t.fields(
        &cap,
        "keepalive.expert.late",
        &["frame.number", "_ws.expert.group"],
        &[],
    );
    assert_eq!(ex, [vec!["26".to_string(), "33554432".to_string()]]);
    let info = t.info(&cap, "frame.number == 26", &[]);
    assert!(info[0][0].ends_with("[Ping #6 late]"), "{info:?}");
    // No other capture's WebSocket pings are late (the 500 ms cadence of ka_heartbeat holds).
    let hb = t.capture("ka_heartbeat.pcapng");
    assert!(t
        .fields(&hb, "keepalive.verdict", &["frame.number"], &[])
        .is_empty());
}
