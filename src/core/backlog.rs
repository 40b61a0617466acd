//! What one direction of a not-yet-recognised connection sent before the mid-stream decision, so
//! that once the connection is recognised every frame from the first known frame boundary can be
//! shown on later passes (`tshark -2`, the GUI), numbered from there.
//!
//! While the [`super::midstream::Detector`] is undecided, the glue pushes each segment of the
//! direction here (first pass, capture order) and then trims the bytes to the earliest place the
//! detector could still start its chain ([`Backlog::trim`]): bytes before any sync point are never
//! needed, so random or foreign data keeps (almost) nothing. At the decision, [`Backlog::plan`]
//! walks the detector's chain from its first header and says, per segment, which byte ranges are
//! which ([`Unit`]): bytes before the first frame boundary, whole frames, the first bytes of a
//! frame completed in a later segment, and frames completed in this segment that began earlier
//! (their bytes are kept: TCP's reassembly cannot be asked for them any more, because those
//! segments were not ours on the first pass).
//!
//! Memory is bounded: at most [`MAX_BYTES`] per direction and [`MAX_SEGS`] segments; past that
//! the direction is shown from the decision on, as before.
#![forbid(unsafe_code)]

use super::frame::{parse_header, Status};
use super::midstream::frames_tile;

/// Bytes kept per direction while undecided.
pub const MAX_BYTES: usize = 4 << 20;
/// Bytes kept before the earliest possible chain start (or when there is none), so that the chain
/// can be extended back over whole segments of small frames that the detector passed by (e.g.
/// while it followed a sync that later failed).
pub const RETAIN: usize = 4096;
/// Segments remembered per direction while undecided.
pub const MAX_SEGS: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Seg {
    frame: u32,
    seq: u32,
    len: u32,
}

/// One direction's bytes since the earliest possible chain start.
#[derive(Clone, Debug, Default)]
pub struct Backlog {
    segs: Vec<Seg>,
    /// Sequence number of `bytes[0]`.
    base: Option<u32>,
    bytes: Vec<u8>,
    /// Bytes were dropped (cap, or not captured): the plan cannot start before `base`.
    lost: bool,
    full: bool,
}

/// What a range of a segment is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Before the first frame boundary found (the rest of a frame begun before the capture).
    Before,
    /// Bytes this direction sent before (a retransmission).
    Repeat,
    /// The first bytes of a frame that is completed (and shown) in a later segment.
    Prefix,
    /// A whole frame.
    Frame,
    /// The end of a frame begun in an earlier segment; the whole frame is shown here.
    Stored,
}

/// A byte range of one segment (frame number `frame`, offset `off`), the `ordinal`-th unit of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unit {
    pub frame: u32,
    pub off: u32,
    pub len: u32,
    pub kind: Kind,
    pub ordinal: u32,
}

/// A frame the plan found complete: its bytes (header and payload as on the wire).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Done {
    pub frame: u32,
    pub ordinal: u32,
    pub bytes: Vec<u8>,
}

/// Where the direction stands at the end of the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resume {
    /// The next frame header is at this sequence number.
    At(u32),
    /// A frame is in progress: its first bytes and its whole length.
    Open { bytes: Vec<u8>, total: u64 },
    /// Not known (nothing kept): the glue falls back to the detector's view.
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub units: Vec<Unit>,
    pub done: Vec<Done>,
    pub resume: Resume,
}

