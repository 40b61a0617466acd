//! Keeping track of where the next frame header is in one direction of a connection, and finding
//! the frame structure again after bytes went missing from the capture.
//!
//! TCP reassembly follows frames across segments as long as every byte is there. When a segment is
//! missing from the capture (dropped by the capturing host, or sent again later out of order), the
//! next segment may begin inside a frame whose header was in the lost bytes; parsing it from its
//! first byte would read payload as headers. [`Resync`] sees every segment handed to the dissector
//! (first pass, capture order) with its TCP sequence number, knows where the next header is due,
//! and says how many bytes at the start of a segment must be skipped:
//!
//! * the segment starts where the next header is due, or at the header of a frame being
//!   reassembled: nothing to skip;
//! * it starts before that point (the rest of a frame that was not reassembled, or bytes seen
//!   before): those bytes are skipped, up to the header;
//! * it starts after that point and past every byte seen so far in this direction (a gap: TCP
//!   never delivered the bytes in between): the frame structure is lost. Segments are then fed to a
//!   mid-stream [`Detector`] for this direction alone and skipped whole until a sync point is
//!   confirmed by a frame header found exactly where the chain predicted it in a later segment;
//!   dissection resumes at that header. A segment that starts after the expected header but
//!   within bytes already seen is not a gap (TCP delivered everything): dissection follows TCP
//!   from its first byte.
//!
//! Sequence numbers are compared modulo 2^32, as TCP does.

use super::midstream::{frames_cover_exactly, Detector, Dir};

fn follower() -> Box<Detector> {
    Box::new(Detector::follower())
}

/// Sane frames that must back a sync point found after a gap before dissection resumes there.
pub const RESYNC_MIN_FRAMES: u32 = 3;

/// Why bytes at the start of a segment are not parsed as frame headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SkipKind {
    /// The first segment after bytes missing from the capture (`missing` bytes, at least).
    Gap { missing: u32 },
    /// Still looking for the frame structure after a gap.
    Searching,
    /// The frame structure was found again; the skipped bytes precede its first header.
    Found,
    /// Bytes before the next header that belong to a frame already shown (a frame that was not
    /// reassembled, or data TCP handed over again).
    Rest,
}

/// One direction's position in the frame structure.
#[derive(Clone, Debug, Default)]
pub struct Resync {
    /// Sequence number of the last frame header parsed (a reassembled frame comes back from here).
    last_header: Option<u32>,
    /// Sequence number where the next frame header is due.
    expect: Option<u32>,
    /// Set while the frame structure is lost.
    search: Option<Box<Detector>>,
    /// Sequence number just past the furthest byte seen in this direction.
    high: Option<u32>,
}

impl Resync {
    pub fn new() -> Resync {
        Resync::default()
    }

    /// Is the frame structure lost (looking for it again)?
    pub fn searching(&self) -> bool {
        self.search.is_some()
    }

    /// Whether [`Resync::on_segment`] will look at the bytes of a segment starting at `seq`
    /// (searching, or a gap begins there); otherwise an empty `payload` will do.
    pub fn needs_payload(&self, seq: u32) -> bool {
        self.search.is_some()
            || self
                .expect
                .is_some_and(|e| Some(seq) != self.last_header && (seq.wrapping_sub(e) as i32) > 0)
    }

