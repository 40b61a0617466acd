use super::*;

use crate::core::testutil::Frame;

const SEQ: u32 = 0xFFFF_FFF0; // wraps inside the test

fn unit(frame: u32, off: u32, len: u32, kind: Kind, ordinal: u32) -> Unit {
    Unit {
        frame,
        off,
        len,
        kind,
        ordinal,
    }
}

/// seg 1 = 10 tail bytes, frame A (7 bytes), 5 bytes of frame B (22 bytes); seg 2 = the rest of
/// B, frame C (4 bytes).
fn two_segments() -> (Backlog, Vec<u8>, Vec<u8>, Vec<u8>) {
    let a = Frame::text(b"hello").encode();
    let b = Frame::binary(&[7u8; 20]).encode();
    let c = Frame::text(b"hi").encode();
    let mut s1 = vec![0xAAu8; 10];
    s1.extend_from_slice(&a);
    s1.extend_from_slice(&b[..5]);
    let mut s2 = b[5..].to_vec();
    s2.extend_from_slice(&c);
    let mut bl = Backlog::default();
    bl.push(1, SEQ, s1.len() as u32, &s1);
    bl.push(3, SEQ.wrapping_add(s1.len() as u32), s2.len() as u32, &s2);
    (bl, a, b, c)
}

#[test]
fn frames_before_the_decision_are_planned_from_the_chain_start() {
    let (bl, a, b, c) = two_segments();
    let p = bl.plan(Some(SEQ.wrapping_add(10)), Some(false), None);
    assert_eq!(
        p.units,
        vec![
            unit(1, 0, 10, Kind::Before, 0),
            unit(1, 10, 7, Kind::Frame, 1),
            unit(1, 17, 5, Kind::Prefix, 2),
            unit(3, 0, 17, Kind::Stored, 0),
            unit(3, 17, 4, Kind::Frame, 1),
        ]
    );
    let done: Vec<(u32, u32, Vec<u8>)> = p
        .done
        .into_iter()
        .map(|d| (d.frame, d.ordinal, d.bytes))
        .collect();
    assert_eq!(done, vec![(1, 1, a), (3, 0, b), (3, 1, c)]);
    assert_eq!(p.resume, Resume::At(SEQ.wrapping_add(10 + 7 + 22 + 4)));
}

#[test]
fn a_frame_open_at_the_deciding_segment_resumes_with_its_first_bytes() {
    let (bl, a, b, _) = two_segments();
    let p = bl.plan(Some(SEQ.wrapping_add(10)), Some(false), Some(3));
    assert_eq!(p.units.len(), 3);
    assert_eq!(p.done.len(), 1);
    assert_eq!(p.done[0].bytes, a);
    assert_eq!(
        p.resume,
        Resume::Open {
            bytes: b[..5].to_vec(),
            total: 22
        }
    );
}

#[test]
fn nothing_kept_means_every_byte_is_before_the_first_boundary() {
    let (mut bl, ..) = two_segments();
    bl.trim(None);
    // Small: everything is within the last RETAIN bytes.
    assert_eq!(bl.kept(), 43);
    let mut bl = Backlog::default();
    bl.push(1, SEQ, 22, &[0xAA; 22]);
    bl.push(3, SEQ.wrapping_add(22), 21, &[0xAA; 21]);
    // A chain start before the kept bytes.
    let p = bl.plan(Some(SEQ.wrapping_sub(10)), Some(false), None);
    assert_eq!(
        p.units,
        vec![
            unit(1, 0, 22, Kind::Before, 0),
            unit(3, 0, 21, Kind::Before, 0)
        ]
    );
    assert!(p.done.is_empty());
    assert_eq!(p.resume, Resume::Unknown);
}

