use super::*;
use std::collections::BTreeMap;

use crate::core::testutil::{Frame, Rng};

fn encode(op: u8, payload: &[u8], key: Option<[u8; 4]>) -> Vec<u8> {
    Frame::new(op, payload).mask(key).encode()
}

/// One direction's byte stream: frames of mixed kinds and sizes; header offset → frame length.
fn stream(rng: &mut Rng, masked: bool, frames: usize, big: bool) -> (Vec<u8>, BTreeMap<u64, u64>) {
    let mut bytes = Vec::new();
    let mut heads = BTreeMap::new();
    for i in 0..frames {
        let key = masked.then(|| (rng.next() as u32).to_be_bytes());
        let (op, payload): (u8, Vec<u8>) = match rng.below(10) {
            0..=4 => {
                let n = rng.below(200) as usize;
                let text: String = (0..n)
                    .map(|_| (b'a' + rng.below(26) as u8) as char)
                    .collect();
                (1, format!("{{\"n\":{i},\"t\":\"{text}\"}}").into_bytes())
            }
            5..=7 => (2, (0..rng.below(4000)).map(|_| rng.next() as u8).collect()),
            8 => (9, b"hb".to_vec()),
            _ if big => (
                2,
                (0..70_000 + rng.below(30_000))
                    .map(|_| rng.next() as u8)
                    .collect(),
            ),
            _ => (10, Vec::new()),
        };
        let f = encode(op, &payload, key);
        heads.insert(bytes.len() as u64, f.len() as u64);
        bytes.extend_from_slice(&f);
    }
    (bytes, heads)
}

#[derive(Default, Debug)]
struct Outcome {
    /// Headers parsed where the stream really has one.
    good: u32,
    /// Headers parsed where the stream has none (payload read as a header).
    bad: u32,
    gaps: u32,
    found: u32,
    skipped_rest: u32,
}

/// Feed a segmented stream through `Resync` the way TCP reassembly and `tcp_dissect_pdus` hand it
/// to the dissector, with segments `dropped` missing from the capture. Sequence numbers start at
/// `isn` (wrapping).
fn simulate(
    bytes: &[u8],
    heads: &BTreeMap<u64, u64>,
    mss: usize,
    dropped: &[usize],
    isn: u32,
) -> Outcome {
    let mut r = Resync::new();
    let mut out = Outcome::default();
    let segs: Vec<(u64, u64)> = (0..bytes.len())
        .step_by(mss)
        .map(|s| (s as u64, (s + mss).min(bytes.len()) as u64))
        .collect();
    let seq = |off: u64| isn.wrapping_add(off as u32);
    // A frame being reassembled: (header offset, end offset, every byte present so far).
    let mut msp: Option<(u64, u64, bool)> = None;
    for (i, &(s, t)) in segs.iter().enumerate() {
        let lost = dropped.contains(&i);
        let mut from = s;
        if let Some((h, e, complete)) = msp {
            if s < e {
                // Inside the frame being reassembled: TCP keeps the bytes, the dissector is not called.
                msp = Some((h, e, complete && !lost));
                if t < e || lost {
                    continue;
                }
                msp = None;
                if complete {
                    // The reassembled frame comes back from its header.
                    assert_eq!(
                        r.on_segment(seq(h), (e - h) as u32, &bytes[h as usize..e as usize]),
                        None
                    );
                    r.frame_at(seq(h), e - h);
                }
                from = e;
                if from == t {
                    continue;
                }
            } else {
                msp = None;
            }
        }
        if lost {
            continue;
        }
        let payload = &bytes[from as usize..t as usize];
        let mut pos = from;
        match r.on_segment(seq(from), (t - from) as u32, payload) {
            None => {}
            Some((n, kind)) => {
                match kind {
                    SkipKind::Gap { .. } => out.gaps += 1,
                    SkipKind::Found => out.found += 1,
                    SkipKind::Rest => out.skipped_rest += 1,
                    SkipKind::Searching => {}
                }
                pos += u64::from(n);
            }
        }
        while pos < t {
            let Some(&flen) = heads.get(&pos) else {
                out.bad += 1;
                break;
            };
            out.good += 1;
            r.frame_at(seq(pos), flen);
            if pos + flen > t {
                msp = Some((pos, pos + flen, true));
                break;
            }
            pos += flen;
        }
    }
    out
}

#[test]
fn in_order_stream_never_skips() {
    for seed in 1..40u64 {
        let mut rng = Rng(seed * 7919);
        let (bytes, heads) = stream(&mut rng, seed % 2 == 0, 300, seed % 3 == 0);
        let o = simulate(
            &bytes,
            &heads,
            1448,
            &[],
            (seed as u32).wrapping_mul(0x9E37_79B9),
        );
        assert_eq!(
            (o.bad, o.gaps, o.found, o.skipped_rest),
            (0, 0, 0, 0),
            "seed {seed}: {o:?}"
        );
        assert_eq!(o.good as usize, heads.len(), "seed {seed}");
    }
}

