//! Mid-stream detection glue: the `ws_tcp` heuristic feeds each segment of an unclaimed TCP
//! connection to the core's `Detector` (first pass, in order) and keeps what each direction sent
//! from the earliest possible chain start (`core::backlog`). Once the evidence is strong the
//! connection is claimed, and the frames before the deciding segment are worked out from the
//! kept bytes: their records are stored (so message numbers count from the first frame boundary
//! in the capture), and so are the units of each earlier segment, which later passes show
//! (`tshark -2`, the GUI) — a one-pass run cannot go back and starts at the deciding segment.
//!
//! A frame that spans segments before the decision cannot be reassembled by TCP on a revisit
//! (those segments were not ours on the first pass): its bytes are kept and it is shown, from
//! them, in the segment where it ends. Every later frame goes through `tcp_dissect_pdus`.
use std::os::raw::c_int;
use std::sync::Arc;

use super::ids::{PREF_MAX_INFLATE, PREF_MAX_MESSAGE};
use super::pkt::{
    copy_captured, dst_endpoint, frame_tvb, src_endpoint, tcp_segment, visited, Segment,
};
use super::state::{self, conv_index, Capture, Endpoint, MidConn, MidUnit, Skip};
use super::sys;
use crate::core::backlog::{Kind, Resume};
use crate::core::frame::{parse_header, Status};
use crate::core::mask::unmask;
use crate::core::midstream::{Dir, Verdict};
use std::sync::atomic::Ordering::Relaxed;

type Pinfo = *mut sys::packet_info;

fn idx(d: Dir) -> usize {
    match d {
        Dir::A => 0,
        Dir::B => 1,
    }
}

/// Was this connection recognised mid-stream?
pub fn is_midstream(conv: u32) -> bool {
    state::capture()
        .mid
        .conns
        .get(&conv)
        .is_some_and(|m| m.claimed)
}

/// The unit of `frame` that starts at offset `off` of its tvb: its length.
pub fn unit_len(frame: u32, off: u32) -> Option<u32> {
    let st = state::capture();
    let units = st.mid.units.get(&frame)?;
    units.iter().find(|u| u.off == off).map(|u| u.len)
}

/// The `ordinal`-th unit of `frame`, when it is not a frame read from the tvb.
pub fn unit_of(frame: u32, ordinal: u32) -> Option<MidUnit> {
    let st = state::capture();
    st.mid.units.get(&frame)?.get(ordinal as usize).cloned()
}

/// The heuristic, first pass: feed this segment (`len` bytes at `seq`; `payload` is what was
/// captured of it); once the connection is WebSocket (this segment is then dissected, and the
/// connection claimed), the connection's first frame that has something to show on later passes.
pub unsafe fn heuristic(
    pinfo: Pinfo,
    conv: u32,
    src: &Endpoint,
    dst: &Endpoint,
    seq: u32,
    len: u32,
    payload: &[u8],
) -> Option<u32> {
    // SAFETY: the caller's contract.
    unsafe { feed(pinfo, conv, src, dst, seq, len, payload, false) }
}

