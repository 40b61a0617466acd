//! Golden tests: the real tshark with the built plugin, on real and hand-made captures, asserting
//! exact field values. Each committed capture's recipe is in tests/captures/README.md.
#[macro_use]
mod common;

use common::pcap::{Conn, Pcap};
use common::violations::{violations, Violations};
use common::Frame;
use ws_keepalive::fields::FIELDS;

#[test]
fn plugin_is_loaded_with_its_names() {
    let t = ts!();
    let plugins = t.run(&["-G", "plugins"]);
    assert!(
        plugins.lines().any(|l| {
            let c: Vec<&str> = l.split('\t').map(str::trim).collect();
            c.len() >= 3
                && c[0] == "ws_keepalive.so"
                && c[1] == env!("CARGO_PKG_VERSION")
                && c[2] == "dissector"
        }),
        "plugin not listed: {plugins}"
    );
    let protos = t.run(&["-G", "protocols"]);
    assert!(
        protos.lines().any(|l| l
            .split('\t')
            .take(3)
            .eq(["WebSocket (ws-keepalive)", "WS", "ws"])),
        "protocol not listed"
    );
    // The built-in dissector is still there, under its own names.
    assert!(protos.lines().any(|l| l.split('\t').take(3).eq([
        "WebSocket",
        "WebSocket",
        "websocket"
    ])));
    let heur = t.run(&["-G", "heuristic-decodes"]);
    assert!(
        heur.lines()
            .any(|l| l.split('\t').take(3).eq(["tcp", "ws", "T"])),
        "ws_tcp heuristic not listed: {heur}"
    );
}

#[test]
fn every_field_of_the_table_is_registered_with_its_type() {
    let t = ts!();
    let out = t.run(&["-G", "fields"]);
    for d in FIELDS.iter() {
        let row = out
            .lines()
            .find(|l| l.split('\t').nth(2) == Some(d.abbrev))
            .unwrap_or_else(|| panic!("{} missing from tshark -G fields", d.abbrev));
        let cols: Vec<&str> = row.split('\t').collect();
        assert_eq!(cols[1], d.name, "{}", d.abbrev);
        assert_eq!(cols[3], d.ft.wireshark_name(), "{}", d.abbrev);
        assert_eq!(cols[4], "ws", "{} belongs to another protocol", d.abbrev);
    }
}

#[test]
fn py_basic_messages_exact() {
    let t = ts!();
    let cap = t.capture("py_basic.pcapng");
    let rows = t.fields(
        &cap,
        "ws.msg.len",
        &[
            "ws.dir",
            "ws.msg.index",
            "ws.msg.type",
            "ws.msg.len",
            "ws.msg.frames",
        ],
        &[],
    );
    let got: Vec<String> = rows.iter().map(|r| r.join(" ")).collect();
    let mut want = Vec::new();
    let lens = [
        ("1", "5"),
        ("2", "0"),
        ("2", "125"),
        ("2", "126"),
        ("2", "65535"),
        ("2", "65536"),
        ("2", "200000"),
        ("1", "125"),
        ("1", "24"),
        ("9", "3"),
        ("8", "6"),
    ];
    for (i, (ty, len)) in lens.iter().enumerate() {
        let ty_server = match *ty {
            "9" => "10",
            x => x,
        }; // the server answers the ping with a pong
        want.push(format!("client {} {} {} 1", i + 1, ty, len));
        want.push(format!("server {} {} {} 1", i + 1, ty_server, len));
    }
    assert_eq!(got, want);

    // Text messages in full, and the close code/reason.
    let texts = t.fields(&cap, "ws.msg.text", &["ws.dir", "ws.msg.text"], &[]);
    let texts: Vec<String> = texts.iter().map(|r| r.join(" ")).collect();
    let abc: String = (0..125)
        .map(|i| {
            "abcdefghijklmnopqrstuvwxyz0123456789"[i % 36..]
                .chars()
                .next()
                .unwrap()
        })
        .collect();
    assert_eq!(
        texts,
        vec![
            "client hello".to_string(),
            "server hello".into(),
            format!("client {abc}"),
            format!("server {abc}"),
            "client héllo wörld ✓ 日本".into(),
            "server héllo wörld ✓ 日本".into(),
        ]
    );
    let close = t.fields(
        &cap,
        "ws.opcode == 8",
        &["ws.dir", "ws.close.code", "ws.close.reason"],
        &[],
    );
    assert_eq!(
        close,
        vec![
            vec!["client", "1000", "done"],
            vec!["server", "1000", "done"]
        ]
    );
}