#[test]
fn a_lost_segment_is_followed_by_true_headers_only() {
    let (mut runs, mut recovered) = (0, 0);
    for seed in 1..400u64 {
        let mut rng = Rng(seed * 104_729);
        let (bytes, heads) = stream(&mut rng, seed % 2 == 1, 400, seed % 4 == 0);
        let nsegs = bytes.len().div_ceil(1448);
        let drop = 1 + rng.below(nsegs as u64 / 2) as usize;
        // Sequence numbers that wrap inside the stream for some seeds.
        let isn = u32::MAX - (seed as u32 % 5) * 100_000;
        let o = simulate(&bytes, &heads, 1448, &[drop], isn);
        assert_eq!(
            o.bad, 0,
            "seed {seed}: a payload byte was read as a header: {o:?}"
        );
        runs += 1;
        if o.gaps == 0 || o.found > 0 {
            recovered += 1;
        }
    }
    // Recovery needs three sane frames after the gap, all but certain in 400-frame streams.
    assert!(
        recovered * 100 >= runs * 95,
        "{recovered} of {runs} streams recovered"
    );
}

#[test]
fn several_gaps_and_small_segments() {
    for seed in 1..60u64 {
        let mut rng = Rng(seed * 31_337);
        let (bytes, heads) = stream(&mut rng, true, 500, false);
        let mss = [100usize, 536, 1448, 9000][seed as usize % 4];
        let nsegs = bytes.len().div_ceil(mss);
        let drops: Vec<usize> = (0..4)
            .map(|_| 1 + rng.below(nsegs as u64 - 1) as usize)
            .collect();
        let o = simulate(&bytes, &heads, mss, &drops, seed as u32);
        assert_eq!(o.bad, 0, "seed {seed} mss {mss}: {o:?}");
    }
}

#[test]
fn rest_of_a_frame_that_was_not_reassembled_is_skipped() {
    // Without reassembly, TCP hands over every segment: the frame at 1000 is 5000 bytes long.
    let mut r = Resync::new();
    r.frame_at(1000, 5000);
    assert_eq!(
        r.on_segment(2448, 1448, &[0; 1448]),
        Some((1448, SkipKind::Rest))
    );
    assert_eq!(
        r.on_segment(5344, 1448, &[0; 1448]),
        Some((656, SkipKind::Rest))
    );
    // The header at 6000 then parses; the next segment starts at the frame's end.
    r.frame_at(6000, 792);
    assert_eq!(r.on_segment(6792, 100, &[0; 100]), None);
}

#[test]
fn reassembled_frame_returns_from_its_header() {
    let mut r = Resync::new();
    r.frame_at(10, 70_000);
    assert_eq!(r.on_segment(10, 70_000, &[]), None);
    r.header_pending_at(70_010);
    assert_eq!(r.on_segment(70_010, 3000, &[]), None);
}

#[test]
fn gap_reports_missing_bytes_and_searches() {
    let mut r = Resync::new();
    r.frame_at(0, 100);
    let got = r.on_segment(1548, 1448, &[0x55; 1448]);
    assert_eq!(got, Some((1448, SkipKind::Gap { missing: 1448 })));
    assert!(r.searching());
    // While searching, a reassembly-sized frame report changes nothing.
    r.frame_at(0, 100);
    assert!(r.searching());
}

#[test]
fn huge_frame_loses_the_structure() {
    let mut r = Resync::new();
    r.frame_at(0, 1 << 40);
    assert!(r.searching());
    let mut r = Resync::new();
    r.frame_at(0, 100);
    r.lose();
    assert_eq!(
        r.on_segment(100, 10, &[0; 10]),
        Some((10, SkipKind::Searching))
    );
}

#[test]
fn no_expectation_no_skip() {
    // Before the first header (e.g. bytes handed over by HTTP), nothing is known.
    let mut r = Resync::new();
    assert_eq!(r.on_segment(12345, 100, &[0; 100]), None);
    assert_eq!(r.on_segment(0, 0, &[]), None);
}

#[test]
fn a_retransmission_is_not_a_place_to_resume() {
    let mut r = Resync::new();
    r.frame_at(0, 10);
    // Gap: 10..100 missing; the segment at 100 is not whole frames.
    let junk = [0x55u8; 50];
    assert_eq!(
        r.on_segment(100, 50, &junk),
        Some((50, SkipKind::Gap { missing: 90 }))
    );
    // An old segment that happens to be one whole frame (a masked empty Ping) is sent again.
    let ping = [0x89u8, 0x80, 1, 2, 3, 4];
    assert_eq!(r.on_segment(20, 6, &ping), Some((6, SkipKind::Searching)));
    assert!(r.searching());
    // The same frame as new data is a place to resume.
    assert_eq!(r.on_segment(150, 6, &ping), Some((0, SkipKind::Found)));
    assert!(!r.searching());
    r.frame_at(150, 6);
    assert_eq!(r.on_segment(156, 6, &ping), None);
}

#[test]
fn no_gap_where_tcp_delivered_every_byte() {
    let mut r = Resync::new();
    // Segment 0..1000 was handed over, but the tracker expects the next header at 500 (bytes
    // TCP passed on without a frame parsed from them). The next segment, 1000..2000, continues
    // what TCP delivered: not a gap, nothing skipped.
    assert_eq!(r.on_segment(0, 1000, &[]), None);
    r.frame_at(0, 500);
    assert_eq!(r.on_segment(1000, 1000, &[]), None);
    assert!(!r.searching());
    // The same within bytes already seen (1500 < 2000).
    r.frame_at(0, 500);
    // Nothing is missing up to 2000: no gap, no skip, dissection follows TCP from 1500.
    assert_eq!(r.on_segment(1500, 100, &[0x55; 100]), None);
    assert!(!r.searching());
    // A segment past everything seen is a gap.
    r.frame_at(1500, 100);
    assert_eq!(
        r.on_segment(2600, 100, &[0x55; 100]),
        Some((100, SkipKind::Gap { missing: 1000 }))
    );
}
