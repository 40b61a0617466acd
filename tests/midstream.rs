//! Captures that begin mid-connection (tests/captures/CUTS.md, cut from real captures with
//! editcap): one pass shows the frames from the segment that decided, `-2` every frame from the
//! first frame boundary in the capture, numbered from there, with the same numbers as one pass.
mod common;

use common::tshark;

const FIELDS: [&str; 5] = [
    "frame.number",
    "ws.opcode",
    "ws.len",
    "ws.dir",
    "ws.msg.index",
];

fn rows(cap: &str, extra: &[&str]) -> Vec<String> {
    let Some(t) = tshark() else { return Vec::new() };
    let cap = t.capture(cap);
    t.fields(&cap, "ws.opcode", &FIELDS, extra)
        .into_iter()
        .map(|r| r.join(" "))
        .collect()
}

fn texts(cap: &str, filter: &str, field: &str) -> Vec<String> {
    let Some(t) = tshark() else { return Vec::new() };
    let cap = t.capture(cap);
    t.fields(&cap, filter, &["frame.number", field], &["-2"])
        .into_iter()
        .map(|r| r.join(" "))
        .collect()
}

/// A connection opened at a 101 (the request cut): one pass and -2 show the same rows.
fn same_in_both_passes(cap: &str, want: &[&str]) {
    assert_eq!(rows(cap, &[]), want, "{cap}: one pass");
    assert_eq!(rows(cap, &["-2"]), want, "{cap}: -2");
}

#[test]
fn a_big_frame_spread_over_segments_before_the_decision_is_shown_whole_on_a_second_pass() {
    if tshark().is_none() {
        return;
    }
    // One pass: from the Pong that answered the Ping (the deciding segment), numbered as -2.
    assert_eq!(
        rows("m_cut_big.pcapng", &[]),
        ["214 10 3 server 4", "215 8 6 client 4", "216 8 6 server 5"]
    );
    assert_eq!(
        rows("m_cut_big.pcapng", &["-2"]),
        [
            "207 2 200000 server 1",
            "209 1 125 client 1",
            "210 1 125 server 2",
            "211 1 24 client 2",
            "212 1 24 server 3",
            "213 9 3 client 3",
            "214 10 3 server 4",
            "215 8 6 client 4",
            "216 8 6 server 5",
        ]
    );
    // The client's 200,000-byte frame began before the capture: its tail is a continuation; the
    // server's began in frame 19: its first bytes point to where it is shown.
    let info = texts(
        "m_cut_big.pcapng",
        "frame.number == 16 || frame.number == 19 || frame.number == 207",
        "_ws.col.Info",
    );
    assert_eq!(
        info[0],
        "16 [continuation of a frame begun before the capture, 190 bytes]"
    );
    assert_eq!(info[1], "19 [start of a frame shown later, 1448 bytes]");
    assert!(
        info[2].starts_with("207 Server.1 Binary [FIN] len=200000 00 01 02"),
        "{}",
        info[2]
    );
}

#[test]
fn a_reassembly_another_heuristic_began_inside_the_stream_does_not_hide_the_connection() {
    if tshark().is_none() {
        return;
    }
    // Loopback, cut inside a 81,381-byte server frame (tests/captures/CUTS.md): LBMSRS's heuristic
    // (127.0.0.1 only, on by default) reads a 24-bit length from inside a frame in frame 4 and has
    // TCP hold the client's bytes for a PDU that never completes. The postdissector feeds the held
    // segments to the detector, which decides in frame 125; the held reassembly is then given up.
    // One pass: from the deciding segment, numbered as -2.
    assert_eq!(
        rows("m_cut_lbmsrs.pcapng", &[]),
        [
            "125 2|1 59910|2 server|server 3|4",
            "170 2 62797 server 5",
            "196 2|1 35569|114 server|server 6|7",
        ]
    );
    // -2: every frame whose header is in the capture, as the whole capture shows them (packets
    // 4,550 to 4,749 of bulk_mtu1500: the same frames in the same packets, and no other).
    assert_eq!(
        rows("m_cut_lbmsrs.pcapng", &["-2"]),
        [
            "51 2 25715 client 1",
            "60 1|1 24|106 server|server 1|2",
            "125 2|1 59910|2 server|server 3|4",
            "170 2 62797 server 5",
            "196 2|1 35569|114 server|server 6|7",
        ]
    );
    // The client's bytes from frame 4 on are no longer held for LBMSRS: up to frame 33 they are
    // the rest of a frame begun before the capture, then the start of the frame shown in 51.
    let info = texts(
        "m_cut_lbmsrs.pcapng",
        "frame.number == 4 || frame.number == 33",
        "_ws.col.Info",
    );
    assert_eq!(info.len(), 2, "{info:?}");
    assert!(
        info[0].contains("[continuation of a frame begun before the capture, 1448 bytes]"),
        "{info:?}"
    );
    assert!(
        info[1].contains("[start of a frame shown later, 711 bytes]"),
        "{info:?}"
    );
}