/// The postdissector, first pass: a segment of a connection being watched that TCP's heuristics
/// (ours among them) were not offered, so `heuristic` did not feed it. Two cases:
///
/// * a port HTTP owns: TCP gave the segment to HTTP (HTTP returns "taken" even when it shows
///   nothing, and reads any segment with a printable first byte as header lines, or asks TCP to
///   reassemble it with the next ones). It is fed, from the frame's bytes, until a segment begins
///   an HTTP message (a request or status line): that makes the connection HTTP's for good;
/// * elsewhere: another dissector took the segment, or TCP held it for a PDU another dissector
///   asked it to reassemble (a heuristic that read a length from bytes inside a WebSocket frame:
///   LBMSRS on loopback captures, whose 24-bit lengths can hold the rest of a direction). It is fed
///   the same way, so the detector sees the whole byte stream; when the connection is claimed,
///   such a reassembly is given up (`wsk_tcp_release_pdus`, HTTP's too) and TCP hands the bytes
///   to us.
///
/// Once WebSocket, the connection is claimed from its first frame with something to show; the
/// deciding segment itself was someone else's on this pass, so one pass shows the connection from
/// the next segment (`-2` and the GUI from the first frame boundary, as elsewhere).
pub unsafe fn feed_late(pinfo: Pinfo, known: Option<(Segment, Option<u32>)>) {
    // SAFETY: the caller's contract: pinfo is the live packet's, as Wireshark passed it to the
    // postdissector; the frame's tvb is read within its captured length.
    unsafe {
        if visited(pinfo) {
            return;
        }
        // The ports' test first (a table lookup cached per port).
        let http_port = sys::wsk_http_owns_segment(pinfo, 0) != 0;
        // Away from HTTP's ports a connection is watched only once the heuristic saw it.
        if !http_port && !state::MID_WATCHING.load(Relaxed) {
            return;
        }
        let frame_tvb = frame_tvb(pinfo);
        let Some(seg) = known.map(|k| k.0).or_else(|| tcp_segment(pinfo, frame_tvb)) else {
            return;
        };
        if seg.hdr.payload_len == 0 {
            return;
        }
        let Some(conv) = known
            .and_then(|k| k.1)
            .or_else(|| conv_index(pinfo, http_port))
        else {
            return;
        };
        let frame = (*pinfo).num;
        // Fed already (by the heuristic), or nothing more to learn: no copy, no sequence lookup.
        let watched = match state::capture().mid.conns.get(&conv) {
            Some(m) => {
                !(m.last_fed >= frame
                    || m.claimed
                    || m.http
                    || m.det.verdict() == Verdict::NotWebSocket)
            }
            None => http_port,
        };
        if !watched {
            return;
        }
        if http_port && sys::wsk_http_owns_segment(pinfo, 1) == 0 {
            return;
        }
        let payload = copy_captured(
            frame_tvb,
            seg.payload_at,
            seg.payload_captured.min(64 * 1024),
        );
        if http_port && crate::core::upgrade::looks_like_upgrade_response(&payload) {
            // A capture that begins between the Upgrade request and its 101, on a port HTTP
            // owns: HTTP shows the 101 but hands nothing over (it upgrades after a request it
            // saw). As the heuristic does elsewhere, the 101 opens the connection (the
            // handshake was learnt from it just now), unless the connection was seen before.
            let st = state::capture();
            let unseen = !st.mid.conns.contains_key(&conv)
                && st.ws.conns.get(&conv).is_some_and(|c| {
                    c.hs.request_frame.is_none() && c.hs.response_frame == Some(frame)
                });
            drop(st);
            if unseen {
                sys::wsk_claim_conversation(pinfo, frame + 1);
                return;
            }
        }
        if http_port && crate::core::http::starts_http_message(&payload) {
            let mut st = state::capture();
            if let Some(m) = st.mid.conns.get_mut(&conv) {
                if !m.claimed {
                    m.http = true;
                    m.backlog = Default::default();
                }
            } else {
                st.mid
                    .conns
                    .insert(conv, MidConn::new(src_endpoint(pinfo), true));
                state::MID_WATCHING.store(true, Relaxed);
            }
            return;
        }
        let seq = sys::wsk_tcp_sub_seq(pinfo, seg.hdr.seq);
        let (src, dst) = (src_endpoint(pinfo), dst_endpoint(pinfo));
        if let Some(from) = feed(
            pinfo,
            conv,
            &src,
            &dst,
            seq,
            seg.hdr.payload_len,
            &payload,
            true,
        ) {
            sys::wsk_claim_conversation(pinfo, from.max(1));
        }
    }
}

/// Can `dir`'s sync, found after the decision, be followed without reading payload as headers?
/// Once confirmed (a header exactly where the chain said, in a later segment), or when the
/// segment is exactly the only chain found, from its first byte to its last, and holds a Close
/// with a valid code (a side's last segment, often its only one). Inside a big frame's payload
/// the only chain a segment holds is often one bogus header, whose length runs past the segment
/// or, for one of the last hundred offsets or so, ends exactly at its end (measured: 80 wrong
/// frames in 60 cuts of bulk_mtu1500 when such a chain was followed).
fn sure(det: &crate::core::midstream::Detector, dir: Dir) -> bool {
    det.confirmed(dir)
        || (det.settled(dir)
            && det.sync_offset(dir) == Some(0)
            && det.pending(dir) == 0
            && det.partial_header(dir).is_empty()
            && det.closes_seen(dir) >= 1)
}