fn after(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

impl Backlog {
    /// A segment of this direction: frame number, sequence number of its first byte, its length,
    /// and its captured bytes (a prefix of it when not all was captured).
    pub fn push(&mut self, frame: u32, seq: u32, len: u32, captured: &[u8]) {
        if len == 0 {
            return;
        }
        if self.segs.len() >= MAX_SEGS {
            self.full = true;
            return;
        }
        self.segs.push(Seg { frame, seq, len });
        let whole = captured.len() as u64 == u64::from(len);
        let end = self.base.map(|b| b.wrapping_add(self.bytes.len() as u32));
        let data = match end {
            Some(e) if seq == e => captured,
            Some(e) if after(e, seq) => {
                let overlap = e.wrapping_sub(seq) as usize;
                if overlap >= captured.len() {
                    return;
                }
                &captured[overlap..]
            }
            _ => {
                // First bytes, or bytes after a hole: start afresh here.
                self.bytes.clear();
                self.base = Some(seq);
                captured
            }
        };
        if !whole || self.bytes.len() + data.len() > MAX_BYTES {
            self.bytes.clear();
            self.base = None;
            self.lost = true;
            return;
        }
        self.bytes.extend_from_slice(data);
    }

    /// Keep only the bytes from `from` on (the earliest chain start still possible) and the last
    /// [`RETAIN`] bytes; `None`: no chain is possible now.
    pub fn trim(&mut self, from: Option<u32>) {
        let Some(base) = self.base else { return };
        let lo = base.wrapping_add(self.bytes.len().saturating_sub(RETAIN) as u32);
        let from = match from {
            Some(s) if after(lo, s) => Some(s),
            _ => Some(lo),
        };
        match from {
            None => {}
            Some(s) => {
                let off = s.wrapping_sub(base) as usize;
                if after(base, s) {
                    return;
                }
                if off >= self.bytes.len() {
                    self.bytes.clear();
                    self.base = None;
                } else {
                    self.bytes.drain(..off);
                    self.base = Some(s);
                }
            }
        }
    }

    /// Was the last segment pushed that of frame `frame`?
    pub fn ends_with_frame(&self, frame: u32) -> bool {
        self.segs.last().is_some_and(|s| s.frame == frame)
    }

    /// Sequence number of the first segment pushed (every later pass shows the segments from
    /// there on as this connection's).
    pub fn first_seq(&self) -> Option<u32> {
        self.segs.first().map(|s| s.seq)
    }

    /// Bytes kept now (for tests and memory accounting).
    pub fn kept(&self) -> usize {
        self.bytes.len()
    }

    fn get(&self, seq: u32, n: usize) -> Option<&[u8]> {
        let base = self.base?;
        if after(base, seq) {
            return None;
        }
        let off = seq.wrapping_sub(base) as usize;
        self.bytes.get(off..off.checked_add(n)?)
    }

    /// The chain start moved back over kept bytes that are whole sane frames from the start of a
    /// segment up to it (masking as the direction's), one segment at a time.
    fn extend_back(&self, mut start: u32, masked: Option<bool>) -> u32 {
        loop {
            let Some(s) = self.segs.iter().rev().find(|s| after(start, s.seq)) else {
                return start;
            };
            let n = start.wrapping_sub(s.seq) as usize;
            match self.get(s.seq, n) {
                Some(b) if frames_tile(b, masked) => start = s.seq,
                _ => return start,
            }
        }
    }

    /// The units of every segment pushed before frame `before` (all segments with `None`), with
    /// the frame structure starting at `start` (the detector's chain start; `None`: not in sync).
    pub fn plan(&self, start: Option<u32>, masked: Option<bool>, before: Option<u32>) -> Plan {
        let mut units = Vec::new();
        let mut done = Vec::new();
        let usable = start
            .filter(|s| self.get(*s, 0).is_some() && !self.full)
            .map(|s| self.extend_back(s, masked));
        // Next header (sequence number), or the frame in progress.
        let mut next = usable;
        let mut open: Option<(Vec<u8>, u64, bool)> = None; // bytes, total, began in an earlier segment
        let mut high: Option<u32> = None;
        let mut broken = usable.is_none();
        for s in self
            .segs
            .iter()
            .filter(|s| before.is_none_or(|b| s.frame < b))
        {
            let first = units.len();
            let mut pos = 0u32;
            let push = |units: &mut Vec<Unit>, off: u32, len: u32, kind: Kind| {
                let ordinal = (units.len() - first) as u32;
                units.push(Unit {
                    frame: s.frame,
                    off,
                    len,
                    kind,
                    ordinal,
                });
            };
            let end = s.seq.wrapping_add(s.len);
            // Bytes sent again.
            if let Some(h) = high {
                if !after(end, h) {
                    push(&mut units, 0, s.len, Kind::Repeat);
                    continue;
                }
                if after(h, s.seq) {
                    let n = h.wrapping_sub(s.seq);
                    push(&mut units, 0, n, Kind::Repeat);
                    pos = n;
                }
            }
            high = Some(end);
            if let Some((_, _, began)) = &mut open {
                *began = true;
            }
            while pos < s.len {
                let seq = s.seq.wrapping_add(pos);
                let rest = s.len - pos;
                if broken {
                    push(&mut units, pos, rest, Kind::Before);
                    break;
                }
                if let Some((mut b, total, began)) = open.take() {
                    if total == 0 {
                        broken = true;
                        continue;
                    }
                    let need = total - b.len() as u64;
                    let take = need.min(u64::from(rest)) as u32;
                    let Some(more) = self.get(seq, take as usize) else {
                        broken = true;
                        continue;
                    };
                    b.extend_from_slice(more);
                    if b.len() as u64 == total {
                        let kind = if began { Kind::Stored } else { Kind::Frame };
                        done.push(Done {
                            frame: s.frame,
                            ordinal: (units.len() - first) as u32,
                            bytes: b,
                        });
                        push(&mut units, pos, take, kind);
                        next = Some(seq.wrapping_add(take));
                    } else {
                        push(&mut units, pos, take, Kind::Prefix);
                        open = Some((b, total, began));
                    }
                    pos += take;
                    continue;
                }
                let Some(at) = next else {
                    broken = true;
                    continue;
                };
                if after(at, seq) {
                    let n = at.wrapping_sub(seq).min(rest);
                    push(&mut units, pos, n, Kind::Before);
                    pos += n;
                    continue;
                }
                // A header starts here; its bytes may continue in the next segment.
                let kept_from = at.wrapping_sub(self.base.unwrap_or(at)) as usize;
                let avail = self.bytes.len().saturating_sub(kept_from);
                let Some(hb) = self.get(at, avail.min(14)).filter(|b| !b.is_empty()) else {
                    broken = true;
                    continue;
                };
                let total = match parse_header(hb) {
                    Status::Complete(h) => h.frame_len(),
                    Status::Partial => {
                        // Cut by the end of what was kept: in progress, length not yet known.
                        let first = hb.to_vec();
                        push(&mut units, pos, rest, Kind::Prefix);
                        pos = s.len;
                        open = Some((first, 0, false));
                        next = None;
                        continue;
                    }
                };
                if total > MAX_BYTES as u64 {
                    broken = true;
                    continue;
                }
                next = None;
                open = Some((Vec::new(), total, false));
            }
        }
        let resume = match (open, next) {
            (_, _) if broken => Resume::Unknown,
            (Some((b, total, _)), _) if total > 0 => Resume::Open { bytes: b, total },
            (Some(_), _) => Resume::Unknown,
            (None, Some(at)) => Resume::At(at),
            (None, None) => Resume::Unknown,
        };
        Plan {
            units,
            done,
            resume,
        }
    }
}

#[cfg(test)]
mod tests;