#[test]
fn py_basic_length_forms_and_unmasking() {
    let t = ts!();
    let cap = t.capture("py_basic.pcapng");
    // Every length form, on client (masked) and server (unmasked) frames.
    let rows = t.fields(
        &cap,
        "ws.opcode == 2",
        &["ws.dir", "ws.mask", "ws.len"],
        &[],
    );
    let lens: Vec<String> = rows.iter().map(|r| r.join(" ")).collect();
    let mut want = Vec::new();
    for l in ["0", "125", "126", "65535", "65536", "200000"] {
        want.push(format!("client 1 {l}"));
        want.push(format!("server 0 {l}"));
    }
    assert_eq!(lens, want);
    // The tree names the form that carried the length.
    let v = t.run(&[
        "-r",
        &cap,
        "-V",
        "-Y",
        "ws.len == 126 or ws.len == 65536 or ws.len == 125",
    ]);
    assert!(v.contains("Payload length: 125 (7-bit length)"), "{v}");
    assert!(v.contains("Payload length: 126 (16-bit extended length)"));
    assert!(v.contains("Payload length: 65536 (64-bit extended length)"));
    // The 200000-byte binary unmasks to the bytes the client sent (i % 251), in full.
    let rows = t.fields(
        &cap,
        "ws.len == 200000 and ws.dir == \"client\"",
        &["ws.payload", "ws.msg.data"],
        &[],
    );
    let want: Vec<u8> = (0..200000u32).map(|i| (i % 251) as u8).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][0], common::hex(&want));
    assert_eq!(rows[0][1], common::hex(&want));
    // `tshark -x` shows the "Unmasked payload" data source of the masked "hello".
    let x = t.run(&[
        "-r",
        &cap,
        "-x",
        "-Y",
        "ws.payload.text == \"hello\" and ws.mask == 1",
    ]);
    assert!(x.contains("Unmasked payload (5 bytes):"), "{x}");
    assert!(x.contains("68 65 6c 6c 6f"));
}

#[test]
fn py_basic_handshake_fields() {
    let t = ts!();
    let cap = t.capture("py_basic.pcapng");
    let get = t.fields(
        &cap,
        "http.sec_websocket_key",
        &["frame.number", "http.sec_websocket_key"],
        &[],
    );
    assert_eq!(get.len(), 1);
    // The handshake shows on the 101 response: the request's key, the accept and its check.
    let rows = t.fields(
        &cap,
        "ws.handshake.accept",
        &[
            "frame.number",
            "http.response.code",
            "ws.handshake.request_in",
            "ws.handshake.key",
            "http.sec_websocket_accept",
            "ws.handshake.accept",
            "ws.handshake.accept_valid",
        ],
        &[],
    );
    assert_eq!(rows.len(), 1, "{rows:?}");
    let r = &rows[0];
    assert_eq!(r[1], "101");
    assert_eq!(r[2], get[0][0]);
    assert_eq!(r[3], get[0][1]);
    assert_eq!(r[4], r[5]);
    assert_eq!(r[6], "1");
    // Every WebSocket frame points back to the handshake.
    let refs = t.fields(
        &cap,
        "ws.opcode",
        &["ws.handshake.request_in", "ws.handshake.response_in"],
        &[],
    );
    assert!(
        refs.iter().all(|x| x[0] == get[0][0] && x[1] == r[0]),
        "{refs:?}"
    );
    // The GET itself is HTTP's only: nothing of ws on it, in one pass or two.
    for extra in [&[][..], &["-2"][..]] {
        let on_get = t.fields(
            &cap,
            &format!("ws and frame.number == {}", get[0][0]),
            &["frame.number"],
            extra,
        );
        assert!(on_get.is_empty());
    }
}

