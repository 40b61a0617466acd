//! The "WebSocket/Connections" statistics tree (`tshark -q -z ws,tree`, src/epan/stats.c) on
//! real captures (tests/captures/*.md say how each was made). Each expected line is
//! `name | count | average | min | max` (empty trailing columns dropped); the rate and burst
//! columns are not compared.
#[macro_use]
mod common;

use common::tshark;

/// `tshark -q -z ws,tree` on a capture, one normalised line per tree node.
fn tree(args: &[&str]) -> Vec<String> {
    let t = tshark().expect("tshark");
    let out = t.run(args);
    let lines: Vec<&str> = out.lines().collect();
    let hdr = lines
        .iter()
        .position(|l| l.starts_with("Topic / Item"))
        .unwrap_or_else(|| panic!("no stats tree in the output:\n{out}"));
    assert_eq!(lines[hdr - 1], "WebSocket/Connections:");
    let count_at = lines[hdr].find("Count").unwrap();
    let mut rows = Vec::new();
    for l in &lines[hdr + 2..] {
        if l.trim().is_empty() || l.starts_with("---") {
            break;
        }
        let name = l[..count_at].trim_end().to_string();
        let rest = &l[count_at..];
        let mut cols: Vec<String> = (0..4)
            .map(|i| {
                rest.get(14 * i..(14 * (i + 1)).min(rest.len()))
                    .unwrap_or("")
                    .trim()
                    .to_string()
            })
            .collect();
        while cols.last().is_some_and(|c| c.is_empty()) {
            cols.pop();
        }
        let mut row = vec![name];
        row.extend(cols);
        rows.push(row.join(" | "));
    }
    rows
}

fn check(capture: &str, expected: &[&str]) {
    let t = ts!();
    let cap = t.capture(capture);
    let one = tree(&["-r", &cap, "-q", "-z", "ws,tree"]);
    assert_eq!(one, expected, "{capture}: one pass");
    // Two passes (-2) give the same tree.
    let two = tree(&["-r", &cap, "-2", "-q", "-z", "ws,tree"]);
    assert_eq!(two, expected, "{capture}: two passes");
}

#[test]
fn fragmented_node_connection_closed_by_the_server() {
    check(
        "node_frag.pcapng",
        &[
            "Connection 1: 10.77.0.1:35926 (client) <-> 10.77.0.2:8080 (server) | 50",
            " Lifetime: 218.884 ms (frames 9-96) | 0",
            " Longest silence between messages: 105.936 ms (before frame 18) | 0",
            " Messages client -> server: 646 bytes | 44 | 14.68 | 2 | 500",
            "  Binary | 1 | 500.00 | 500 | 500",
            "  Close | 1 | 5.00 | 5 | 5",
            "  Ping | 1 | 2.00 | 2 | 2",
            "  Text | 41 | 3.39 | 2 | 28",
            " Messages server -> client: 70030 bytes | 6 | 11671.67 | 2 | 70000",
            "  Binary | 1 | 70000.00 | 70000 | 70000",
            "  Close | 1 | 5.00 | 5 | 5",
            "  Pong | 1 | 2.00 | 2 | 2",
            "  Text | 3 | 7.67 | 7 | 9",
            " End: closed by the server: Close (4000 Private use) answered by the client, then TCP FIN from the client | 2",
            "  Close 4000 from the client | 1",
            "  Close 4000 from the server | 1",
            " Pings | 1",
            "  answered, RTT (ms) | 1 | 1.65 | 1.645371 | 1.645371",
            "  no pong | 0",
            "  unsolicited pongs | 0",
            " TCP keep-alive probes | 0",
            "  answered, ACK RTT (ms) | 0",
            "  unanswered | 0",
        ],
    );
}

