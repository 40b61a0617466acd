//! Golden tests of the push-service protocols on real captures (tests/captures/APP.md): exact
//! field values against what socket.io, graphql-ws and @microsoft/signalr logged as sent.
#[macro_use]
mod common;

use ws_keepalive::fields_app::APP_PROTOCOLS;

fn rows(t: &common::Tshark, cap: &str, filter: &str, fields: &[&str]) -> Vec<String> {
    let cap = t.capture(cap);
    t.fields(&cap, filter, fields, &["-2"])
        .iter()
        .map(|r| r.join(" ").trim_end().to_string())
        .collect()
}

#[test]
fn every_app_field_is_registered_under_its_protocol() {
    let t = ts!();
    let out = t.run(&["-G", "fields"]);
    for p in APP_PROTOCOLS.iter() {
        for d in p.fields.iter() {
            let row = out
                .lines()
                .find(|l| l.split('\t').nth(2) == Some(d.abbrev))
                .unwrap_or_else(|| panic!("{} missing from tshark -G fields", d.abbrev));
            let cols: Vec<&str> = row.split('\t').collect();
            assert_eq!(
                (cols[3], cols[4]),
                (d.ft.wireshark_name(), p.filter),
                "{}",
                d.abbrev
            );
        }
    }
    assert!(out
        .lines()
        .any(|l| l.split('\t').nth(2) == Some("keepalive.app")));
}

#[test]
fn socketio_packets_exact() {
    let t = ts!();
    let got = rows(
        t,
        "app_socketio.pcapng",
        "socketio.type",
        &[
            "frame.number",
            "ws.dir",
            "socketio.type",
            "socketio.nsp",
            "socketio.ack_id",
            "socketio.event",
            "socketio.arg",
        ],
    );
    // What sio_client.js / sio_server.js logged as sent (eio-send "message" data).
    let want = [
        "10 client 0 /",
        "11 client 0 /admin",
        "12 server 0 /",
        "13 server 2 /  welcome \"hello from the server\"|42",
        "17 server 0 /admin",
        "19 client 2 / 0 chat message \"hi there\"",
        "20 server 3 / 0  {\"ok\":true,\"echoed\":\"hi there\"}",
        "22 client 5 / 1 upload \"blob.bin\"|{\"_placeholder\":true,\"num\":0}",
        "25 server 3 / 1  \"stored 6\"",
        "26 client 2 /admin 0 status",
        "27 server 3 /admin 0  {\"users\":1}",
    ];
    assert_eq!(got, want);
}

#[test]
fn socketio_binary_attachment_links_both_ways() {
    let t = ts!();
    let got = rows(
        t,
        "app_socketio.pcapng",
        "socketio.attachments || socketio.attachment_of",
        &[
            "frame.number",
            "socketio.attachments",
            "socketio.attachment_in",
            "socketio.attachment_of",
            "socketio.attachment_num",
        ],
    );
    assert_eq!(got, ["22 1 23", "23   22 0"]);
    // The client logged the attachment as bytes de ad be ef 00 01.
    let data = rows(
        t,
        "app_socketio.pcapng",
        "socketio.attachment_of",
        &["ws.msg.data"],
    );
    assert_eq!(data, ["deadbeef0001"]);
}

#[test]
fn engineio_open_and_heartbeats_as_keepalives() {
    let t = ts!();
    let got = rows(
        t,
        "app_socketio.pcapng",
        "engineio.type == 0",
        &[
            "engineio.sid",
            "engineio.ping_interval",
            "engineio.ping_timeout",
            "engineio.max_payload",
            "engineio.detected_by",
        ],
    );
    assert_eq!(got, ["kcSlKFrPZtuN8oObAAAA 1000 500 1000000 path"]);
    let got = rows(
        t,
        "app_socketio.pcapng",
        "keepalive.layer == \"app\"",
        &[
            "frame.number",
            "ws.dir",
            "keepalive.app",
            "keepalive.kind",
            "keepalive.num",
            "keepalive.reply_in",
            "keepalive.reply_to",
        ],
    );
    // Four server pings (1000 ms apart), each answered by the client's pong; the fourth only
    // after the client's 2.5 s stall.
    assert_eq!(
        got,
        [
            "29 server engine.io ping 1 31",
            "31 client engine.io pong   29",
            "33 server engine.io ping 2 34",
            "34 client engine.io pong   33",
            "36 server engine.io ping 3 37",
            "37 client engine.io pong   36",
            "39 server engine.io ping 4 43",
            "43 client engine.io pong   39",
        ]
    );
}