#[test]
fn on_a_port_http_owns_segments_http_reads_as_text_do_not_hide_the_connection() {
    if tshark().is_none() {
        return;
    }
    // node_frag on 8080 cut inside the server's 70,000-byte frame (its header is in frame 1):
    // about a third of that frame's segments begin with a printable byte, and HTTP reads them
    // as header lines ("Illegal characters found in header name"). None begins an HTTP message,
    // so they are fed to the detector; the two Close frames decide, at the end of the capture:
    // one pass shows nothing, -2 every frame whose header is in the capture.
    assert_eq!(
        rows("m_cut_http_text_8080.pcapng", &[]),
        Vec::<String>::new()
    );
    assert_eq!(
        rows("m_cut_http_text_8080.pcapng", &["-2"]),
        ["67 2 70000 server 1", "69 8 5 server 2", "71 8 5 client 1"]
    );
    let info = texts(
        "m_cut_http_text_8080.pcapng",
        "frame.number == 7",
        "_ws.col.Info",
    );
    assert_eq!(info, ["7 [start of a frame shown later, 1448 bytes]"]);
}

#[test]
fn on_a_port_http_owns_a_101_without_its_request_opens_the_connection() {
    if tshark().is_none() {
        return;
    }
    // node_port80 without the Upgrade request: HTTP shows the 101 and hands nothing over; the
    // 101 opens the connection (as the heuristic does on other ports), in one pass and with -2.
    let want = [
        "4 1 12 client 1",
        "5 1 2 server 1",
        "6 8 12 client 2",
        "7 8 12 server 2",
    ];
    same_in_both_passes("m_cut_101_port80.pcapng", &want);
    assert_eq!(
        texts("m_cut_101_port80.pcapng", "ws.opcode", "ws.detected_by"),
        ["4 handshake", "5 handshake", "6 handshake", "7 handshake"]
    );
}

#[test]
fn a_short_connection_is_found_from_its_first_frame() {
    if tshark().is_none() {
        return;
    }
    assert_eq!(
        rows("m_cut_short_lws.pcapng", &[]),
        ["5 1 20 server 2", "6 8 5 client 3", "8 8 5 server 3"]
    );
    assert_eq!(
        rows("m_cut_short_lws.pcapng", &["-2"]),
        [
            "2 1 13 client 1",
            "3 1 13 server 1",
            "4 1 20 client 2",
            "5 1 20 server 2",
            "6 8 5 client 3",
            "8 8 5 server 3",
        ]
    );
    assert_eq!(
        texts("m_cut_short_lws.pcapng", "ws.opcode", "ws.detected_by").len(),
        6
    );
}

#[test]
fn a_capture_that_begins_after_the_upgrade_request_starts_at_the_101() {
    if tshark().is_none() {
        return;
    }
    let want = [
        "4 1 5 client 1",
        "5 1 5 server 1",
        "6 1 7 client 2",
        "7 1 7 server 2",
        "8 2 600 client 3",
        "9 2 600 server 3",
    ];
    same_in_both_passes("m_cut_after_request.pcapng", &want);
    assert_eq!(
        texts("m_cut_after_request.pcapng", "ws.opcode", "ws.detected_by")[0],
        "4 handshake"
    );
}