#[test]
fn answered_tcp_keepalive_probes() {
    check(
        "ka_answered.pcapng",
        &[
            "Connection 1: 10.78.0.1:46690 (client) <-> 10.78.0.2:8765 (server) | 8",
            " Lifetime: 8.319 s (frames 8-26) | 0",
            " Longest silence between messages: 8.312 s (before frame 21) | 0",
            " Messages client -> server: 29 bytes | 4 | 7.25 | 5 | 10",
            "  Close | 1 | 5.00 | 5 | 5",
            "  Text | 3 | 8.00 | 7 | 10",
            " Messages server -> client: 47 bytes | 4 | 11.75 | 5 | 16",
            "  Close | 1 | 5.00 | 5 | 5",
            "  Text | 3 | 14.00 | 13 | 16",
            " End: closed by the client: Close (1000 Normal Closure) answered by the server, then TCP FIN from the server | 2",
            "  Close 1000 from the client | 1",
            "  Close 1000 from the server | 1",
            " Pings | 0",
            "  answered, RTT (ms) | 0",
            "  no pong | 0",
            "  unsolicited pongs | 0",
            " TCP keep-alive probes | 4",
            "  answered, ACK RTT (ms) | 4 | 0.04 | 0.030180 | 0.047730",
            "  unanswered | 0",
        ],
    );
}

#[test]
fn heartbeat_pings_and_an_unsolicited_pong() {
    check(
        "ka_heartbeat.pcapng",
        &[
            "Connection 1: 10.78.0.1:59918 (client) <-> 10.78.0.2:8080 (server) | 19",
            " Lifetime: 2.617 s (frames 8-38) | 0",
            " Longest silence between messages: 502.873 ms (before frame 32) | 0",
            " Messages client -> server: 62 bytes | 9 | 6.89 | 3 | 19",
            "  Close | 1 | 6.00 | 6 | 6",
            "  Ping | 6 | 3.00 | 3 | 3",
            "  Text | 2 | 19.00 | 19 | 19",
            " Messages server -> client: 85 bytes | 10 | 8.50 | 3 | 25",
            "  Close | 1 | 6.00 | 6 | 6",
            "  Pong | 7 | 4.14 | 3 | 11",
            "  Text | 2 | 25.00 | 25 | 25",
            " End: closed by the client: Close (1000 Normal Closure) answered by the server, then TCP FIN from the client | 2",
            "  Close 1000 from the client | 1",
            "  Close 1000 from the server | 1",
            " Pings | 6",
            "  answered, RTT (ms) | 6 | 1.29 | 0.629531 | 3.242612",
            "  no pong | 0",
            "  unsolicited pongs | 1",
            " TCP keep-alive probes | 0",
            "  answered, ACK RTT (ms) | 0",
            "  unanswered | 0",
        ],
    );
}

#[test]
fn abrupt_rst_without_close() {
    check(
        "m_abrupt_rst.pcapng",
        &[
            "Connection 1: 10.79.0.1:58404 (client) <-> 10.79.0.2:9005 (server) | 6",
            " Lifetime: 204.603 ms (frames 8-15) | 0",
            " Longest silence between messages: 1.044 ms (before frame 11) | 0",
            " Messages client -> server: 612 bytes | 3 | 204.00 | 5 | 600",
            "  Binary | 1 | 600.00 | 600 | 600",
            "  Text | 2 | 6.00 | 5 | 7",
            " Messages server -> client: 612 bytes | 3 | 204.00 | 5 | 600",
            "  Binary | 1 | 600.00 | 600 | 600",
            "  Text | 2 | 6.00 | 5 | 7",
            " End: TCP RST from the client without a Close handshake (the applications see 1006) (abnormal) | 0",
            " Pings | 0",
            "  answered, RTT (ms) | 0",
            "  no pong | 0",
            "  unsolicited pongs | 0",
            " TCP keep-alive probes | 0",
            "  answered, ACK RTT (ms) | 0",
            "  unanswered | 0",
        ],
    );
}

#[test]
fn unanswered_probes_then_rst() {
    check(
        "ka_unanswered.pcapng",
        &[
            "Connection 1: 10.78.0.1:39250 (client) <-> 10.78.0.2:8765 (server) | 4",
            " Lifetime: 5.074 s (frames 8-16) | 0",
            " Longest silence between messages: 2.536 ms (before frame 9) | 0",
            " Messages client -> server: 14 bytes | 2 | 7.00 | 7 | 7",
            "  Text | 2 | 7.00 | 7 | 7",
            " Messages server -> client: 26 bytes | 2 | 13.00 | 13 | 13",
            "  Text | 2 | 13.00 | 13 | 13",
            " End: TCP RST from the client without a Close handshake (the applications see 1006) (abnormal) | 0",
            " Pings | 0",
            "  answered, RTT (ms) | 0",
            "  no pong | 0",
            "  unsolicited pongs | 0",
            " TCP keep-alive probes | 3",
            "  answered, ACK RTT (ms) | 0",
            "  unanswered | 3",
        ],
    );
}