#[test]
fn late_pong_gets_the_verdict_and_expert() {
    let t = ts!();
    let cap = t.capture("app_socketio.pcapng");
    let got = t.fields(
        &cap,
        "keepalive.verdict",
        &["frame.number", "keepalive.verdict", "_ws.expert.group"],
        &[],
    );
    // The server closed the connection ("ping timeout" in its log) 0.5 s after its ping in 39.
    assert_eq!(
        got,
        [vec![
            "43".to_string(),
            "pong 1.9 s after the ping, pingTimeout is 0.5 s: the pinger closes the connection"
                .to_string(),
            "33554432".to_string() // PI_SEQUENCE
        ]]
    );
}

#[test]
fn graphql_transport_ws_exact() {
    let t = ts!();
    let got = rows(
        t,
        "app_graphql.pcapng",
        "graphql_ws",
        &[
            "frame.number",
            "ws.dir",
            "graphql_ws.subprotocol",
            "graphql_ws.type",
            "graphql_ws.operation_name",
            "keepalive.kind",
            "keepalive.reply_in",
            "keepalive.reply_to",
        ],
    );
    let want = [
        "8 client graphql-transport-ws connection_init",
        "9 server graphql-transport-ws connection_ack",
        "11 client graphql-transport-ws subscribe Hello",
        "12 server graphql-transport-ws next",
        "14 server graphql-transport-ws complete",
        "16 client graphql-transport-ws subscribe Greetings",
        "17 server graphql-transport-ws next",
        "18 server graphql-transport-ws next",
        "19 server graphql-transport-ws next",
        "20 server graphql-transport-ws complete",
        "22 client graphql-transport-ws ping  ping 23",
        "23 server graphql-transport-ws pong  pong  22",
        "25 client graphql-transport-ws ping  ping 26",
        "26 server graphql-transport-ws pong  pong  25",
    ];
    assert_eq!(got, want);
    let q = rows(
        t,
        "app_graphql.pcapng",
        "graphql_ws.type == \"subscribe\"",
        &["graphql_ws.query"],
    );
    assert_eq!(
        q,
        [
            "query Hello { hello }",
            "subscription Greetings { greetings }"
        ]
    );
}

#[test]
fn signalr_hub_protocol_exact() {
    let t = ts!();
    let got = rows(
        t,
        "app_signalr.pcapng",
        "signalr",
        &[
            "frame.number",
            "ws.dir",
            "signalr.detected_by",
            "signalr.handshake",
            "signalr.type",
            "signalr.target",
            "signalr.invocation_id",
            "signalr.arg",
            "signalr.result",
        ],
    );
    let want = [
        "15 client path request",
        "16 server path response",
        "17 client path  6",
        "18 client path  1 SendMessage 0 \"alice\"|\"hello hub\"",
        "20 server path  1 ReceiveMessage  \"alice\"|\"hello hub\"",
        "21 server path  3  0  {\"delivered\":true}",
        "23 client path  1 Add 1 2|40",
        "24 server path  3  1  42",
        "25 client path  1 SendMessage  \"bob\"|\"fire and forget\"",
        "26 server path  1 ReceiveMessage  \"bob\"|\"fire and forget\"",
        "28 server path  6",
        "30 client path  6",
        "32 server path  6",
        "33 client path  6",
        "35 client path  7",
    ];
    assert_eq!(got, want);
    let hb = rows(
        t,
        "app_signalr.pcapng",
        "keepalive.app == \"signalr\"",
        &[
            "frame.number",
            "keepalive.layer",
            "keepalive.kind",
            "keepalive.num",
        ],
    );
    assert_eq!(
        hb,
        [
            "17 app heartbeat 1",
            "28 app heartbeat 1",
            "30 app heartbeat 1",
            "32 app heartbeat 2",
            "33 app heartbeat 2"
        ]
    );
}