/// Feed one segment to the connection's detector (first pass). `late`: the segment was someone
/// else's on this pass (fed by the postdissector) and is not dissected by us now, so the
/// decision's plan covers it too.
#[allow(clippy::too_many_arguments)]
unsafe fn feed(
    pinfo: Pinfo,
    conv: u32,
    src: &Endpoint,
    dst: &Endpoint,
    seq: u32,
    len: u32,
    payload: &[u8],
    late: bool,
) -> Option<u32> {
    // SAFETY: the caller's contract: pinfo is the live packet's, as Wireshark passed it.
    let frame = unsafe { (*pinfo).num };
    let mut guard = state::capture();
    let cap: &mut Capture = &mut guard;
    let m = cap.mid.conns.entry(conv).or_insert_with(|| {
        state::MID_WATCHING.store(true, Relaxed);
        MidConn::new(src.clone(), false)
    });
    // Each segment once: with heuristics tried first, TCP's heuristic fed it before HTTP had it.
    if m.claimed || m.http || m.det.verdict() == Verdict::NotWebSocket || m.last_fed >= frame {
        return None;
    }
    m.last_fed = frame;
    let dir = if &m.a == src { Dir::A } else { Dir::B };
    if dir == Dir::B && m.b.is_none() {
        m.b = Some(src.clone());
    }
    let (was_in_sync, pending_before) = (m.det.in_sync(dir), m.det.pending(dir));
    m.backlog[idx(dir)].push(frame, seq, len, payload);
    let verdict = m.det.feed(dir, seq, payload);
    if verdict != Verdict::WebSocket {
        if verdict == Verdict::NotWebSocket {
            m.backlog = Default::default();
        } else {
            for d in [Dir::A, Dir::B] {
                let from = m.det.keep_from(d);
                m.backlog[idx(d)].trim(from);
            }
        }
        return None;
    }
    m.claimed = true;
    m.claimed_at = frame;
    // Reassemblies other dissectors began inside the stream (from its first segment the plugin
    // saw, which every later pass shows as ours): an open one would hold the rest of a direction,
    // a finished one would hand its bytes, not the segments, to us on later passes.
    let (fwd, rev) = (
        m.backlog[idx(dir)].first_seq(),
        m.backlog[1 - idx(dir)].first_seq(),
    );
    // SAFETY: the caller's contract: pinfo is the live packet's.
    unsafe {
        sys::wsk_tcp_release_pdus(
            pinfo,
            fwd.is_some() as c_int,
            fwd.unwrap_or(0),
            rev.is_some() as c_int,
            rev.unwrap_or(0),
        );
    }
    let client = m.det.client_dir();
    // The endpoints of the two directions, and the client.
    let ep = |d: Dir| -> Endpoint {
        match d {
            Dir::A => m.a.clone(),
            Dir::B => m.b.clone().unwrap_or_else(|| {
                if &m.a == src {
                    dst.clone()
                } else {
                    src.clone()
                }
            }),
        }
    };
    let (ep_a, ep_b) = (ep(Dir::A), ep(Dir::B));
    let endpoint = |d: Dir| if d == Dir::A { &ep_a } else { &ep_b };
    let max = PREF_MAX_MESSAGE.load(Relaxed) as usize;
    let max_inflate = PREF_MAX_INFLATE.load(Relaxed) as usize;
    if let Some(c) = client {
        let cs = cap.ws.conn(conv, max);
        if cs.client.is_none() {
            cs.client = Some(endpoint(c).clone());
        }
    }
    // The frames before the deciding segment, from the kept bytes.
    let mut done = Vec::new();
    let mut from_frame = frame;
    for d in [Dir::A, Dir::B] {
        let before = (d == dir && !late).then_some(frame);
        let mut backlog = std::mem::take(&mut m.backlog[idx(d)]);
        // A direction whose sync could still be a bogus header (other chains possible) is not
        // followed yet: its segments are worked out as they come (`Skip::Unknown`).
        let start = m.det.chain_start(d).filter(|_| m.det.settled(d));
        let plan = backlog.plan(start, m.det.masked(d), before);
        m.skip[idx(d)] = match plan.resume {
            Resume::At(at) => Skip::At(at),
            Resume::Open { bytes, total } => Skip::Open { bytes, total },
            // Nothing kept: as far as the detector knows, when it cannot be mistaken; else the
            // direction's segments (this one too) are worked out as they come.
            Resume::Unknown if d == dir && !late && sure(&m.det, d) => {
                let first = if was_in_sync {
                    pending_before
                } else {
                    m.det.sync_offset(dir).map_or(u64::from(len), |o| o as u64)
                };
                Skip::Remaining(first)
            }
            Resume::Unknown if d != dir && sure(&m.det, d) => Skip::Remaining(m.det.pending(d)),
            Resume::Unknown => Skip::Unknown,
        };
        if matches!(m.skip[idx(d)], Skip::Unknown) {
            // Still looking for its sync: its bytes stay kept, for the frames between where its
            // chain will be found to start and where it is confirmed.
            m.backlog[idx(d)] = std::mem::take(&mut backlog);
        }
        if let Some(f) = store_units(&mut cap.mid.units, &plan.units, &plan.done) {
            from_frame = from_frame.min(f);
        }
        done.extend(plan.done.into_iter().map(|x| (x, d)));
    }
    // Their records, in capture order (both directions).
    done.sort_by_key(|(x, _)| (x.frame, x.ordinal));
    for (x, d) in done {
        record(&mut cap.ws, conv, endpoint(d), &x, max, max_inflate);
    }
    Some(from_frame)
}

