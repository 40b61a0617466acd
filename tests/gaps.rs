//! Segments missing from the capture. The captures are made here from the committed real
//! capture `py_basic.pcapng` (Python websockets; what each peer sent is in
//! tests/captures/README.md) by deleting one packet with `editcap`, as a capture that dropped it
//! would look. After the gap the plugin must never read payload bytes as frame headers: it skips
//! bytes (expert `ws.expert.capture_gap`) until the frame structure is found again (expert
//! `ws.expert.resynchronized` when bytes had to be skipped), and every frame it shows is one the
//! client really sent.
#[macro_use]
mod common;

use common::Tshark;
use std::process::Command;

/// py_basic.pcapng without packet `drop` (1-based), written where tshark's user can read it.
fn without_packet(t: &Tshark, drop: u32) -> String {
    let src = t.capture("py_basic.pcapng");
    let dst = format!("{src}.without-{drop}.pcapng");
    let st = Command::new("editcap")
        .args([&src, &dst, &drop.to_string()])
        .status()
        .expect("run editcap");
    assert!(st.success(), "editcap failed");
    let bytes = std::fs::read(&dst).unwrap();
    t.write_capture(&format!("py_basic-without-{drop}.pcapng"), &bytes)
}

/// (frame, message index, message type, message length) of every client message, and the frames
/// with each of the two gap experts.
struct Seen {
    client: Vec<(u32, String, String, String)>,
    server: Vec<(String, String, String)>,
    gap_frames: Vec<u32>,
    resync_frames: Vec<u32>,
    ws_frames: usize,
}

fn look(t: &Tshark, cap: &str, extra: &[&str]) -> Seen {
    let rows = t.fields(
        cap,
        "ws",
        &[
            "frame.number",
            "ws.dir",
            "ws.msg.index",
            "ws.msg.type",
            "ws.msg.len",
            "ws.expert.capture_gap",
            "ws.expert.resynchronized",
            "ws.opcode",
        ],
        extra,
    );
    let mut s = Seen {
        client: Vec::new(),
        server: Vec::new(),
        gap_frames: Vec::new(),
        resync_frames: Vec::new(),
        ws_frames: 0,
    };
    for r in &rows {
        let frame: u32 = r[0].parse().unwrap();
        s.ws_frames += r[7].split('|').filter(|v| !v.is_empty()).count();
        if !r[5].is_empty() {
            s.gap_frames.push(frame);
        }
        if !r[6].is_empty() {
            s.resync_frames.push(frame);
        }
        if r[2].is_empty() {
            continue;
        }
        let m = (r[2].clone(), r[3].clone(), r[4].clone());
        match r[1].as_str() {
            "client" => s.client.push((frame, m.0, m.1, m.2)),
            "server" => s.server.push(m),
            other => panic!("direction {other:?}"),
        }
    }
    s
}

/// What the server sent (messages 1-11), untouched by a gap in the client's direction.
fn server_messages() -> Vec<(String, String, String)> {
    [
        (1, 1, 5),
        (2, 2, 0),
        (3, 2, 125),
        (4, 2, 126),
        (5, 2, 65535),
        (6, 2, 65536),
        (7, 2, 200000),
        (8, 1, 125),
        (9, 1, 24),
        (10, 10, 3),
        (11, 8, 6),
    ]
    .iter()
    .map(|(i, ty, len)| (i.to_string(), ty.to_string(), len.to_string()))
    .collect()
}

fn msgs(s: &Seen) -> Vec<(String, String, String)> {
    s.client
        .iter()
        .map(|(_, i, ty, len)| (i.clone(), ty.clone(), len.clone()))
        .collect()
}

/// What the client sent (type, length: tests/captures/README.md), without the messages at the
/// 1-based positions `lost`, numbered as the plugin numbers what it sees.
fn client_without(lost: &[usize]) -> Vec<(String, String, String)> {
    let sent = [
        (1, 5),
        (2, 0),
        (2, 125),
        (2, 126),
        (2, 65535),
        (2, 65536),
        (2, 200000),
        (1, 125),
        (1, 24),
        (9, 3),
        (8, 6),
    ];
    sent.iter()
        .enumerate()
        .filter(|(i, _)| !lost.contains(&(i + 1)))
        .enumerate()
        .map(|(n, (_, (ty, len)))| ((n + 1).to_string(), ty.to_string(), len.to_string()))
        .collect()
}

#[test]
fn lost_segment_with_a_frame_header_then_resync() {
    let t = ts!();
    // Packet 16 is the first segment of the client's 65,535-byte binary message: its header is
    // lost, and the next 48 segments of the client begin inside frames.
    let cap = without_packet(t, 16);
    for extra in [&[][..], &["-2"][..]] {
        let s = look(t, &cap, extra);
        // The gap is reported on the first client segment after it (now packet 16).
        assert_eq!(s.gap_frames, vec![16], "{extra:?}");
        // Nothing of the 65,535, 65,536 and 200,000-byte frames (bytes skipped); the 125-byte
        // text is the first frame parsed again, and the expert says so in its packet.
        assert_eq!(msgs(&s), client_without(&[5, 6, 7]), "{extra:?}");
        let text_frame = s.client[4].0;
        assert_eq!(s.resync_frames, vec![text_frame], "{extra:?}");
        assert_eq!(s.server, server_messages(), "{extra:?}");
        // 22 frames in the original; the 3 large client frames are not shown.
        assert_eq!(s.ws_frames, 19, "{extra:?}");
    }
}

#[test]
fn lost_segment_of_whole_frames_continues_at_once() {
    let t = ts!();
    // Packet 12 holds exactly the client's 125-byte binary frame: the next client segment starts
    // with a header, so dissection goes on there with a note and nothing is skipped.
    let cap = without_packet(t, 12);
    let s = look(t, &cap, &[]);
    assert_eq!(msgs(&s), client_without(&[3]));
    assert_eq!(s.gap_frames, vec![s.client[2].0]);
    assert!(s.resync_frames.is_empty());
    assert_eq!(s.server, server_messages());
}

#[test]
fn lost_segment_inside_a_frame_loses_only_that_frame() {
    let t = ts!();
    // Packet 17 is the second segment of the 65,535-byte message: TCP reassembly never completes
    // that frame, and the next frame starts where its header said.
    let cap = without_packet(t, 17);
    let s = look(t, &cap, &[]);
    assert_eq!(msgs(&s), client_without(&[5]));
    assert!(s.gap_frames.is_empty() && s.resync_frames.is_empty());
    assert_eq!(s.server, server_messages());
}
