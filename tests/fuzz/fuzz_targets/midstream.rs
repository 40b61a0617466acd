//! Mid-stream detection: the input is cut into segments of both directions, with sequence
//! numbers that mostly continue (sometimes retransmit, overlap or jump), and fed to
//! `Detector::feed`. Record: [ctl][len][len bytes]; ctl bit 0 = direction, bits 1-2 = seq mode.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ws_keepalive::core::midstream::{Detector, Dir, Verdict};

fuzz_target!(|data: &[u8]| {
    let mut det = Detector::new();
    let mut next = [1000u32, 0x8000_0000u32.wrapping_sub(7)];
    let mut rest = data;
    let mut last = Verdict::Undecided;
    while let [ctl, len, tail @ ..] = rest {
        let n = (usize::from(*len) * if ctl & 0x80 != 0 { 16 } else { 1 }).min(tail.len());
        let (payload, after) = tail.split_at(n);
        let d = (ctl & 1) as usize;
        let dir = if d == 0 { Dir::A } else { Dir::B };
        let seq = match (ctl >> 1) & 3 {
            0 | 1 => next[d],
            2 => next[d].wrapping_sub(u32::from(ctl >> 3)), // retransmit / overlap
            _ => next[d].wrapping_add(u32::from(ctl >> 3) * 100), // gap
        };
        let v = det.feed(dir, seq, payload);
        // A final verdict never changes back.
        if last != Verdict::Undecided {
            assert_eq!(v, last);
        }
        last = v;
        next[d] = seq.wrapping_add(payload.len() as u32);
        for dd in [Dir::A, Dir::B] {
            let _ = det.pending(dd);
            let _ = det.sync_offset(dd);
            let _ = det.in_sync(dd);
            assert!(det.partial_header(dd).len() < 14);
        }
        let _ = det.client_dir();
        rest = after;
    }
    assert_eq!(det.verdict(), last);
});
