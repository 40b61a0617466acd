//! Golden tests of the push-service protocols on real captures (tests/captures/APP.md): exact
//! field values against what socket.io, graphql-ws and @microsoft/signalr logged as sent.
mod common;

use common::tshark;
use ws_keepalive::fields_app::APP_PROTOCOLS;

macro_rules! ts {
    () => {
        match tshark() {
            Some(t) => t,
            None => return,
        }
    };
}

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