#[test]
fn plain_websocket_captures_get_no_app_protocol() {
    let t = ts!();
    for cap in [
        "py_basic.pcapng",
        "node_frag.pcapng",
        "m_json_subprotocol.pcapng",
    ] {
        let got = rows(
            t,
            cap,
            "engineio || socketio || stomp || signalr || graphql_ws || keepalive.layer == \"app\"",
            &["frame.number"],
        );
        assert!(got.is_empty(), "{cap}: {got:?}");
    }
}

#[test]
fn stomp_frames_exact() {
    let t = ts!();
    let got = rows(
        t,
        "app_stomp.pcapng",
        "stomp.command",
        &[
            "frame.number",
            "ws.dir",
            "stomp.detected_by",
            "stomp.command",
            "stomp.destination",
            "stomp.id",
            "stomp.receipt",
            "stomp.receipt_id",
            "stomp.subscription",
            "stomp.content_length",
            "stomp.body.text",
            "stomp.heart_beat",
        ],
    );
    // What stompjs logged as sent (">>> ...") and received ("<<< ...", "message", "receipt").
    let want = [
        "8 client subprotocol CONNECT        1000,1000",
        "9 server subprotocol CONNECTED        1000,1000",
        "10 client subprotocol SUBSCRIBE /queue/wsk-app sub-0",
        "11 client subprotocol SEND /queue/wsk-app  r-1   11 hello stomp",
        "12 client subprotocol SEND /queue/wsk-app  r-2   6 second",
        "14 server subprotocol RECEIPT    r-1",
        "15 server subprotocol MESSAGE /queue/wsk-app  r-1  sub-0 11 hello stomp",
        "16 server subprotocol MESSAGE /queue/wsk-app  r-2  sub-0 6 second",
        "17 server subprotocol RECEIPT    r-2",
    ];
    assert_eq!(got, want);
    // STOMP 1.2 header escaping: stompjs sent x-note "a:b" as "a\cb"; the broker echoed it.
    let note = rows(
        t,
        "app_stomp.pcapng",
        "stomp.header.name == \"x-note\"",
        &["frame.number", "stomp.header.value"],
    );
    assert_eq!(
        note,
        [
            "12 /queue/wsk-app|a:b|r-2|6",
            "16 sub-0|/queue/wsk-app|T_sub-0@@session-_EY2L8HPP5_3nX958c7ABg@@2|false|r-2|a:b|6"
        ]
    );
    let v = rows(
        t,
        "app_stomp.pcapng",
        "stomp.command == \"CONNECTED\"",
        &[
            "stomp.version",
            "stomp.heart_beat.client_to_server",
            "stomp.heart_beat.server_to_client",
        ],
    );
    // The broker's CONNECTED: "version:1.2", "heart-beat:1000,1000" (stompjs "connected").
    assert_eq!(v, ["1.2 1000 1000"]);
}

#[test]
fn stomp_heartbeats_one_way_and_the_late_one() {
    let t = ts!();
    let got = rows(
        t,
        "app_stomp.pcapng",
        "keepalive.app == \"stomp\"",
        &[
            "frame.number",
            "ws.dir",
            "keepalive.layer",
            "keepalive.kind",
            "keepalive.num",
            "keepalive.interval",
            "keepalive.reply_in",
        ],
    );
    // RabbitMQ's heart-beats every 1.0 s from CONNECTED (frame 9), stompjs's every 1.0 s from
    // its onConnect; then stompjs's event loop stalls 2.5 s ("stall-start" .. "stall-end" in the
    // truth file) and its fourth heart-beat goes out 2.7 s after the third.
    assert_eq!(
        got,
        [
            "19 server app heartbeat 1 0.500204797",
            "21 client app heartbeat 1 1.005019543",
            "23 server app heartbeat 2 1.002043040",
            "25 client app heartbeat 2 1.000391522",
            "27 server app heartbeat 3 1.001943231",
            "29 client app heartbeat 3 1.001168760",
            "31 server app heartbeat 4 1.002018679",
            "33 server app heartbeat 5 1.001937347",
            "35 server app heartbeat 6 1.002062094",
            "37 client app heartbeat 4 2.701109249",
        ]
    );
    let cap = t.capture("app_stomp.pcapng");
    let late = t.fields(
        &cap,
        "keepalive.verdict",
        &["frame.number", "keepalive.verdict", "_ws.expert.group"],
        &[],
    );
    assert_eq!(
        late,
        [vec![
            "37".to_string(),
            "heartbeat 2.7 s after the sender's previous message, more than twice the negotiated heart-beat of 1.0 s".to_string(),
            "33554432".to_string()
        ]]
    );
}