#[test]
fn python_echo_all_sizes() {
    check(
        "py_basic.pcapng",
        &[
            "Connection 1: 10.77.0.1:44208 (client) <-> 10.77.0.2:8765 (server) | 22",
            " Lifetime: 16.426 ms (frames 8-617) | 0",
            " Longest silence between messages: 3.141 ms (before frame 416) | 0",
            " Messages client -> server: 331485 bytes | 11 | 30135.00 | 0 | 200000",
            "  Binary | 6 | 55220.33 | 0 | 200000",
            "  Close | 1 | 6.00 | 6 | 6",
            "  Ping | 1 | 3.00 | 3 | 3",
            "  Text | 3 | 51.33 | 5 | 125",
            " Messages server -> client: 331485 bytes | 11 | 30135.00 | 0 | 200000",
            "  Binary | 6 | 55220.33 | 0 | 200000",
            "  Close | 1 | 6.00 | 6 | 6",
            "  Pong | 1 | 3.00 | 3 | 3",
            "  Text | 3 | 51.33 | 5 | 125",
            " End: closed by the client: Close (1000 Normal Closure) answered by the server, then TCP FIN from the server | 2",
            "  Close 1000 from the client | 1",
            "  Close 1000 from the server | 1",
            " Pings | 1",
            "  answered, RTT (ms) | 1 | 0.14 | 0.137580 | 0.137580",
            "  no pong | 0",
            "  unsolicited pongs | 0",
            " TCP keep-alive probes | 0",
            "  answered, ACK RTT (ms) | 0",
            "  unanswered | 0",
        ],
    );
}

#[test]
fn no_websocket_no_connection() {
    let t = ts!();
    let cap = t.capture("neg_http.pcapng");
    let out = t.run(&["-r", &cap, "-q", "-z", "ws,tree"]);
    assert!(out.contains("WebSocket/Connections:"), "{out}");
    assert!(!out.contains("Connection 1"), "{out}");
}

#[test]
fn filtered_tree() {
    // -z ws,tree,FILTER: only the tap records of matching packets count.
    let t = ts!();
    let cap = t.capture("ka_heartbeat.pcapng");
    let rows = tree(&["-r", &cap, "-q", "-z", "ws,tree,ws.opcode == 9"]);
    assert!(
        rows.contains(&"  Ping | 6 | 3.00 | 3 | 3".to_string()),
        "{rows:#?}"
    );
    assert!(!rows.iter().any(|r| r.contains("Text")), "{rows:#?}");
}

#[test]
fn mqtt_over_websocket_with_its_heartbeats_and_packet_types() {
    // paho logged 5 PINGREQ/PINGRESP, 2 PUBLISH sent and 2 received; the RTTs are
    // keepalive.rtt of tests/app.rs; the PINGREQ after the 3.3 s stall is late.
    check(
        "app_mqtt.pcapng",
        &[
            "Connection 1: 127.0.0.1:44551 (client) <-> 127.0.0.1:3015 (server) | 19",
            " Lifetime: 11.680 s (frames 8-36) | 0",
            " Longest silence between messages: 3.321 s (before frame 29) | 0",
            " Messages client -> server: 111 bytes | 10 | 11.10 | 2 | 32",
            "  Binary | 10 | 11.10 | 2 | 32",
            " Messages server -> client: 78 bytes | 9 | 8.67 | 2 | 32",
            "  Binary | 9 | 8.67 | 2 | 32",
            " Application protocol: MQTT | 19",
            "  CONNACK | 1",
            "  CONNECT | 1",
            "  DISCONNECT | 1",
            "  PINGREQ | 5",
            "  PINGRESP | 5",
            "  PUBLISH | 4",
            "  SUBACK | 1",
            "  SUBSCRIBE | 1",
            " End: TCP FIN from the client without a Close handshake (the applications see 1006) (abnormal) | 0",
            " Heartbeats (mqtt) | 5",
            "  answered, RTT (ms) | 5 | 0.14 | 0.130984 | 0.165747",
            "  late | 1",
            "  no answer | 0",
            " Pings | 0",
            "  answered, RTT (ms) | 0",
            "  no pong | 0",
            "  unsolicited pongs | 0",
            " TCP keep-alive probes | 0",
            "  answered, ACK RTT (ms) | 0",
            "  unanswered | 0",
        ],
    );
}