    /// A segment's bytes are about to be dissected: `seq` is the sequence number of `payload[0]`
    /// and `len` the segment's length (`payload` may be shorter: what was captured, or a prefix).
    /// Returns how many bytes at its start to skip, and why; `None` when it starts at a header.
    /// A count of 0 with a reason means the segment starts at a header but follows a gap (or
    /// ends a search): worth a note.
    pub fn on_segment(&mut self, seq: u32, len: u32, payload: &[u8]) -> Option<(u32, SkipKind)> {
        if len == 0 {
            return None;
        }
        let end = seq.wrapping_add(len);
        // Does the segment start at or past everything seen so far (not a retransmission)?
        let fresh = self.high.is_none_or(|h| (seq.wrapping_sub(h) as i32) >= 0);
        // Does it start past everything seen so far: bytes TCP never delivered (what TCP's
        // sequence analysis calls a lost segment)?
        let beyond = self.high.is_none_or(|h| (seq.wrapping_sub(h) as i32) > 0);
        if self.high.is_none_or(|h| (end.wrapping_sub(h) as i32) > 0) {
            self.high = Some(end);
        }
        if self.search.is_some() {
            if !fresh {
                // Bytes sent again: a place to resume must be in new data.
                return Some((len, SkipKind::Searching));
            }
            return Some(self.search_in(seq, len, payload, SkipKind::Searching));
        }
        let expect = self.expect?;
        if Some(seq) == self.last_header || seq == expect {
            return None;
        }
        let off = seq.wrapping_sub(expect) as i32;
        if off > 0 && !beyond {
            // TCP delivered every byte up to here, so nothing is missing from the capture; the
            // expected position is what is off (bytes TCP handed over without a frame being
            // parsed from them). A gap is what TCP says is a gap: follow TCP, as
            // `tcp_dissect_pdus` does, from this segment's first byte.
            self.last_header = None;
            self.expect = Some(seq);
            return None;
        }
        if off > 0 {
            // Bytes expect..seq are missing: the header due at `expect` is among them.
            self.last_header = None;
            self.expect = None;
            self.search = Some(follower());
            return Some(self.search_in(
                seq,
                len,
                payload,
                SkipKind::Gap {
                    missing: off as u32,
                },
            ));
        }
        // The segment starts before the next header: skip up to it (or all of it).
        let before = expect.wrapping_sub(seq);
        Some((before.min(len), SkipKind::Rest))
    }

    fn search_in(
        &mut self,
        seq: u32,
        len: u32,
        payload: &[u8],
        first: SkipKind,
    ) -> (u32, SkipKind) {
        if payload.len() as u64 == u64::from(len) && frames_cover_exactly(payload) {
            // The segment is whole frames from its first byte: carry on from there.
            self.search = None;
            self.last_header = None;
            self.expect = Some(seq);
            let kind = match first {
                SkipKind::Searching => SkipKind::Found,
                k => k,
            };
            return (0, kind);
        }
        let det = self.search.get_or_insert_with(follower);
        let was_synced = det.in_sync(Dir::A);
        det.feed(Dir::A, seq, payload);
        // A sync point counts once a later segment continued it with a header exactly where
        // predicted, and at least `RESYNC_MIN_FRAMES` sane frames back it.
        let confirmed =
            was_synced && det.confirmed(Dir::A) && det.frames_seen(Dir::A) >= RESYNC_MIN_FRAMES;
        match det.sync_offset(Dir::A) {
            Some(at) if confirmed && (at as u64) < u64::from(len) => {
                self.search = None;
                self.last_header = None;
                self.expect = Some(seq.wrapping_add(at as u32));
                (at as u32, SkipKind::Found)
            }
            _ => (len, first),
        }
    }

    /// A frame header was parsed at `header_seq`; the whole frame is `frame_len` bytes.
    pub fn frame_at(&mut self, header_seq: u32, frame_len: u64) {
        if self.search.is_some() {
            return;
        }
        if frame_len >= 1 << 31 {
            // Too far ahead to compare sequence numbers with: the structure is lost after it.
            self.lose();
            return;
        }
        self.last_header = Some(header_seq);
        self.expect = Some(header_seq.wrapping_add(frame_len as u32));
    }

    /// A frame header begins at `header_seq` but its bytes continue in the next segment (TCP
    /// reassembles them and hands them back from `header_seq`).
    pub fn header_pending_at(&mut self, header_seq: u32) {
        if self.search.is_none() {
            self.last_header = Some(header_seq);
            self.expect = Some(header_seq);
        }
    }

    /// The frame structure cannot be followed past the current segment (a frame too large to
    /// reassemble, or a header cut without reassembly).
    pub fn lose(&mut self) {
        self.last_header = None;
        self.expect = None;
        self.search = Some(follower());
    }
}

#[cfg(test)]
mod tests;