#[test]
fn mqtt_stays_mqtt_and_its_pings_are_keepalives() {
    let t = ts!();
    // Wireshark's MQTT dissector still shows every control packet paho/mosquitto logged.
    let got = rows(
        t,
        "app_mqtt.pcapng",
        "mqtt",
        &[
            "frame.number",
            "ws.dir",
            "mqtt.msgtype",
            "mqtt.kalive",
            "mqtt.topic",
        ],
    );
    assert_eq!(
        got,
        [
            "8 client 1 2",
            "10 server 2",
            "12 client 8  wsk/app",
            "13 server 9",
            "14 client 3  wsk/app",
            "15 server 3  wsk/app",
            "17 client 12",
            "18 server 13",
            "20 client 12",
            "21 server 13",
            "23 client 12",
            "24 server 13",
            "26 client 3  wsk/app",
            "27 server 3  wsk/app",
            "29 client 12",
            "30 server 13",
            "32 client 12",
            "33 server 13",
            "35 client 14",
        ]
    );
    assert!(rows(
        t,
        "app_mqtt.pcapng",
        "engineio || socketio || stomp || signalr || graphql_ws",
        &["frame.number"]
    )
    .is_empty());
    let ka = rows(
        t,
        "app_mqtt.pcapng",
        "keepalive.app == \"mqtt\"",
        &[
            "frame.number",
            "keepalive.kind",
            "keepalive.num",
            "keepalive.reply_in",
            "keepalive.reply_to",
            "keepalive.rtt",
        ],
    );
    // paho's five "Sending PINGREQ" and mosquitto's five "Sending PINGRESP"; the run restarts
    // after the PUBLISH in frame 26.
    assert_eq!(
        ka,
        [
            "17 ping 1 18",
            "18 pong   17 0.000130995",
            "20 ping 2 21",
            "21 pong   20 0.000140669",
            "23 ping 3 24",
            "24 pong   23 0.000165747",
            "29 ping 1 30",
            "30 pong   29 0.000130984",
            "32 ping 2 33",
            "33 pong   32 0.000149803",
        ]
    );
    let cap = t.capture("app_mqtt.pcapng");
    let late = t.fields(
        &cap,
        "keepalive.verdict",
        &["frame.number", "keepalive.verdict", "_ws.expert.group"],
        &[],
    );
    // paho's loop stalled 3.3 s after its PUBLISH in frame 26 (truth: stall-start/stall-end).
    assert_eq!(
        late,
        [vec![
            "29".to_string(),
            "ping 3.3 s after the sender's previous message, 1.5 × the CONNECT Keep Alive of 2 s: the server closes the connection".to_string(),
            "33554432".to_string()
        ]]
    );
}

/// Frames `range` (editcap's syntax) of a committed capture, as a new capture tshark can read.
fn cut(t: &common::Tshark, cap: &str, range: &str) -> String {
    let src = t.capture(cap);
    let tmp = std::env::temp_dir().join(format!("wsk-cut-{}-{range}.pcapng", std::process::id()));
    let st = std::process::Command::new("editcap")
        .args(["-r", &src, tmp.to_str().unwrap(), range])
        .status()
        .expect("editcap");
    assert!(st.success());
    let bytes = std::fs::read(&tmp).unwrap();
    let _ = std::fs::remove_file(&tmp);
    t.write_capture(&format!("cut-{range}-{cap}"), &bytes)
}