/// Info without the keep-alive annotations, which gain "→ answered in" on a second pass.
fn strip_ka(info: &str) -> String {
    let mut out = String::new();
    let mut rest = info;
    while let Some(i) = [" [KA ", " [Ping", " [Pong"]
        .iter()
        .filter_map(|p| rest.find(p))
        .min()
    {
        out.push_str(&rest[..i]);
        rest = rest[i..]
            .find(']')
            .map(|j| &rest[i + j + 1..])
            .unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// The same fields in one pass, in two passes, and through the `ws_tcp` heuristic or Decode As
/// instead of HTTP's own detection.
#[test]
fn results_identical_across_passes_and_detection_paths() {
    let t = ts!();
    for name in [
        "py_basic.pcapng",
        "node_frag.pcapng",
        "node_port80.pcapng",
        "m_deflate_py.pcapng",
        "m_deflate_node_frag.pcapng",
        "m_midstream_py.pcapng",
    ] {
        if !common::root().join("tests/captures").join(name).exists() {
            continue;
        }
        let cap = t.capture(name);
        let f = &[
            "frame.number",
            "ws.dir",
            "ws.msg.index",
            "ws.msg.type",
            "ws.msg.fragment",
            "ws.msg.len",
            "ws.msg.frames",
            "ws.payload",
            "_ws.col.Info",
        ];
        let norm = |rows: Vec<Vec<String>>| -> Vec<Vec<String>> {
            rows.into_iter()
                .map(|mut r| {
                    let last = r.len() - 1;
                    r[last] = strip_ka(&r[last]);
                    r
                })
                .collect()
        };
        let one = norm(t.fields(&cap, "ws.opcode", f, &[]));
        assert!(!one.is_empty(), "{name}: no WebSocket frames");
        let mut two = norm(t.fields(&cap, "ws.opcode", f, &["-2"]));
        if name == "m_midstream_py.pcapng" {
            // Recognised mid-stream: one pass starts at the deciding segment, -2 shows the frames
            // before it too (README, "What each pass shows"), with the same numbers after it.
            let before: Vec<String> = two.drain(..3).map(|r| r[0].clone()).collect();
            assert_eq!(
                before,
                ["1", "2", "4"],
                "{name}: frames before the decision"
            );
        }
        assert_eq!(one, two, "{name}: -2 differs");
        if name == "py_basic.pcapng" {
            let heur = norm(t.fields(&cap, "ws.opcode", f, &["--disable-heuristic", "http_tcp"]));
            assert_eq!(one, heur, "{name}: ws_tcp path differs");
            let forced = norm(t.fields(
                &cap,
                "ws.opcode",
                f,
                &[
                    "--disable-heuristic",
                    "http_tcp",
                    "--disable-heuristic",
                    "ws_tcp",
                    "-d",
                    "tcp.port==8765,ws",
                ],
            ));
            assert_eq!(one, forced, "{name}: Decode As differs");
            // With our heuristic off and HTTP's off, nothing is WebSocket.
            let none = t.fields(
                &cap,
                "ws",
                &["frame.number"],
                &[
                    "--disable-heuristic",
                    "http_tcp",
                    "--disable-heuristic",
                    "ws_tcp",
                ],
            );
            assert!(none.is_empty());
        }
    }
}

fn expert_frames(t: &common::Tshark, cap: &str, key: &str) -> Vec<u32> {
    t.fields(cap, &format!("ws.expert.{key}"), &["frame.number"], &[])
        .iter()
        .map(|r| r[0].parse().unwrap())
        .collect()
}

/// One expert info per RFC 6455 violation, on the frame that commits it (hand-made capture).
#[test]
fn violations_each_raise_their_expert() {
    let t = ts!();
    let Violations { cap, want, ok } = violations(t);
    for (key, frames) in &want {
        assert_eq!(&expert_frames(t, &cap, key), frames, "expert {key}");
    }
    // RFC violations are protocol errors of well-formed frames (README.developer: PI_PROTOCOL),
    // never Malformed: `_ws.malformed` finds only bytes that cannot be dissected. Here every
    // frame is dissected, so it finds none, while the Protocol group holds the violations.
    assert_eq!(
        t.fields(&cap, "_ws.malformed", &["frame.number"], &[]),
        Vec::<Vec<String>>::new()
    );
    for key in [
        "control_frame_too_big",
        "length_not_minimal",
        "reserved_opcode",
    ] {
        let rows = t.fields(
            &cap,
            &format!("ws.expert.{key} && _ws.expert.group == 0x09000000"),
            &["frame.number"],
            &[],
        );
        assert!(!rows.is_empty(), "{key} is not in the Protocol group");
    }
    // A correct frame raises nothing.
    let clean = t.fields(
        &cap,
        &format!("frame.number == {ok}"),
        &["ws.msg.text", "_ws.expert.message"],
        &[],
    );
    assert_eq!(clean, vec![vec!["fine".to_string(), String::new()]]);
    // The 2^63 length is shown, not truncated.
    let huge_len = t.fields(&cap, "ws.expert.length_msb_set", &["ws.len"], &[]);
    assert_eq!(huge_len[0][0], (1u64 << 63).to_string());
    // The interrupted message of connection a: "ab" is dropped, "cd" is a message of its own.
    let texts = t.fields(
        &cap,
        "tcp.srcport == 40001 and ws.msg.text",
        &["ws.msg.index", "ws.msg.text"],
        &[],
    );
    assert!(texts.iter().any(|r| r[1] == "cd"), "{texts:?}");
}

/// Frames of one message that span segments, many frames in one segment, and a fragmented message
/// with a control frame inside it (hand-made: exact byte layout under our control).
#[test]
fn segmentation_coalescing_and_fragmentation() {
    let t = ts!();
    let k = [1, 2, 3, 4];
    let mut p = Pcap::new();
    let mut c = Conn::open(&mut p, 40100, 8765);
    c.ws_handshake(&mut p, None);
    // Three frames in one segment: Text "Hel" (no FIN), Ping "x", Continuation "lo" (FIN).
    let mut seg = Frame::text(b"Hel").fin(false).masked(k).encode();
    seg.extend(Frame::ping(b"x").masked(k).encode());
    seg.extend(Frame::continuation(b"lo").masked(k).encode());
    let n1 = c.client(&mut p, &seg);
    // A 3000-byte server frame split over three segments, the last carrying one more frame.
    let big: Vec<u8> = (0..3000u32).map(|i| (i % 7) as u8 + b'a').collect();
    let f = Frame::text(&big).encode();
    c.server(&mut p, &f[..1000]);
    c.server(&mut p, &f[1000..2000]);
    let mut tail = f[2000..].to_vec();
    tail.extend(Frame::pong(b"x").encode());
    let n2 = c.server(&mut p, &tail);
    let cap = t.write_capture("handmade_segments.pcap", p.bytes());

    let rows = t.fields(
        &cap,
        "ws.opcode",
        &[
            "frame.number",
            "ws.opcode",
            "ws.msg.index",
            "ws.msg.fragment",
            "ws.msg.len",
            "ws.msg.frames",
            "ws.msg.text",
        ],
        &[],
    );
    let rows: Vec<String> = rows.iter().map(|r| r.join(" ")).collect();
    let big_s = String::from_utf8(big).unwrap();
    assert_eq!(
        rows,
        vec![
            format!("{n1} 1|9|0 1|2|1 1|1|2 1|5 1|2 Hello"),
            format!("{n2} 1|10 1|2 1|1 3000|1 1|1 {big_s}"),
        ]
    );
    // Each frame has its own Info entry, in order.
    let info = t.info(&cap, "ws.opcode", &[]);
    assert_eq!(info[0][0], "Client.1 Text [MASKED] len=3 Hel | Client.2 Ping [FIN MASKED] len=1 78 | Client.1 Continuation [FIN MASKED] len=2 lo [Ping #1]");
    assert!(
        info[1][0].starts_with("Server.1 Text [FIN] len=3000 abcdefgabcdefg"),
        "{:?}",
        info[1]
    );
    assert!(
        strip_ka(&info[1][0]).ends_with(" | Server.2 Pong [FIN] len=1 78"),
        "{:?}",
        info[1]
    );
    // The fragmented message has a "Reassembled message" data source.
    let x = t.run(&["-r", &cap, "-x", "-Y", &format!("frame.number == {n1}")]);
    assert!(x.contains("Reassembled message (5 bytes):"), "{x}");
}

/// Nothing that is not WebSocket is claimed (real captures of other protocols and a refused upgrade).
#[test]
fn negatives_are_never_claimed() {
    let t = ts!();
    let mut tried = 0;
    for entry in std::fs::read_dir(common::root().join("tests/captures")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !name.starts_with("neg_") || !name.ends_with(".pcapng") {
            continue;
        }
        tried += 1;
        let cap = t.capture(&name);
        let any = t.fields(&cap, "ws or websocket", &["frame.number"], &[]);
        assert!(any.is_empty(), "{name}: claimed frames {any:?}");
        // Not even with our heuristic tried first.
        let any = t.fields(
            &cap,
            "ws",
            &["frame.number"],
            &["-o", "tcp.try_heuristic_first:TRUE"],
        );
        assert!(
            any.is_empty(),
            "{name}: claimed with heuristics first {any:?}"
        );
    }
    assert!(tried >= 3, "negative captures missing");
}

/// The message fields (length, frame count, text, bytes) sit on the frame that completes a
/// message and on no other fragment: node_frag's client sends a Text message in three frames
/// with a Ping between the first two, then a Binary message in two.
#[test]
fn message_fields_exist_on_completing_frames_only() {
    let t = ts!();
    let cap = t.capture("node_frag.pcapng");
    let rows = t.fields(
        &cap,
        "ws.dir == \"client\" and frame.number <= 16",
        &[
            "frame.number",
            "ws.msg.index",
            "ws.msg.fragment",
            "ws.fin",
            "ws.msg.len",
            "ws.msg.frames",
            "ws.msg.text",
            "ws.msg.data",
        ],
        &[],
    );
    // The peer's two fragments: pattern(300, 3) and pattern(200, 5) (node_ws.js).
    let pattern = |n: u32, mul: u32| (0..n).map(move |i| (i * mul % 251) as u8);
    let binary: Vec<u8> = pattern(300, 3).chain(pattern(200, 5)).collect();
    let row = |cells: [&str; 8]| cells.map(str::to_string).to_vec();
    assert_eq!(
        rows,
        vec![
            row(["8", "1", "1", "0", "", "", "", ""]),
            row(["9", "2", "1", "1", "2", "1", "", "7031"]),
            row(["10", "1", "2", "0", "", "", "", ""]),
            row([
                "11",
                "1",
                "3",
                "1",
                "28",
                "3",
                "frag-one frag-two frag-three",
                &common::hex(b"frag-one frag-two frag-three"),
            ]),
            row(["15", "3", "1", "0", "", "", "", ""]),
            row(["16", "3", "2", "1", "500", "2", "", &common::hex(&binary)]),
        ]
    );
}

/// The unmask and reassembly caps cut what is shown, say so, and keep the numbers right.
#[test]
fn caps_cut_with_an_expert_note() {
    let t = ts!();
    let cap = t.capture("py_basic.pcapng");
    let rows = t.fields(
        &cap,
        "ws.len == 200000 and ws.mask == 1",
        &["ws.len", "ws.payload", "ws.msg.len", "_ws.expert.message"],
        &["-o", "ws.max_unmask:4"],
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][0], "200000");
    assert_eq!(rows[0][1], "00010203");
    assert_eq!(rows[0][2], "200000", "the message length is the real one");
    assert_eq!(
        rows[0][3],
        "Unmasked payload cut at 4 of 200000 bytes (preference ws.max_unmask)"
    );

    let k = [9, 8, 7, 6];
    let mut p = Pcap::new();
    let mut c = Conn::open(&mut p, 40200, 8765);
    c.ws_handshake(&mut p, None);
    c.client(
        &mut p,
        &Frame::binary(b"0123456789").fin(false).masked(k).encode(),
    );
    let last = c.client(
        &mut p,
        &Frame::continuation(b"abcdefghij").masked(k).encode(),
    );
    let cap = t.write_capture("handmade_cap.pcap", p.bytes());
    let rows = t.fields(
        &cap,
        "ws.msg.len",
        &["frame.number", "ws.msg.len", "ws.msg.frames", "ws.msg.data"],
        &["-o", "ws.max_message:12"],
    );
    assert_eq!(
        rows,
        vec![vec![
            last.to_string(),
            "20".into(),
            "2".into(),
            common::hex(b"0123456789ab")
        ]]
    );
    assert_eq!(
        expert_frames(t, &cap, "message_truncated"),
        Vec::<u32>::new(),
        "default cap is large"
    );
    let cut = t.fields(
        &cap,
        "ws.expert.message_truncated",
        &["frame.number"],
        &["-o", "ws.max_message:12"],
    );
    assert_eq!(cut, vec![vec![last.to_string()]]);
}

/// Who closed first, which Close answers which, and how TCP ended (real captures).
#[test]
fn close_handshake_and_connection_end() {
    let t = ts!();
    let cap = t.capture("node_frag.pcapng");
    let f = [
        "frame.number",
        "ws.dir",
        "ws.close.code",
        "ws.close.reason",
        "ws.close.initiator",
        "ws.close.reply_in",
        "ws.close.reply_to",
    ];
    let rows = t.fields(&cap, "ws.close.code", &f, &["-2"]);
    assert_eq!(rows.len(), 2);
    let (first, reply) = (&rows[0], &rows[1]);
    assert_eq!(first[1..5], ["server", "4000", "bye", "server"]);
    assert_eq!(first[5], reply[0], "reply_in names the client's Close");
    assert_eq!(reply[1..5], ["client", "4000", "bye", "server"]);
    assert_eq!(reply[6], first[0]);
    let end = t.fields(
        &cap,
        "ws.end",
        &["tcp.flags.fin", "ws.end", "ws.end.abnormal"],
        &[],
    );
    assert_eq!(
        end,
        [["1", "closed by the server: Close (4000 Private use) answered by the client, then TCP FIN from the client", "0"]]
    );
    // Connections that end without any Close frame: the applications see 1006.
    for (name, how) in [
        ("m_abrupt_rst.pcapng", "RST"),
        ("m_abrupt_fin.pcapng", "FIN"),
    ] {
        let cap = t.capture(name);
        assert!(t
            .fields(&cap, "ws.close.code", &["frame.number"], &[])
            .is_empty());
        let end = t.fields(&cap, "ws.end", &["ws.end", "ws.end.abnormal"], &[]);
        assert_eq!(end.len(), 1, "{name}");
        assert!(
            end[0][0].starts_with(&format!("TCP {how} from the ")),
            "{name}: {end:?}"
        );
        assert!(end[0][0].ends_with(" without a Close handshake (the applications see 1006)"));
        assert_eq!(end[0][1], "1");
        assert_eq!(
            t.fields(
                &cap,
                "ws.expert.closed_without_close",
                &["frame.number"],
                &[]
            )
            .len(),
            1
        );
    }
}

/// Messages go to Wireshark's own dissectors: by subprotocol (MQTT over WebSocket, a real
/// mosquitto broker and paho client) and JSON for text that is JSON (preference ws.json).
#[test]
fn payloads_dispatched_to_subprotocol_and_json() {
    let t = ts!();
    let cap = t.capture("m_mqtt_ws.pcapng");
    let hs = t.fields(
        &cap,
        "ws.handshake.protocol",
        &["ws.handshake.protocol"],
        &[],
    );
    assert_eq!(hs, [["mqtt"]]);
    let publishes = t.fields(
        &cap,
        "mqtt.msgtype == 3",
        &["ws.dir", "mqtt.topic", "mqtt.msg"],
        &[],
    );
    assert!(publishes.len() >= 4, "{publishes:?}");
    assert_eq!(
        publishes[..4],
        [
            [
                "client",
                "wsk/test/a",
                &common::hex(b"hello mqtt over websocket")[..]
            ],
            [
                "server",
                "wsk/test/a",
                &common::hex(b"hello mqtt over websocket")[..]
            ],
            [
                "client",
                "wsk/test/b",
                &common::hex(br#"{"temp": 21.5, "unit": "C"}"#)[..]
            ],
            [
                "server",
                "wsk/test/b",
                &common::hex(br#"{"temp": 21.5, "unit": "C"}"#)[..]
            ],
        ]
    );
    let cap = t.capture("m_json_subprotocol.pcapng");
    let with = t.fields(
        &cap,
        "ws.msg.text",
        &["ws.msg.text", "json.value.string"],
        &[],
    );
    assert!(with.len() >= 4);
    assert!(with.iter().all(|r| r[0].starts_with('{')), "{with:?}");
    assert!(with[0][1].contains("welcome"), "{with:?}");
    let without = t.fields(
        &cap,
        "ws.msg.text",
        &["ws.msg.text", "json.value.string"],
        &["-o", "ws.json:FALSE"],
    );
    assert_eq!(without.len(), with.len());
    assert!(
        without.iter().all(|r| r[1].is_empty()),
        "JSON dissector still called: {without:?}"
    );
    // ws.msg.text stays filled either way.
    let a: Vec<&String> = with.iter().map(|r| &r[0]).collect();
    let b: Vec<&String> = without.iter().map(|r| &r[0]).collect();
    assert_eq!(a, b);
}

/// A deflate bomb: a ~100 kB compressed message that inflates to 100 MB stops at the cap
/// (preference ws.max_inflate, 10 MiB by default) with an expert warning; tshark's peak memory
/// stays far below what inflating it all would take. (Its time and memory:
/// `scripts/captures/make-adversarial.sh --measure`, on tests/adversarial/bomb.pcap.)
#[test]
fn deflate_bomb_stays_within_the_cap() {
    let t = ts!();
    let bomb = miniz_oxide::deflate::compress_to_vec(&vec![0u8; 100 * 1024 * 1024], 6);
    assert!(
        bomb.len() < 200 * 1024,
        "compressed bomb is {} bytes",
        bomb.len()
    );
    let mut p = Pcap::new();
    let mut c = Conn::open(&mut p, 40300, 8765);
    c.ws_handshake_ext(&mut p, "permessage-deflate");
    let frame = Frame::binary(&bomb).rsv(4).encode();
    let last = c.server_stream(&mut p, &frame);
    let cap = t.write_capture("handmade_bomb.pcap", p.bytes());
    let rows = t.fields(
        &cap,
        "ws.msg.len",
        &[
            "frame.number",
            "ws.msg.compressed",
            "ws.msg.wire_len",
            "ws.msg.len",
        ],
        &[],
    );
    assert_eq!(
        rows,
        [[
            last.to_string(),
            "1".into(),
            bomb.len().to_string(),
            (10 * 1024 * 1024).to_string()
        ]]
    );
    assert_eq!(expert_frames(t, &cap, "decompression_capped"), [last]);
    let rows = t.fields(
        &cap,
        "ws.msg.len",
        &["ws.msg.len"],
        &["-o", "ws.max_inflate:1000"],
    );
    assert_eq!(rows, [["1000"]]);
    // Peak memory of the tshark runs above (children of this test process), in kB on Linux.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage fills the struct we pass.
    assert_eq!(
        unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) },
        0
    );
    assert!(
        ru.ru_maxrss < 400 * 1024,
        "a child peaked at {} kB",
        ru.ru_maxrss
    );
}

/// A Close answered after the closer's TCP FIN (real captures, tests/captures/MORE.md): the
/// client sends Close and at once ends its sending side (m_close_then_fin: shutdown(SHUT_WR)
/// after websockets' sans-I/O framing; m_close_then_fin_lws: a libwebsockets 4.1 client, which
/// closes its socket, so its kernel resets the connection when the answer arrives). The server
/// answers after that FIN; its application saw a clean 1000. The end is a normal closure, not
/// "never answered".
#[test]
fn close_answered_after_the_closers_fin() {
    let t = ts!();
    let f = [
        "frame.number",
        "tcp.flags.fin",
        "ws.dir",
        "ws.close.code",
        "ws.close.initiator",
        "ws.close.reply_in",
        "ws.close.reply_to",
        "ws.end",
        "ws.end.abnormal",
    ];
    let normal = "closed by the client: Close (1000 Normal Closure), TCP FIN from the client, then the server answered the Close";
    for name in ["m_close_then_fin.pcapng", "m_close_then_fin_lws.pcapng"] {
        let cap = t.capture(name);
        let rows = t.fields(&cap, "ws.close.code or ws.end", &f, &["-2"]);
        assert_eq!(
            rows,
            [
                ["12", "0", "client", "1000", "client", "14", "", "", ""],
                ["13", "1", "", "", "client", "", "", normal, "0"],
                ["14", "0", "server", "1000", "client", "", "12", "", ""],
            ],
            "{name}"
        );
        for key in ["close_unanswered", "closed_without_close"] {
            assert!(
                t.fields(
                    &cap,
                    &format!("ws.expert.{key}"),
                    &["frame.number"],
                    &["-2"]
                )
                .is_empty(),
                "{name}: {key}"
            );
        }
        // One pass: at the FIN the answer has not been read yet; the End says so and raises
        // nothing (the peer can still answer after a FIN).
        let one = t.fields(
            &cap,
            "ws.end",
            &["frame.number", "ws.end", "ws.end.abnormal"],
            &[],
        );
        assert_eq!(
            one,
            [[
                "13",
                "the client sent Close (1000 Normal Closure), then TCP FIN; no Close from the server yet (it can still answer)",
                "0"
            ]],
            "{name}"
        );
        assert!(
            expert_frames(t, &cap, "close_unanswered").is_empty(),
            "{name}"
        );
    }
    // The truth: both peers' messages, and the client's Close 1000 "bye" (the server's Close is
    // its library's automatic answer, not a truth line).
    for name in ["m_close_then_fin", "m_close_then_fin_lws"] {
        let truth = std::fs::read_to_string(
            common::root().join(format!("tests/captures/{name}.truth.jsonl")),
        )
        .unwrap();
        let closes: Vec<&str> = truth.lines().filter(|l| l.contains("\"close\"")).collect();
        assert_eq!(closes.len(), 1, "{name}");
        assert!(closes[0].contains("\"dir\": \"client\""), "{name}");
        assert!(closes[0].contains("\"close_code\": 1000"), "{name}");
    }
}

/// On compressed connections (permessage-deflate), `ws.payload.text` is the inflated text, never
/// the deflate bytes decoded as text. On connections of unfragmented messages it is, frame for
/// frame, what Wireshark's own dissector shows as `websocket.payload.text`. (On fragmented
/// compressed messages, m_deflate_node_frag, the built-in shows the deflate bytes of first
/// fragments as text; there the check is that no frame carries U+FFFD noise and every
/// compressed text message has its text.)
#[test]
fn compressed_frames_show_inflated_text() {
    let (t, b) = ts_and_builtin!();
    for name in [
        "m_deflate_py.pcapng",
        "m_deflate_py_nocontext.pcapng",
        "m_deflate_node_frag.pcapng",
    ] {
        let cap = t.capture(name);
        let ours = t.fields(
            &cap,
            "ws.payload.text",
            &["frame.number", "ws.payload.text"],
            &[],
        );
        assert!(!ours.is_empty(), "{name}: no text");
        if !name.contains("frag") {
            let theirs = b.fields(
                &cap,
                "websocket.payload.text",
                &["frame.number", "websocket.payload.text"],
                &[],
            );
            assert_eq!(ours, theirs, "{name}");
        }
        let noise = t.fields(
            &cap,
            "ws.payload.text contains \"\\xef\\xbf\\xbd\"",
            &["frame.number"],
            &[],
        );
        assert!(noise.is_empty(), "{name}: U+FFFD in {noise:?}");
        let texts = t.fields(
            &cap,
            "ws.msg.compressed == 1 && ws.msg.type == 1",
            &["ws.payload.text"],
            &[],
        );
        assert!(
            !texts.is_empty() && texts.iter().all(|r| !r[0].is_empty()),
            "{name}"
        );
    }
}
