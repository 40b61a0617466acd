//! Mid-stream detection glue: the `ws_tcp` heuristic feeds each segment of an unclaimed TCP
//! connection to the core's `Detector` (first pass, in order) and claims the connection once the
//! evidence is strong. Because the capture may begin inside a frame, the first segment of each
//! direction may start with bytes of a frame that began before the capture: their count is
//! decided on the first pass and kept per frame, so that `tcp_dissect_pdus` sees them as one
//! "continuation" unit on every pass.
use super::state::{self, Endpoint, MidConn, Skip};
use super::sys;
use crate::core::midstream::{Detector, Dir, Verdict};

type Pinfo = *mut sys::packet_info;

fn idx(d: Dir) -> usize {
    match d {
        Dir::A => 0,
        Dir::B => 1,
    }
}

fn other(d: Dir) -> Dir {
    match d {
        Dir::A => Dir::B,
        Dir::B => Dir::A,
    }
}

/// Bytes that start this frame's segment and continue a frame begun before the capture.
pub fn skip_of(frame: u32) -> u32 {
    state::capture().mid.skips.get(&frame).copied().unwrap_or(0)
}

/// Was this connection recognised mid-stream?
pub fn is_midstream(conv: u32) -> bool {
    state::capture()
        .mid
        .conns
        .get(&conv)
        .is_some_and(|m| m.claimed)
}

/// The heuristic, first pass: feed this segment; true once the connection is WebSocket (this
/// segment is then dissected, and the connection claimed from this frame on).
pub unsafe fn heuristic(
    pinfo: Pinfo,
    conv: u32,
    src: &Endpoint,
    seq: u32,
    payload: &[u8],
) -> Option<(Dir, Option<Dir>)> {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        let frame = (*pinfo).num;
        let mut guard = state::capture();
        let st = &mut guard.mid;
        let m = st.conns.entry(conv).or_insert_with(|| MidConn {
            det: Detector::new(),
            a: src.clone(),
            skip: [Skip::Unknown, Skip::Unknown],
            claimed: false,
        });
        if m.claimed || m.det.verdict() == Verdict::NotWebSocket {
            return None;
        }
        let dir = if &m.a == src { Dir::A } else { Dir::B };
        let (was_in_sync, pending_before) = (m.det.in_sync(dir), m.det.pending(dir));
        if m.det.feed(dir, seq, payload) != Verdict::WebSocket {
            return None;
        }
        m.claimed = true;
        // Where this segment's first frame header is.
        let first = if was_in_sync {
            pending_before
        } else {
            m.det
                .sync_offset(dir)
                .map_or(payload.len() as u64, |o| o as u64)
        };
        m.skip[idx(dir)] = Skip::Synced;
        let o = other(dir);
        m.skip[idx(o)] = if m.det.in_sync(o) {
            Skip::Remaining(m.det.pending(o))
        } else {
            Skip::Unknown
        };
        let client = m.det.client_dir();
        let n = first.min(payload.len() as u64) as u32;
        if n > 0 {
            st.skips.insert(frame, n);
        }
        Some((dir, client))
    }
}

/// First pass, from the dissector: for a claimed mid-stream connection, how many bytes at the
/// start of this segment belong to a frame begun before the capture (or to data not yet in sync).
pub unsafe fn first_pass_skip(
    pinfo: Pinfo,
    conv: u32,
    src: &Endpoint,
    seq: Option<u32>,
    payload: &[u8],
) -> u32 {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        let frame = (*pinfo).num;
        let mut guard = state::capture();
        let st = &mut guard.mid;
        let Some(m) = st.conns.get_mut(&conv) else {
            return 0;
        };
        if !m.claimed {
            return 0;
        }
        let dir = if &m.a == src { Dir::A } else { Dir::B };
        let len = payload.len() as u64;
        let n = match m.skip[idx(dir)] {
            Skip::Synced => 0,
            Skip::Remaining(r) => {
                let n = r.min(len);
                m.skip[idx(dir)] = if r > n {
                    Skip::Remaining(r - n)
                } else {
                    Skip::Synced
                };
                n
            }
            Skip::Unknown => {
                let Some(seq) = seq else {
                    return 0;
                };
                let was_in_sync = m.det.in_sync(dir);
                let pending_before = m.det.pending(dir);
                m.det.feed(dir, seq, payload);
                if was_in_sync {
                    m.skip[idx(dir)] = Skip::Synced;
                    pending_before.min(len)
                } else if m.det.in_sync(dir) {
                    m.skip[idx(dir)] = Skip::Synced;
                    m.det.sync_offset(dir).map_or(len, |o| o as u64)
                } else {
                    len
                }
            }
        } as u32;
        if n > 0 {
            st.skips.insert(frame, n);
        }
        n
    }
}