#[test]
fn stomp_one_way_heartbeats_and_commands() {
    // stompjs: CONNECT, SUBSCRIBE, 2 SEND, 4 heart-beats; RabbitMQ: CONNECTED, 2 MESSAGE,
    // 2 RECEIPT, 6 heart-beats; the heart-beat after the 2.5 s stall is late.
    check(
        "app_stomp.pcapng",
        &[
            "Connection 1: 127.0.0.1:36424 (client) <-> 127.0.0.1:15674 (server) | 21",
            " Lifetime: 5.724 s (frames 8-43) | 0",
            " Longest silence between messages: 1.002 s (before frame 35) | 0",
            " Messages client -> server: 300 bytes | 9 | 33.33 | 0 | 92",
            "  Close | 1 | 0.00 | 0 | 0",
            "  Text | 8 | 37.50 | 1 | 92",
            " Messages server -> client: 512 bytes | 12 | 42.67 | 0 | 176",
            "  Close | 1 | 0.00 | 0 | 0",
            "  Text | 11 | 46.55 | 1 | 176",
            " Application protocol: STOMP | 19",
            "  CONNECT | 1",
            "  CONNECTED | 1",
            "  MESSAGE | 2",
            "  RECEIPT | 2",
            "  SEND | 2",
            "  SUBSCRIBE | 1",
            "  heart-beat | 10",
            " End: closed by the client: Close (no status code) answered by the server, then TCP FIN from the server | 2",
            "  Close without a code from the client | 1",
            "  Close without a code from the server | 1",
            " Heartbeats (stomp) | 10",
            "  late | 1",
            " Pings | 0",
            "  answered, RTT (ms) | 0",
            "  no pong | 0",
            "  unsolicited pongs | 0",
            " TCP keep-alive probes | 0",
            "  answered, ACK RTT (ms) | 0",
            "  unanswered | 0",
        ],
    );
}

#[test]
fn websocket_pings_with_a_late_one() {
    // ws_ping_late.js: 9 pings answered, p6 after the 1.6 s stall is late.
    check(
        "ka_ping_late.pcapng",
        &[
            "Connection 1: 127.0.0.1:48010 (client) <-> 127.0.0.1:3031 (server) | 22",
            " Lifetime: 5.825 s (frames 8-41) | 0",
            " Longest silence between messages: 1.598 s (before frame 26) | 0",
            " Messages client -> server: 29 bytes | 11 | 2.64 | 2 | 6",
            "  Close | 1 | 6.00 | 6 | 6",
            "  Ping | 9 | 2.00 | 2 | 2",
            "  Text | 1 | 5.00 | 5 | 5",
            " Messages server -> client: 34 bytes | 11 | 3.09 | 2 | 10",
            "  Close | 1 | 6.00 | 6 | 6",
            "  Pong | 9 | 2.00 | 2 | 2",
            "  Text | 1 | 10.00 | 10 | 10",
            " End: closed by the client: Close (1000 Normal Closure) answered by the server, then TCP FIN from the server | 2",
            "  Close 1000 from the client | 1",
            "  Close 1000 from the server | 1",
            " Pings | 9",
            "  answered, RTT (ms) | 9 | 1.44 | 0.410405 | 4.032759",
            "  late | 1",
            "  no pong | 0",
            "  unsolicited pongs | 0",
            " TCP keep-alive probes | 0",
            "  answered, ACK RTT (ms) | 0",
            "  unanswered | 0",
        ],
    );
}