/// First pass, from the dissector, for a claimed mid-stream connection: the unit at the start of
/// this segment that is not a frame header (the rest of a frame begun before the capture, or of
/// one begun before the decision, or data not yet in sync), kept for every later pass. Returns its
/// length (0: the segment starts with a frame header).
pub unsafe fn first_pass_unit(
    pinfo: Pinfo,
    conv: u32,
    src: &Endpoint,
    seq: Option<u32>,
    len: u32,
    payload: &[u8],
) -> u32 {
    // SAFETY: the caller's contract: pinfo is the live packet's, as Wireshark passed it.
    let frame = unsafe { (*pinfo).num };
    let mut guard = state::capture();
    let cap: &mut Capture = &mut guard;
    let Some(m) = cap.mid.conns.get_mut(&conv) else {
        return 0;
    };
    if !m.claimed || cap.mid.units.contains_key(&frame) {
        return 0;
    }
    let dir = if &m.a == src { Dir::A } else { Dir::B };
    let i = idx(dir);
    let len64 = u64::from(len);
    let mut skip = std::mem::replace(&mut m.skip[i], Skip::Synced);
    let (unit, next) = loop {
        break match skip {
            Skip::Synced => (None, Skip::Synced),
            Skip::Remaining(r) => {
                let n = r.min(len64);
                let next = if r > n {
                    Skip::Remaining(r - n)
                } else {
                    Skip::Synced
                };
                (Some((n as u32, Kind::Before, None)), next)
            }
            Skip::At(at) => match seq {
                Some(s) if (at.wrapping_sub(s) as i32) > 0 => {
                    let n = u64::from(at.wrapping_sub(s)).min(len64);
                    let next = if n == len64 {
                        Skip::At(at)
                    } else {
                        Skip::Synced
                    };
                    (Some((n as u32, Kind::Before, None)), next)
                }
                _ => (None, Skip::Synced),
            },
            Skip::Open { mut bytes, total } => {
                let need = total.saturating_sub(bytes.len() as u64);
                let take = need.min(len64) as usize;
                if payload.len() < take {
                    // Not captured: the frame is lost; what there is stays a continuation.
                    (Some((take as u32, Kind::Before, None)), Skip::Synced)
                } else {
                    bytes.extend_from_slice(&payload[..take]);
                    if bytes.len() as u64 == total {
                        let b = Arc::new(bytes);
                        (Some((take as u32, Kind::Stored, Some(b))), Skip::Synced)
                    } else {
                        (
                            Some((take as u32, Kind::Prefix, None)),
                            Skip::Open { bytes, total },
                        )
                    }
                }
            }
            Skip::Unknown => {
                let Some(seq) = seq else {
                    m.skip[i] = Skip::Unknown;
                    return 0;
                };
                if !m.backlog[i].ends_with_frame(frame) {
                    m.backlog[i].push(frame, seq, len, payload);
                }
                m.det.feed(dir, seq, payload);
                // Followed once the sync cannot be mistaken (`sure`): a bogus one would have every
                // header after it read from payload. Until then the segment is shown as a
                // continuation (and kept).
                if !sure(&m.det, dir) {
                    let from = m.det.keep_from(dir);
                    m.backlog[i].trim(from);
                    (Some((len, Kind::Before, None)), Skip::Unknown)
                } else if let Some(resume) =
                    recover(m, &mut cap.mid.units, &mut cap.ws, conv, dir, src, frame)
                {
                    // The frames from the chain's first header, in the kept segments, are now
                    // known (later passes show them); this segment goes on from where they end.
                    skip = resume;
                    continue;
                } else if let Some(o) = m.det.sync_offset(dir) {
                    (
                        Some(((o as u64).min(len64) as u32, Kind::Before, None)),
                        Skip::Synced,
                    )
                } else if m.det.partial_header(dir).is_empty() {
                    // No header begins in this segment: the rest of the frame in progress follows.
                    let next = match m.det.pending(dir) {
                        0 => Skip::Synced,
                        p => Skip::Remaining(p),
                    };
                    (Some((len, Kind::Before, None)), next)
                } else {
                    (Some((len, Kind::Before, None)), Skip::Unknown)
                }
            }
        };
    };
    m.skip[i] = next;
    match unit {
        Some((n, kind, bytes)) if n > 0 => {
            cap.mid.units.insert(
                frame,
                vec![MidUnit {
                    off: 0,
                    len: n,
                    kind,
                    bytes,
                }],
            );
            n
        }
        _ => 0,
    }
}

