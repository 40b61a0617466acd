//! `scripts/ws-messages` (JSON Lines export) against the peers' own logs
//! (tests/captures/*.truth.jsonl): every message the peers sent explicitly appears, in order,
//! with its exact type, length, payload (SHA-256 of the text or of the base64-decoded data) and
//! close code/reason; the only extra messages are the libraries' automatic pongs and Close echoes.
#[macro_use]
mod common;

use sha2::{Digest, Sha256};

/// Run scripts/ws-messages; one JSON object per output line.
fn export(capture: &str, extra: &[&str]) -> Vec<serde_json::Value> {
    if common::tshark().is_none() {
        return Vec::new();
    }
    let capture = common::root().join("tests/captures").join(capture);
    let mut args = vec![capture.into_os_string()];
    args.extend(extra.iter().map(Into::into));
    common::ws_messages(args)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn payload(m: &serde_json::Value) -> Vec<u8> {
    match (m.get("text"), m.get("base64")) {
        (Some(t), _) => t.as_str().unwrap().as_bytes().to_vec(),
        (None, Some(b)) => common::base64_decode(b.as_str().unwrap()),
        _ => panic!("no payload: {m}"),
    }
}

/// Every truth line matches the next exported message of its direction (extras: automatic pongs
/// and Close echoes only). Returns the number of truth lines checked.
fn check_truth(capture: &str, extra: &[&str]) -> usize {
    let msgs = export(capture, extra);
    if msgs.is_empty() && common::tshark().is_none() {
        return 0;
    }
    let truth_name = capture.replace(".pcapng", ".truth.jsonl");
    let truth =
        std::fs::read_to_string(common::root().join("tests/captures").join(truth_name)).unwrap();
    let mut checked = 0;
    for dir in ["client", "server"] {
        // in message-number order (a control frame between fragments completes first)
        let mut mine: Vec<&serde_json::Value> = msgs.iter().filter(|m| m["dir"] == dir).collect();
        mine.sort_by_key(|m| m["n"].as_u64().unwrap());
        // numbers per direction: 1, 2, 3, ...
        for (i, m) in mine.iter().enumerate() {
            assert_eq!(m["n"], i as u64 + 1, "{capture}: numbering {m}");
        }
        let mut it = mine.iter();
        for line in truth.lines().filter(|l| !l.trim().is_empty()) {
            let t: serde_json::Value = serde_json::from_str(line).unwrap();
            if t["dir"] != dir {
                continue;
            }
            let m = loop {
                let m = it
                    .next()
                    .unwrap_or_else(|| panic!("{capture}: missing {t}"));
                if m["type"] == t["type"] {
                    break m;
                }
                assert!(
                    m["type"] == "pong" || m["type"] == "close",
                    "{capture}: unexpected {m} before {t}"
                );
            };
            assert_eq!(m["len"], t["len"], "{capture}: {m} vs {t}");
            let p = payload(m);
            assert_eq!(p.len() as u64, t["len"].as_u64().unwrap(), "{capture}: {t}");
            let sha: String = Sha256::digest(&p)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(
                sha,
                t["sha256"].as_str().unwrap(),
                "{capture}: payload of {t}"
            );
            if let Some(text) = t.get("text") {
                assert_eq!(&m["text"], text, "{capture}");
            }
            if t["type"] == "close" {
                assert_eq!(m["close_code"], t["close_code"], "{capture}");
                assert_eq!(m["close_reason"], t["close_reason"], "{capture}");
            }
            checked += 1;
        }
        for m in it {
            assert!(
                m["type"] == "pong" || m["type"] == "close",
                "{capture}: extra {m}"
            );
        }
    }
    checked
}

#[test]
fn py_basic_every_message() {
    let msgs = export("py_basic.pcapng", &[]);
    if msgs.is_empty() {
        return;
    }
    assert_eq!(msgs.len(), 22);
    let m = &msgs[0];
    assert_eq!(m["stream"], 0);
    assert_eq!(m["client"], "10.77.0.1:44208");
    assert_eq!(m["server"], "10.77.0.2:8765");
    assert_eq!(m["frame"], 8);
    assert_eq!(m["text"], "hello");
    let pings: Vec<_> = msgs.iter().filter(|m| m["type"] == "ping").collect();
    assert_eq!(pings.len(), 1);
    assert_eq!(pings[0]["base64"], "a2Ex");
    let big: Vec<u64> = msgs
        .iter()
        .filter(|m| m["len"] == 200000)
        .map(|m| m["frame"].as_u64().unwrap())
        .collect();
    assert_eq!(big, [416, 607]);
    let uni: Vec<_> = msgs
        .iter()
        .filter(|m| m["n"] == 9)
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(uni, ["héllo wörld ✓ 日本", "héllo wörld ✓ 日本"]);
    assert_eq!(check_truth("py_basic.pcapng", &[]), 20);
}

#[test]
fn node_fragmented_and_several_messages_per_packet() {
    let msgs = export("node_frag.pcapng", &[]);
    if msgs.is_empty() {
        return;
    }
    // one packet completes many messages: each is its own line, numbers consecutive
    let mut per_frame = std::collections::HashMap::new();
    for m in &msgs {
        *per_frame.entry(m["frame"].as_u64().unwrap()).or_insert(0) += 1;
    }
    assert!(per_frame.values().any(|&n| n > 10), "{per_frame:?}");
    assert!(msgs.iter().any(|m| m["frames"].as_u64().unwrap() > 1));
    assert_eq!(check_truth("node_frag.pcapng", &[]), 48);
}

#[test]
fn compressed_messages_are_inflated() {
    let msgs = export("m_deflate_py.pcapng", &[]);
    if msgs.is_empty() {
        return;
    }
    assert!(msgs.iter().any(|m| m["compressed"] == true));
    assert!(check_truth("m_deflate_py.pcapng", &[]) > 0);
}

#[test]
fn more_captures_match_the_truth() {
    for cap in [
        "node_port80.pcapng",
        "m_abrupt_fin.pcapng",
        "m_abrupt_rst.pcapng",
        "m_deflate_node_frag.pcapng",
        "m_deflate_py_nocontext.pcapng",
        "m_json_subprotocol.pcapng",
    ] {
        check_truth(cap, &[]);
    }
}

#[test]
fn a_display_filter_narrows_the_export() {
    let msgs = export("py_basic.pcapng", &["-Y", "ws.dir == \"server\""]);
    if msgs.is_empty() {
        return;
    }
    assert_eq!(msgs.len(), 11);
    assert!(msgs.iter().all(|m| m["dir"] == "server"));
}

#[test]
fn app_protocol_events_and_heartbeats_in_the_export() {
    if common::tshark().is_none() {
        return;
    }
    let sum = |cap: &str| {
        export(cap, &["--summary"])
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
    };
    // paho-mqtt / mosquitto (tests/captures/APP.md): 5 PINGREQ answered, one late.
    assert_eq!(
        sum("app_mqtt.pcapng"),
        [
            r#"{"app":"MQTT","client":"127.0.0.1:44551","heartbeats":{"answered":5,"count":5,"late":1,"rtt_ms":{"avg":0.144,"max":0.166,"min":0.131}},"messages":19,"server":"127.0.0.1:3015","stream":0,"what":{"CONNACK":1,"CONNECT":1,"DISCONNECT":1,"PINGREQ":5,"PINGRESP":5,"PUBLISH":4,"SUBACK":1,"SUBSCRIBE":1}}"#
        ]
    );
    // STOMP heart-beats are one-way: counted, none answered, the one after the stall late.
    assert_eq!(
        sum("app_stomp.pcapng"),
        [
            r#"{"app":"STOMP","client":"127.0.0.1:36424","heartbeats":{"answered":0,"count":10,"late":1},"messages":21,"server":"127.0.0.1:15674","stream":0,"what":{"CONNECT":1,"CONNECTED":1,"MESSAGE":2,"RECEIPT":2,"SEND":2,"SUBSCRIBE":1,"heart-beat":10}}"#
        ]
    );
    // Plain WebSocket pings: the late one after the client's stall.
    assert_eq!(
        sum("ka_ping_late.pcapng"),
        [
            r#"{"client":"127.0.0.1:48010","messages":22,"pings":{"answered":9,"count":9,"late":1,"rtt_ms":{"avg":1.438,"max":4.033,"min":0.41}},"server":"127.0.0.1:3031","stream":0}"#
        ]
    );
    // Per message: the Socket.IO event names and the late Engine.IO pong.
    let msgs = export("app_socketio.pcapng", &[]);
    let by_frame = |f: u64| {
        msgs.iter()
            .find(|m| m["frame"] == f)
            .unwrap_or_else(|| panic!("frame {f}"))
    };
    assert_eq!(by_frame(19)["app"], "Socket.IO");
    assert_eq!(
        by_frame(19)["what"],
        serde_json::json!(["EVENT \"chat message\""])
    );
    assert_eq!(
        by_frame(23)["what"],
        serde_json::json!(["binary attachment"])
    );
    assert_eq!(
        by_frame(43)["keepalive"],
        serde_json::json!({"app": "engine.io", "kind": "pong", "reply_to": 39, "rtt": 1.900205499,
            "late": "pong 1.9 s after the ping, pingTimeout is 0.5 s: the pinger closes the connection"})
    );
}
