//! Mid-stream detection: the input is cut into segments of both directions, with sequence
//! numbers that mostly continue (sometimes retransmit, overlap or jump), and fed to
//! `Detector::feed`. Record: [ctl][len][len bytes]; ctl bit 0 = direction, bits 1-2 = seq mode.
//! The same segments also drive what follows a connection after a gap: a `Detector::follower`
//! (never reaches a verdict) and `resync::Resync` with frames parsed from where it says.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ws_keepalive::core::frame::{parse_header, Status};
use ws_keepalive::core::midstream::{frames_cover_exactly, Detector, Dir, Verdict};
use ws_keepalive::core::resync::Resync;

fuzz_target!(|data: &[u8]| {
    let mut det = Detector::new();
    let mut next = [1000u32, 0x8000_0000u32.wrapping_sub(7)];
    let mut rest = data;
    let mut last = Verdict::Undecided;
    let mut follower = Detector::follower();
    let mut resync = [Resync::new(), Resync::new()];
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
        assert_eq!(follower.feed(dir, seq, payload), Verdict::Undecided);
        let _ = frames_cover_exactly(payload);
        // The glue: skip what Resync says, then parse frames back to back (a frame that goes past
        // the segment ends the walk, as TCP reassembly would take over).
        let r = &mut resync[d];
        let len = payload.len() as u32;
        let mut pos = match r.on_segment(seq, len, payload) {
            Some((n, _)) => {
                assert!(n <= len);
                n as usize
            }
            None => 0,
        };
        while pos < payload.len() {
            let hseq = seq.wrapping_add(pos as u32);
            match parse_header(&payload[pos..]) {
                Status::Complete(h) => {
                    let total = h.frame_len();
                    if total > 0x7fff_0000 {
                        r.lose();
                        break;
                    }
                    r.frame_at(hseq, total);
                    if total > (payload.len() - pos) as u64 {
                        break;
                    }
                    pos += total as usize;
                }
                Status::Partial => {
                    r.header_pending_at(hseq);
                    break;
                }
            }
        }
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