/// First pass: `dir` of a claimed connection has just confirmed its sync (`sure`), in frame
/// `frame`. The frames of its kept segments from the chain's first header on are worked out from
/// the kept bytes: their units replace the continuation shown so far on later passes, their
/// records are stored (in capture order, so this direction's messages are numbered from there),
/// and the state at the start of this segment is returned. `None` when nothing was kept.
fn recover(
    m: &mut MidConn,
    units: &mut state::Map<u32, Vec<MidUnit>>,
    ws: &mut state::Store,
    conv: u32,
    dir: Dir,
    src: &Endpoint,
    frame: u32,
) -> Option<Skip> {
    let i = idx(dir);
    let start = m.det.chain_start(dir)?;
    let backlog = std::mem::take(&mut m.backlog[i]);
    backlog.first_seq()?;
    let plan = backlog.plan(Some(start), m.det.masked(dir), Some(frame));
    let resume = match plan.resume {
        Resume::At(at) => Skip::At(at),
        Resume::Open { bytes, total } => Skip::Open { bytes, total },
        Resume::Unknown => return None,
    };
    // The earlier segments' units (each was one continuation unit).
    let mut seen = std::collections::HashSet::new();
    for u in &plan.units {
        if seen.insert(u.frame) {
            units.remove(&u.frame);
        }
    }
    store_units(units, &plan.units, &plan.done);
    let max = PREF_MAX_MESSAGE.load(Relaxed) as usize;
    let max_inflate = PREF_MAX_INFLATE.load(Relaxed) as usize;
    let mut done = plan.done;
    done.sort_by_key(|x| (x.frame, x.ordinal));
    for x in done {
        record(ws, conv, src, &x, max, max_inflate);
    }
    Some(resume)
}

/// Store the record of a frame worked out from kept bytes (first pass).
fn record(
    ws: &mut state::Store,
    conv: u32,
    src: &Endpoint,
    x: &crate::core::backlog::Done,
    max: usize,
    max_inflate: usize,
) {
    let Status::Complete(hdr) = parse_header(&x.bytes) else {
        return;
    };
    let mut payload = x.bytes[hdr.header_len.min(x.bytes.len())..].to_vec();
    if let Some(key) = hdr.mask {
        unmask(&mut payload, key, 0);
    }
    let complete = payload.len() as u64 == hdr.payload_len;
    ws.first_pass_frame(
        conv,
        (x.frame, x.ordinal),
        src,
        &hdr,
        &payload,
        complete,
        max,
        max_inflate,
    );
}

/// Store a plan's units per frame (a frame's units in ordinal order; a frame whose units are
/// stored already keeps them; `done` holds the bytes of the frames shown whole). Returns the
/// earliest frame of the plan.
fn store_units(
    units: &mut state::Map<u32, Vec<MidUnit>>,
    planned: &[crate::core::backlog::Unit],
    done: &[crate::core::backlog::Done],
) -> Option<u32> {
    let mut first: Option<u32> = None;
    for u in planned {
        first = Some(first.map_or(u.frame, |f| f.min(u.frame)));
        let bytes = if u.kind == Kind::Stored {
            done.iter()
                .find(|x| (x.frame, x.ordinal) == (u.frame, u.ordinal))
                .map(|x| Arc::new(x.bytes.clone()))
        } else {
            None
        };
        let list = units.entry(u.frame).or_default();
        if list.len() == u.ordinal as usize {
            list.push(MidUnit {
                off: u.off,
                len: u.len,
                kind: u.kind,
                bytes,
            });
        }
    }
    first
}