#[test]
fn trimming_to_the_chain_start_keeps_what_the_plan_needs() {
    let (mut bl, a, ..) = two_segments();
    bl.trim(Some(SEQ.wrapping_add(10)));
    assert_eq!(bl.kept(), 43);
    let p = bl.plan(Some(SEQ.wrapping_add(10)), Some(false), None);
    assert_eq!(p.done[0].bytes, a);
    assert_eq!(p.done.len(), 3);
}

#[test]
fn a_retransmission_is_a_repeat_and_the_structure_goes_on() {
    let a = Frame::text(b"abc").encode();
    let b = Frame::text(b"de").encode();
    let mut bl = Backlog::default();
    bl.push(1, 100, a.len() as u32, &a);
    bl.push(2, 100, a.len() as u32, &a);
    bl.push(3, 100 + a.len() as u32, b.len() as u32, &b);
    let p = bl.plan(Some(100), Some(false), None);
    assert_eq!(
        p.units,
        vec![
            unit(1, 0, 5, Kind::Frame, 0),
            unit(2, 0, 5, Kind::Repeat, 0),
            unit(3, 0, 4, Kind::Frame, 0),
        ]
    );
    assert_eq!(p.resume, Resume::At(109));
}

#[test]
fn bytes_not_captured_are_not_kept() {
    let a = Frame::text(b"abc").encode();
    let mut bl = Backlog::default();
    bl.push(1, 100, 50, &a);
    assert_eq!(bl.kept(), 0);
    let p = bl.plan(Some(100), Some(false), None);
    assert_eq!(p.units, vec![unit(1, 0, 50, Kind::Before, 0)]);
    assert_eq!(p.resume, Resume::Unknown);
}

#[test]
fn a_frame_longer_than_the_cap_is_not_kept() {
    let mut f = vec![0x82, 127];
    f.extend_from_slice(&((MAX_BYTES as u64) + 1).to_be_bytes());
    let mut bl = Backlog::default();
    bl.push(1, 0, f.len() as u32, &f);
    let p = bl.plan(Some(0), Some(false), None);
    assert_eq!(p.units, vec![unit(1, 0, 10, Kind::Before, 0)]);
    assert_eq!(p.resume, Resume::Unknown);
}

#[test]
fn the_chain_start_extends_back_over_whole_segments_of_frames() {
    // seg 1: 3 tail bytes; seg 2: two whole frames; seg 3: the detector's chain start.
    let (a, b, c) = (
        Frame::text(b"one").encode(),
        Frame::text(b"two").encode(),
        Frame::text(b"three").encode(),
    );
    let mut s2 = a.clone();
    s2.extend_from_slice(&b);
    let mut bl = Backlog::default();
    bl.push(1, 0, 3, &[0x81, 0x7E, 0x00]);
    bl.push(2, 3, s2.len() as u32, &s2);
    bl.push(4, 3 + s2.len() as u32, c.len() as u32, &c);
    let p = bl.plan(Some(3 + s2.len() as u32), Some(false), None);
    assert_eq!(
        p.units,
        vec![
            unit(1, 0, 3, Kind::Before, 0),
            unit(2, 0, 5, Kind::Frame, 0),
            unit(2, 5, 5, Kind::Frame, 1),
            unit(4, 0, 7, Kind::Frame, 0),
        ]
    );
    // Masked frames do not extend an unmasked direction.
    let p = bl.plan(Some(3 + s2.len() as u32), Some(true), None);
    assert_eq!(p.units[1], unit(2, 0, 10, Kind::Before, 0));
}

#[test]
fn random_data_keeps_at_most_the_retained_tail() {
    let mut bl = Backlog::default();
    let mut rng = crate::core::testutil::Rng(7);
    let mut seq = 0u32;
    for f in 1..100u32 {
        let seg: Vec<u8> = (0..1448).map(|_| rng.next() as u8).collect();
        bl.push(f, seq, 1448, &seg);
        seq = seq.wrapping_add(1448);
        bl.trim(None);
        assert!(bl.kept() <= RETAIN, "{}", bl.kept());
    }
}