#[test]
fn decode_as_table_is_registered_for_decode_as() {
    let t = ts!();
    let out = t.run(&["-G", "dissector-tables"]);
    let row = out
        .lines()
        .find(|l| l.starts_with("ws.app.port\t"))
        .expect("ws.app.port in -G dissector-tables");
    assert!(row.ends_with("Decode As supported"), "{row}");
}

#[test]
fn decode_as_mqtt_on_a_capture_without_the_handshake() {
    let t = ts!();
    // app_mqtt from frame 12 on: no handshake, no CONNECT. Nothing says it is MQTT...
    let cap = cut(t, "app_mqtt.pcapng", "12-40");
    let plain = t.fields(
        &cap,
        "ws",
        &["frame.number", "mqtt.msgtype", "keepalive.app"],
        &[],
    );
    let frames: Vec<&str> = plain.iter().map(|r| r[0].as_str()).collect();
    // Mid-stream detection finds the WebSocket frames from the server's PUBLISH in frame 4 on
    // (decided on both directions' frames; the earlier segments are one pass's loss).
    assert_eq!(
        frames,
        ["4", "6", "7", "9", "10", "12", "13", "15", "16", "18", "19", "21", "22", "24", "25"]
    );
    assert!(
        plain.iter().all(|r| r[1].is_empty() && r[2].is_empty()),
        "{plain:?}"
    );
    // ... until the user says so: Wireshark's MQTT dissector, PINGREQ/PINGRESP as keep-alives
    // (no CONNECT in the capture, so no Keep Alive to judge lateness by).
    let got: Vec<String> = t
        .fields(
            &cap,
            "ws",
            &[
                "frame.number",
                "mqtt.msgtype",
                "keepalive.app",
                "keepalive.kind",
                "keepalive.reply_in",
                "keepalive.reply_to",
            ],
            &["-2", "-d", "ws.app.port==3015,mqtt"],
        )
        .iter()
        .map(|r| r.join(" ").trim_end().to_string())
        .collect();
    assert_eq!(
        got,
        [
            // With -2 every frame from the first frame boundary (mid-stream, earlier segments).
            "1 8",
            "2 9",
            "3 3",
            "4 3",
            "6 12 mqtt ping 7",
            "7 13 mqtt pong  6",
            "9 12 mqtt ping 10",
            "10 13 mqtt pong  9",
            "12 12 mqtt ping 13",
            "13 13 mqtt pong  12",
            "15 3",
            "16 3",
            "18 12 mqtt ping 19",
            "19 13 mqtt pong  18",
            "21 12 mqtt ping 22",
            "22 13 mqtt pong  21",
            "24 14",
            "25",
        ]
    );
}

#[test]
fn decode_as_wins_over_the_subprotocol_and_bad_input_stays_readable() {
    let t = ts!();
    let cap = t.capture("app_graphql.pcapng");
    let got = t.fields(
        &cap,
        "graphql_ws",
        &["frame.number", "graphql_ws.detected_by", "graphql_ws.type"],
        &["-d", "ws.app.port==3012,graphql_ws"],
    );
    assert_eq!(got[0], ["8", "decode-as", "connection_init"]);
    // STOMP frames forced to Engine.IO: every message is an Engine.IO packet with an expert,
    // no STOMP, no crash.
    let cap = t.capture("app_stomp.pcapng");
    let (out, err) = t.run_both(&[
        "-r",
        &cap,
        "-d",
        "ws.app.port==15674,engineio",
        "-Y",
        "ws.msg.text && engineio.expert.unknown_type",
        "-T",
        "fields",
        "-e",
        "frame.number",
        "-e",
        "stomp.command",
        "-e",
        "_ws.col.Protocol",
    ]);
    assert!(
        !err.contains("Dissector bug") && !err.contains("WARNING"),
        "{err}"
    );
    let rows: Vec<&str> = out.lines().collect();
    assert_eq!(rows.len(), 19, "{out}");
    assert_eq!(rows[0], "8\t\tEngine.IO");
}
