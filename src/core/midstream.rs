//! Recognising WebSocket traffic in a TCP connection whose capture began
//! after the HTTP Upgrade handshake ("mid-stream" detection).
//!
//! The TCP heuristic hands us one segment payload at a time, per direction,
//! in capture order (first pass). [`Detector`] keeps per-connection evidence
//! for both directions and answers with a [`Verdict`].
//!
//! # How it works
//!
//! * **Finding sync** in a direction (see [`find_sync`]): every candidate
//!   start offset `0..min(len, 64 KiB)` is tried; from a candidate, frames are
//!   parsed back to back. The chain must cover the rest of the segment: it
//!   ends exactly at the segment end, or its last frame (or last, cut frame
//!   header) extends past the end, in which case `pending` is the rest of
//!   that frame. Every frame in the chain must be *sane* (see
//!   [`check_frame`]). The earliest candidate with a sane covering chain
//!   becomes the sync; up to `MAX_CANDIDATES` others that predict something
//!   else for the next segment are kept as *alternatives* (in a segment that
//!   begins inside a big binary frame, bogus headers whose length runs past
//!   the segment end often come before the real frame boundary). A chain that
//!   tiles the whole segment from its first byte keeps no alternative. A new
//!   sync is *unconfirmed* (weak evidence) until a later segment continues it
//!   with a sane header exactly where it was predicted; while alternatives
//!   remain it is not *settled*.
//! * **Staying in sync**: the next segment of that direction skips `pending`
//!   bytes, then frames continue back to back with the same rules (message
//!   fragmentation state, masking and "closed" state carry over).
//! * **Choosing between candidates**: while the sync is unconfirmed, every
//!   alternative is continued into the next segment too. If the sync finds no
//!   header there and an alternative does (exactly where it predicted), the
//!   earliest such alternative becomes the (confirmed) sync; alternatives
//!   refuted by a segment are dropped; when the sync itself is refuted, the
//!   earliest surviving alternative takes over. A segment that the
//!   unconfirmed sync claims wholly as payload is searched too, and its
//!   chains join the alternatives. A sync picked this way among several is
//!   weaker evidence and does not count for the short-connection rules.
//! * **Losing sync**: any insane frame after sync drops the direction's sync
//!   and its evidence. If that sync had been *confirmed* (at least one header
//!   parsed in a later segment) this counts as an inconsistency and all
//!   evidence of the connection is reset; two inconsistencies give
//!   [`Verdict::NotWebSocket`]. An unconfirmed sync that fails is just
//!   dropped: it most likely came from payload bytes of a frame whose header
//!   was before the capture, which is normal when a capture starts inside a
//!   big frame.
//! * **Deciding WebSocket** needs strong evidence (see [`Detector::decide`]).
//!
//! Sequence numbers: a segment that lies wholly before the next expected
//! sequence number of its direction (retransmission / out of order) is
//! ignored; a partial overlap is trimmed; a segment after a hole (lost data)
//! resets that direction's sync without penalty.
#![forbid(unsafe_code)]

use super::frame::{parse_header, FrameHeader, LengthForm, Status};

#[cfg(test)]
mod tests;

/// Candidate sync offsets tried in a segment: `0..min(len, SEARCH_WINDOW)`. As wide as the
/// examine window: a segment of 46 kB that begins inside a big frame may hold that frame's end
/// (the first real header) anywhere.
const SEARCH_WINDOW: usize = 64 * 1024;
/// Covering chains kept from one search (distinct predictions of where the next segment's first
/// header is), and alternative syncs kept per direction while its sync is unconfirmed.
const MAX_CANDIDATES: usize = 24;
/// At most this many bytes of a segment are examined (headers must start
/// inside it, UTF-8 is only checked inside it).
const EXAMINE_WINDOW: usize = 64 * 1024;
/// Segments fed before a final decision is forced (NotWebSocket). Generous, because a capture
/// may begin inside a frame of 100 kB or more (about 70 full segments before the next header).
const MAX_SEGMENTS: u32 = 128;
/// Segments that lie wholly inside the payload of the frame being followed (cheap: nothing is
/// parsed) do not count towards `MAX_SEGMENTS`, up to this many: a capture may begin before a
/// frame of several hundred kB, and the frames after it should still be found.
const MAX_SKIPPED: u32 = 4096;
const MAX_SKIPPED_FRAME: u64 = 16 << 20;
/// Segments of one direction without any sane chain (while not in sync) before the connection is
/// rejected (the inside of a large frame has no chain either; the evidence rules below, not this
/// count, are what keep random data out).
const MAX_NO_CHAIN: u32 = 96;
/// Inconsistencies (a confirmed sync lost) before the connection is rejected.
const MAX_INCONSISTENCIES: u32 = 2;
/// Work budget of one sync search (a header costs `HEADER_COST`, a payload
/// byte checked for UTF-8 costs 1).
const SEARCH_BUDGET: u64 = 8 << 20;
const HEADER_COST: u64 = 16;
/// Sane in-sync frames needed when both directions contributed frames.
const MIN_FRAMES_TWO_DIRS: u32 = 4;
/// Sane in-sync frames needed when only one direction contributed frames.
const MIN_FRAMES_ONE_DIR: u32 = 6;
/// Of those, frames parsed while continuing a sync into a later segment.
const MIN_CONT_TWO_DIRS: u32 = 3;
const MIN_CONT_ONE_DIR: u32 = 4;
/// 64-bit lengths must be below 2^40 (1 TiB); anything larger is noise.
const MAX_LEN_64: u64 = 1 << 40;

/// Result of the detection so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Undecided,
    WebSocket,
    NotWebSocket,
}

/// The two directions of the TCP connection (A = the sender of the first
/// segment seen).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    A,
    B,
}

impl Dir {
    fn idx(self) -> usize {
        match self {
            Dir::A => 0,
            Dir::B => 1,
        }
    }

    fn other(self) -> Dir {
        match self {
            Dir::A => Dir::B,
            Dir::B => Dir::A,
        }
    }
}

/// Where we are in the message structure of one direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Msg {
    /// Just synced, no data frame seen yet: a Continuation may continue a
    /// message begun before the capture.
    Unknown,
    /// Between messages: the next data frame must be Text or Binary.
    Idle,
    /// Inside a fragmented message: the next data frame must be a
    /// Continuation.
    Fragmented,
}

/// State carried along a chain of frames (and across segments once synced).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ChainState {
    /// Masking of this direction: all frames masked or all unmasked.
    masked: Option<bool>,
    msg: Msg,
    /// A Close was sent: nothing may follow in this direction.
    closed: bool,
}

impl ChainState {
    fn fresh(masked: Option<bool>) -> ChainState {
        ChainState {
            masked,
            msg: Msg::Unknown,
            closed: false,
        }
    }
}

/// Close codes that may appear on the wire (RFC 6455 §7.4.1, §7.4.2).
fn close_code_ok(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// First byte of a valid close code (big endian): 0x03 for 1000-1014,
/// 0x0B-0x13 for 3000-4999.
fn close_code_high_ok(b: u8) -> bool {
    matches!(b, 0x03 | 0x0B..=0x13)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Utf8 {
    Valid,
    /// Valid, but the last sequence is cut at the end.
    Truncated,
    Invalid,
}

/// Streaming UTF-8 check (stops at the first error). `cost` is increased by
/// the number of bytes looked at.
fn check_utf8(bytes: impl Iterator<Item = u8>, cost: &mut u64) -> Utf8 {
    // Remaining continuation bytes, and the allowed range of the next one.
    let mut need = 0u8;
    let mut lo = 0x80u8;
    let mut hi = 0xBFu8;
    for b in bytes {
        *cost += 1;
        if need > 0 {
            if b < lo || b > hi {
                return Utf8::Invalid;
            }
            need -= 1;
            lo = 0x80;
            hi = 0xBF;
            continue;
        }
        match b {
            0x00..=0x7F => {}
            0xC2..=0xDF => need = 1,
            0xE0 => (need, lo) = (2, 0xA0),
            0xE1..=0xEC | 0xEE..=0xEF => need = 2,
            0xED => (need, hi) = (2, 0x9F),
            0xF0 => (need, lo) = (3, 0x90),
            0xF1..=0xF3 => need = 3,
            0xF4 => (need, hi) = (3, 0x8F),
            _ => return Utf8::Invalid,
        }
    }
    if need > 0 {
        Utf8::Truncated
    } else {
        Utf8::Valid
    }
}

/// Payload bytes `avail` (starting at payload offset 0) with the mask removed.
fn unmasked<'a>(h: &FrameHeader, avail: &'a [u8]) -> impl Iterator<Item = u8> + 'a {
    let mask = h.mask.unwrap_or([0; 4]);
    avail.iter().enumerate().map(move |(i, b)| b ^ mask[i % 4])
}

/// Sanity of one frame (RFC 6455 §5). `avail` holds the payload bytes that
/// are present and examined (a prefix of the payload); `complete` says the
/// whole payload is in `avail`. Returns the state after the frame.
///
/// Rules:
/// * RSV2 = RSV3 = 0; RSV1 only on the first frame of a data message (Text
///   or Binary; permessage-deflate), never on Continuation or control frames;
/// * opcode in {0, 1, 2, 8, 9, 10};
/// * control frames: FIN = 1 and payload <= 125;
/// * the length is in minimal form (§5.2) and a 64-bit length is < 2^40;
/// * masking is consistent within the direction;
/// * a Close payload is empty or >= 2 bytes with a valid code (1000-1003,
///   1007-1014, 3000-4999) and a UTF-8 reason; nothing follows a Close;
/// * an uncompressed Text frame (unmasked, or after unmasking) is valid
///   UTF-8 as far as present; a cut multi-byte sequence is allowed only
///   where the frame is cut by the segment end (or the frame is not final,
///   as the message continues in the next fragment);
/// * fragmentation: Continuation only inside a fragmented message (or as
///   the first data frame after sync, continuing a message begun before the
///   capture); Text/Binary not inside a fragmented message;
/// * (heuristic) an empty non-final data fragment is rejected: real
///   endpoints do not send them, and zero padding would otherwise parse as
///   an endless chain of them.
fn check_frame(
    h: &FrameHeader,
    avail: &[u8],
    complete: bool,
    st: &ChainState,
    cost: &mut u64,
) -> Option<ChainState> {
    let mut next = *st;
    if st.closed || h.rsv2 || h.rsv3 {
        return None;
    }
    // Minimal length form and sane 64-bit lengths.
    match h.length_form {
        LengthForm::Short => {}
        LengthForm::Extended16 if h.payload_len < 126 => return None,
        LengthForm::Extended64 if h.payload_len <= 0xFFFF || h.payload_len >= MAX_LEN_64 => {
            return None
        }
        _ => {}
    }
    match st.masked {
        Some(m) if m != h.masked => return None,
        _ => next.masked = Some(h.masked),
    }
    match h.opcode_raw {
        // Continuation.
        0 => {
            if h.rsv1 || st.msg == Msg::Idle {
                return None;
            }
            if !h.fin && h.payload_len == 0 {
                return None;
            }
            next.msg = if h.fin { Msg::Idle } else { Msg::Fragmented };
        }
        // Text / Binary.
        1 | 2 => {
            if st.msg == Msg::Fragmented {
                return None;
            }
            if !h.fin && h.payload_len == 0 {
                return None;
            }
            next.msg = if h.fin { Msg::Idle } else { Msg::Fragmented };
            if h.opcode_raw == 1 && !h.rsv1 {
                match check_utf8(unmasked(h, avail), cost) {
                    Utf8::Valid => {}
                    Utf8::Truncated if !complete || !h.fin => {}
                    _ => return None,
                }
            }
        }
        // Close / Ping / Pong.
        8..=10 => {
            if !h.fin || h.rsv1 || h.payload_len > 125 {
                return None;
            }
            if h.opcode_raw == 8 {
                if h.payload_len == 1 {
                    return None;
                }
                let mut p = unmasked(h, avail);
                match (p.next(), p.next()) {
                    (Some(a), Some(b)) => {
                        if !close_code_ok(u16::from_be_bytes([a, b])) {
                            return None;
                        }
                        let reason = check_utf8(p, cost);
                        if reason == Utf8::Invalid || (reason == Utf8::Truncated && complete) {
                            return None;
                        }
                    }
                    (Some(a), None) if !close_code_high_ok(a) => return None,
                    _ => {}
                }
                next.closed = true;
            }
        }
        _ => return None,
    }
    Some(next)
}

/// Sanity of a frame header cut by the segment end (`b` = its first 1..13
/// bytes): the checks of [`check_frame`] that these bytes allow.
fn check_partial_header(b: &[u8], st: &ChainState) -> bool {
    let Some(&b0) = b.first() else {
        return false;
    };
    let fin = b0 & 0x80 != 0;
    let rsv1 = b0 & 0x40 != 0;
    if st.closed || b0 & 0x30 != 0 {
        return false;
    }
    let op = b0 & 0x0F;
    let ok = match op {
        0 => !rsv1 && st.msg != Msg::Idle,
        1 | 2 => st.msg != Msg::Fragmented,
        8..=10 => fin && !rsv1,
        _ => false,
    };
    if !ok {
        return false;
    }
    if let Some(&b1) = b.get(1) {
        let masked = b1 & 0x80 != 0;
        let len7 = b1 & 0x7F;
        if st.masked.is_some_and(|m| m != masked) {
            return false;
        }
        if op >= 8 && len7 > 125 {
            return false;
        }
        if op < 8 && !fin && len7 == 0 {
            return false;
        }
        // A 64-bit length < 2^40 starts with three zero bytes.
        if len7 == 127 && b.iter().skip(2).take(3).any(|&x| x != 0) {
            return false;
        }
    }
    true
}

/// How a chain of frames ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    /// Exactly at the segment end.
    Exact,
    /// The last frame extends this many bytes past the segment end.
    Pending(u64),
    /// A frame header is cut by the segment end; it starts at this offset.
    PartialHeader(usize),
    /// The chain reached the examine window before the segment end: the rest
    /// cannot be verified.
    Window,
}

/// Evidence gathered from sane frames parsed in sync.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Tally {
    /// Complete frame headers parsed.
    frames: u32,
    /// Data frames (Text/Binary/Continuation) with a non-empty payload.
    data_frames: u32,
    /// First masking key seen, and whether a different one was seen since
    /// (clients pick a fresh random key per frame, RFC 6455 §5.3).
    key: Option<[u8; 4]>,
    keys_vary: bool,
    /// Close frames (their code and reason passed [`check_frame`]).
    closes: u32,
    /// The last Ping and the last Pong whose whole payload was examined: (length, hash of the
    /// unmasked payload). A Pong answers a Ping with the same payload (RFC 6455 §5.5.3).
    ping: Option<(u8, u64)>,
    pong: Option<(u8, u64)>,
}

/// FNV-1a of a control frame's unmasked payload.
fn payload_hash(h: &FrameHeader, avail: &[u8]) -> (u8, u64) {
    let mut x = 0xcbf2_9ce4_8422_2325u64;
    for b in unmasked(h, avail) {
        x = (x ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    (h.payload_len as u8, x)
}

impl Tally {
    fn add_frame(&mut self, h: &FrameHeader, avail: &[u8]) {
        self.frames += 1;
        if h.opcode_raw <= 2 && h.payload_len > 0 {
            self.data_frames += 1;
        }
        self.add_key(h.mask);
        let whole = avail.len() as u64 == h.payload_len;
        match h.opcode_raw {
            8 => self.closes += 1,
            9 if whole => self.ping = Some(payload_hash(h, avail)),
            10 if whole => self.pong = Some(payload_hash(h, avail)),
            _ => {}
        }
    }

    fn add_key(&mut self, k: Option<[u8; 4]>) {
        match (self.key, k) {
            (None, k) => self.key = k,
            (Some(a), Some(b)) if a != b => self.keys_vary = true,
            _ => {}
        }
    }

    fn merge(&mut self, o: &Tally) {
        self.frames += o.frames;
        self.data_frames += o.data_frames;
        self.add_key(o.key);
        self.keys_vary |= o.keys_vary;
        self.closes += o.closes;
        self.ping = o.ping.or(self.ping);
        self.pong = o.pong.or(self.pong);
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Chain {
    end: End,
    tally: Tally,
    /// Offset of the first header starting in this segment.
    first_header: Option<usize>,
    state: ChainState,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ChainErr {
    Insane,
    Budget,
}

/// Parse frames back to back from `start`. `carry` holds the first bytes of a
/// header cut by the previous segment's end (only used with `start == 0`).
fn run_chain(
    seg: &[u8],
    start: usize,
    carry: &[u8],
    mut st: ChainState,
    budget: &mut u64,
) -> Result<Chain, ChainErr> {
    let window = seg.len().min(EXAMINE_WINDOW);
    let mut pos = start;
    let mut carry = carry;
    let mut tally = Tally::default();
    let mut first_header = None;
    loop {
        if pos == seg.len() && carry.is_empty() {
            return Ok(Chain {
                end: End::Exact,
                tally,
                first_header,
                state: st,
            });
        }
        if pos >= window && pos < seg.len() {
            return Ok(Chain {
                end: End::Window,
                tally,
                first_header,
                state: st,
            });
        }
        // Header bytes: carry ++ segment bytes (a header is <= 14 bytes); without a carry, the
        // segment's own.
        let mut joined = [0u8; 14];
        let n_carry = carry.len();
        let take = (14 - n_carry).min(seg.len() - pos);
        let hb: &[u8] = if n_carry == 0 {
            &seg[pos..pos + take]
        } else {
            joined[..n_carry].copy_from_slice(carry);
            joined[n_carry..n_carry + take].copy_from_slice(&seg[pos..pos + take]);
            &joined[..n_carry + take]
        };
        let h = match parse_header(hb) {
            Status::Complete(h) => h,
            Status::Partial => {
                if check_partial_header(hb, &st) {
                    return Ok(Chain {
                        end: End::PartialHeader(pos),
                        tally,
                        first_header,
                        state: st,
                    });
                }
                return Err(ChainErr::Insane);
            }
        };
        if *budget < HEADER_COST {
            return Err(ChainErr::Budget);
        }
        let mut cost = HEADER_COST;
        let pstart = pos + (h.header_len - n_carry);
        let pend = (pstart as u64).saturating_add(h.payload_len);
        let avail_end = pend.min(window as u64) as usize;
        let avail = seg.get(pstart..avail_end.max(pstart)).unwrap_or(&[]);
        let complete = pend <= window as u64;
        let res = check_frame(&h, avail, complete, &st, &mut cost);
        *budget = budget.saturating_sub(cost);
        st = res.ok_or(ChainErr::Insane)?;
        tally.add_frame(&h, avail);
        if n_carry == 0 && first_header.is_none() {
            first_header = Some(pos);
        }
        carry = &[];
        if pend > seg.len() as u64 {
            return Ok(Chain {
                end: End::Pending(pend - seg.len() as u64),
                tally,
                first_header,
                state: st,
            });
        }
        pos = pend as usize;
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Search {
    /// A sane chain from `start` covering the rest of the segment (the earliest), and the other
    /// candidates: later starts whose chains predict something else for the next segment
    /// (earliest first, at most `MAX_CANDIDATES - 1`).
    Found {
        start: usize,
        chain: Chain,
        others: Vec<(usize, Chain)>,
    },
    /// Chains reached the examine window or the work budget: no conclusion.
    Inconclusive,
    /// No candidate offset gives a sane chain.
    NoChain,
}

/// Look for sync in a segment of a direction that is not in sync: try
/// candidate offsets `0..min(len, 64 KiB)`; every candidate whose chain is
/// sane, has at least one complete header and covers the rest of the segment
/// is kept, up to `MAX_CANDIDATES` distinct ones. Chains that end the same
/// way (the same prediction for the next segment: a later start on the same
/// chain, or a bogus start that runs into it) count once, by their earliest
/// start. The earliest is the sync; the others are alternatives that the
/// next segment of the direction decides between (a header exactly where one
/// of them predicted). With `min_frames` only chains of at least that many
/// frames are accepted. `masked` is the direction's masking if already known.
/// Cost: bounded by `SEARCH_BUDGET` per segment.
fn find_sync(seg: &[u8], masked: Option<bool>, min_frames: u32) -> Search {
    find_sync_within(seg, masked, min_frames, SEARCH_BUDGET)
}

/// [`find_sync`] with the work budget `budget`.
fn find_sync_within(seg: &[u8], masked: Option<bool>, min_frames: u32, budget: u64) -> Search {
    let limit = seg.len().min(SEARCH_WINDOW);
    let mut budget = budget;
    let mut inconclusive = false;
    let mut found: Vec<(usize, Chain)> = Vec::new();
    let exam = seg.len().min(EXAMINE_WINDOW);
    let mut k = 0;
    while k < limit {
        // Most offsets fail on their first header's first two bytes: skip the chain for them,
        // charging the budget what the chain would have (the same search, only cheaper).
        if k < exam {
            // The first byte alone rejects most offsets of data that is not WebSocket: skip the
            // whole run of them at once, charging each one whose header lies in the segment.
            let run_end = seg[k..exam]
                .iter()
                .position(|&b| FRESH_B0_OK[usize::from(b)])
                .map_or(exam, |p| k + p);
            if run_end > k {
                // Offsets at least 14 bytes before the end hold any header whole.
                let whole_end = run_end.min(seg.len().saturating_sub(13)).max(k);
                let tail = (whole_end..run_end)
                    .filter(|&j| {
                        seg.get(j + 1).is_some_and(|&b1| {
                            seg.len() - j >= usize::from(HEADER_LEN[usize::from(b1)])
                        })
                    })
                    .count();
                if !take(&mut budget, ((whole_end - k) + tail) as u64 * HEADER_COST) {
                    inconclusive = true;
                    break;
                }
                k = run_end;
                continue;
            }
            if let Some(complete) = first_header_rejected(seg, k, masked) {
                if complete && !take(&mut budget, HEADER_COST) {
                    inconclusive = true;
                    break;
                }
                k += 1;
                continue;
            }
        }
        let chain = run_chain(seg, k, &[], ChainState::fresh(masked), &mut budget);
        let go_on = keep_chain(&mut found, &mut inconclusive, k, chain, min_frames);
        k += 1;
        if !go_on {
            break;
        }
    }
    conclude(found, inconclusive)
}

/// Takes `cost` from the search budget: false, taking nothing, when the budget is smaller.
fn take(budget: &mut u64, cost: u64) -> bool {
    if *budget < cost {
        return false;
    }
    *budget -= cost;
    true
}

/// What the search does with the chain from offset `start`: keep it when it covers the segment,
/// has `min_frames` and predicts something no kept chain predicts; note a chain that reached the
/// window or the budget. Returns whether the search goes on (not when the budget ran out or
/// `MAX_CANDIDATES` chains are kept).
fn keep_chain(
    found: &mut Vec<(usize, Chain)>,
    inconclusive: &mut bool,
    start: usize,
    chain: Result<Chain, ChainErr>,
    min_frames: u32,
) -> bool {
    match chain {
        Ok(c) if c.end == End::Window => *inconclusive = true,
        Ok(c) if c.tally.frames >= min_frames.max(1) => {
            if !found.iter().any(|(_, f)| same_prediction(f, &c)) {
                found.push((start, c));
                return found.len() < MAX_CANDIDATES;
            }
        }
        Ok(_) | Err(ChainErr::Insane) => {}
        Err(ChainErr::Budget) => {
            *inconclusive = true;
            return false;
        }
    }
    true
}

/// The search's answer from the chains it kept (earliest first).
fn conclude(mut found: Vec<(usize, Chain)>, inconclusive: bool) -> Search {
    if !found.is_empty() {
        let (start, chain) = found.remove(0);
        return Search::Found {
            start,
            chain,
            others: found,
        };
    }
    if inconclusive {
        Search::Inconclusive
    } else {
        Search::NoChain
    }
}

/// Whether a chain from offset `k` (fresh state, masking `masked`) fails on its first header
/// for what its first two bytes say ([`check_partial_header`] on them: the checks of
/// [`check_frame`] those bytes allow): `Some(whether that header is complete in the segment)`
/// (a complete one is charged to the search budget), None when the chain must be run.
fn first_header_rejected(seg: &[u8], k: usize, masked: Option<bool>) -> Option<bool> {
    let rest = seg.get(k..).filter(|r| !r.is_empty())?;
    if FRESH_B0_OK[usize::from(rest[0])]
        && check_partial_header(&rest[..rest.len().min(2)], &ChainState::fresh(masked))
    {
        return None;
    }
    // Complete when the whole header (its length says the second byte) lies in the segment.
    Some(
        rest.get(1)
            .is_some_and(|&b1| rest.len() >= usize::from(HEADER_LEN[usize::from(b1)])),
    )
}

/// Whether a frame's first byte may begin a chain on a fresh state (message state unknown, not
/// closed): RSV2/RSV3 clear; a continuation or control frame without RSV1; a control frame final.
const fn fresh_b0_ok(b0: u8) -> bool {
    if b0 & 0x30 != 0 {
        return false;
    }
    let fin = b0 & 0x80 != 0;
    let rsv1 = b0 & 0x40 != 0;
    match b0 & 0x0F {
        0 => !rsv1,
        1 | 2 => true,
        8..=10 => fin && !rsv1,
        _ => false,
    }
}

/// [`fresh_b0_ok`] of every byte value.
const FRESH_B0_OK: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = fresh_b0_ok(i as u8);
        i += 1;
    }
    t
};

/// A frame header's length by its second byte: 2, the extended length (2 or 8), the mask (4).
const HEADER_LEN: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let ext = match i & 0x7F {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        t[i] = 2 + ext + if i & 0x80 != 0 { 4 } else { 0 };
        i += 1;
    }
    t
};

/// Two chains of one segment that end the same way: the next segment cannot tell them apart.
fn same_prediction(a: &Chain, b: &Chain) -> bool {
    a.end == b.end && a.state == b.state
}

/// Whether `seg`, from its first byte, is a chain of sane frames (see [`check_frame`]) that ends
/// exactly at its end: strong evidence that a segment begins with a frame header.
pub fn frames_cover_exactly(seg: &[u8]) -> bool {
    let mut budget = SEARCH_BUDGET;
    matches!(
        run_chain(seg, 0, &[], ChainState::fresh(None), &mut budget),
        Ok(c) if c.end == End::Exact && c.tally.frames >= 1
    )
}

/// Whether `bytes`, from the first, are whole sane frames ending exactly at its end, all masked as
/// `masked` says (when known): used to extend a recognised chain back over earlier segments.
pub fn frames_tile(bytes: &[u8], masked: Option<bool>) -> bool {
    let mut budget = SEARCH_BUDGET;
    matches!(
        run_chain(bytes, 0, &[], ChainState::fresh(masked), &mut budget),
        Ok(c) if c.end == End::Exact && c.tally.frames >= 1
    )
}

/// An alternative sync of a direction, kept while the current sync is not
/// confirmed.
#[derive(Clone, Debug)]
struct Alt {
    /// Sequence number of its first header.
    start_seq: Option<u32>,
    state: ChainState,
    pending: u64,
    carry: Vec<u8>,
    tally: Tally,
    /// The earliest chain of a search in a segment that the unconfirmed sync claimed as payload,
    /// with 2 or more frames or ending exactly at the segment end: what a fresh search of that
    /// segment would have adopted. Any other alternative was picked among several candidates.
    strong: bool,
}

impl Alt {
    fn from_chain(seg: &[u8], c: &Chain) -> Option<Alt> {
        let (pending, carry) = match c.end {
            End::Exact => (0, Vec::new()),
            End::Pending(p) => (p, Vec::new()),
            End::PartialHeader(pos) => (0, seg[pos..].to_vec()),
            End::Window => return None,
        };
        Some(Alt {
            start_seq: None,
            state: c.state,
            pending,
            carry,
            tally: c.tally,
            strong: false,
        })
    }
}

/// Result of continuing a sync into the next segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Adv {
    /// The segment lies inside the frame in progress; new pending.
    Skipped(u64),
    Chain(Chain),
    Failed,
}

/// Continue a sync (`st`, `pending`, `carry`) into `seg`.
fn advance(st: ChainState, pending: u64, carry: &[u8], seg: &[u8]) -> Adv {
    if carry.is_empty() && pending >= seg.len() as u64 {
        return Adv::Skipped(pending - seg.len() as u64);
    }
    let mut budget = u64::MAX;
    match run_chain(seg, pending as usize, carry, st, &mut budget) {
        Ok(c) => Adv::Chain(c),
        Err(_) => Adv::Failed,
    }
}

/// Evidence and sync state of one direction.
#[derive(Clone, Debug, Default)]
struct DirState {
    /// Next expected TCP sequence number.
    next_seq: Option<u32>,
    synced: bool,
    /// The sync was verified across a segment boundary: a later segment
    /// continued it with at least one sane header.
    confirmed: bool,
    chain: Option<ChainState>,
    /// Bytes of the frame in progress still to come (when synced).
    pending: u64,
    /// First bytes of a frame header cut by the last segment's end.
    carry: Vec<u8>,
    sync_offset: Option<usize>,
    /// Sane frames parsed in sync (current evidence).
    ev: Tally,
    /// Segments of this direction that contributed such frames.
    segs: u32,
    /// Of `ev.frames`, those parsed while continuing a sync into a later
    /// segment (the real test: a header exactly where the previous segment
    /// said it would be).
    cont: u32,
    /// Segments without any sane chain while not in sync.
    no_chain: u32,
    /// Alternative syncs while this one is unconfirmed (earliest start first, at most
    /// `MAX_CANDIDATES`).
    alts: Vec<Alt>,
    /// The current sync was picked among several chains of a search, later (an alternative that
    /// continued, or took over; see `Alt::strong` for the one exception): picked among many, it
    /// is weaker evidence, and does not count for the short-connection rules.
    via_alt: bool,
    /// Sequence number of the segment being processed (after trimming what was seen before).
    seg_seq: u32,
    /// Sequence number of the first header of the current chain (while synced).
    start_seq: Option<u32>,
    /// Once the connection is WebSocket with a known client: whether this direction's frames
    /// must be masked (RFC 6455 §5.1), for a direction still looking for its sync.
    want_mask: Option<bool>,
}

impl DirState {
    fn masked(&self) -> Option<bool> {
        self.chain.and_then(|c| c.masked).or(self.want_mask)
    }

    fn unsync(&mut self) {
        self.synced = false;
        self.alts.clear();
        self.via_alt = false;
        self.start_seq = None;
        self.pending = 0;
        self.carry.clear();
        if !self.confirmed {
            // An unconfirmed sync may have been bogus: forget its masking.
            self.chain = None;
        }
        self.confirmed = false;
    }

    fn clear_evidence(&mut self) {
        self.ev = Tally::default();
        self.segs = 0;
        self.cont = 0;
    }

    /// Take over the end of a chain as the sync state.
    fn apply_end(&mut self, seg: &[u8], chain: &Chain) {
        self.chain = Some(chain.state);
        match chain.end {
            End::Exact => {
                self.pending = 0;
                self.carry.clear();
            }
            End::Pending(p) => {
                self.pending = p;
                self.carry.clear();
            }
            End::PartialHeader(pos) => {
                self.pending = 0;
                self.carry.extend_from_slice(&seg[pos..]);
            }
            End::Window => self.unsync(),
        }
    }

    /// Start a new sync from a search result (`base` = bytes trimmed off the
    /// segment front); the search's other candidates become the alternatives.
    fn adopt(
        &mut self,
        seg: &[u8],
        base: usize,
        start: usize,
        chain: &Chain,
        others: &[(usize, Chain)],
    ) {
        self.synced = true;
        self.confirmed = false;
        self.ev.merge(&chain.tally);
        self.segs += 1;
        self.sync_offset = Some(start + base);
        self.start_seq = Some(self.seg_seq.wrapping_add(start as u32));
        self.apply_end(seg, chain);
        self.alts.clear();
        // A chain that tiles the whole segment, from its first byte to its last, is how segments
        // usually look: no alternative is kept against it.
        if self.synced && !(start == 0 && chain.end == End::Exact) {
            self.add_alts(seg, others, false);
        }
    }

    /// Keep chains found in `seg` as alternatives (while this direction's sync is unconfirmed),
    /// unless one already kept, or the sync itself, predicts the same for the next segment.
    fn add_alts(&mut self, seg: &[u8], found: &[(usize, Chain)], first_strong: bool) {
        for (i, (start, c)) in found.iter().enumerate() {
            if self.alts.len() >= MAX_CANDIDATES {
                return;
            }
            let Some(a) = Alt::from_chain(seg, c) else {
                continue;
            };
            let same = |st: &ChainState, pending: u64, carry: &[u8]| {
                *st == a.state && pending == a.pending && carry == a.carry.as_slice()
            };
            if self
                .chain
                .is_some_and(|st| same(&st, self.pending, &self.carry))
                || self
                    .alts
                    .iter()
                    .any(|x| same(&x.state, x.pending, &x.carry))
            {
                continue;
            }
            let strong = first_strong && i == 0 && (c.tally.frames >= 2 || c.end == End::Exact);
            self.alts.push(Alt {
                start_seq: Some(self.seg_seq.wrapping_add(*start as u32)),
                strong,
                ..a
            });
        }
    }

    /// Look for chains of a segment that the (unconfirmed) sync claims wholly as payload: they
    /// become alternatives, tested by the next segment.
    fn search_alts(&mut self, seg: &[u8]) {
        if self.alts.len() >= MAX_CANDIDATES {
            return;
        }
        if let Search::Found {
            start,
            chain,
            mut others,
        } = find_sync(seg, self.want_mask, 1)
        {
            others.insert(0, (start, chain));
            self.add_alts(seg, &others, true);
        }
    }

    /// Whether the sync cannot be mistaken: confirmed, or no alternative predicts otherwise.
    fn settled(&self) -> bool {
        self.synced && (self.confirmed || self.alts.is_empty())
    }
}

/// Short connections (both directions contributed, opposite masking, every contributing
/// direction in sync, settled and clean; checked by the caller; neither sync picked among
/// alternatives): fewer frames suffice when the evidence is specific to WebSocket.
/// * 4 frames, and each direction continued its chain into a later segment with a header exactly
///   where predicted (so the client's masking keys were seen to change, if it sent 2 or more);
/// * or 3 frames, one header continued across a segment boundary, and either a Pong from one side
///   with the same payload as a Ping from the other (RFC 6455 §5.5.3; the masked one compared
///   after unmasking), or a Close with a valid code (§7.4) from a side that sent 2 or more frames,
///   or Close frames from both sides.
///
/// Why it is safe: a chain must tile every segment it touches exactly, with sane headers, lengths
/// in minimal form, valid UTF-8 in text, and one side masked with fresh keys while the other is
/// not; a framed protocol that is not WebSocket gives the same masking bit both ways (rejected
/// elsewhere), random data almost never tiles two segments of each side, and a matching
/// Ping/Pong or a valid Close code through the mask is WebSocket's own semantics, not structure.
fn short_connection(a: &DirState, b: &DirState) -> bool {
    if a.via_alt || b.via_alt {
        return false;
    }
    let frames = a.ev.frames + b.ev.frames;
    let cont = a.cont + b.cont;
    if frames >= 4 && a.cont >= 1 && b.cont >= 1 {
        return true;
    }
    if frames < 3 || cont < 1 {
        return false;
    }
    let answered = |p: &DirState, q: &DirState| p.ev.ping.is_some() && p.ev.ping == q.ev.pong;
    let pong = answered(a, b) || answered(b, a);
    // A valid Close from a side that sent 2 or more frames, or Close frames from both sides.
    let closed =
        |p: &DirState, q: &DirState| p.ev.closes >= 1 && (p.ev.frames >= 2 || q.ev.closes >= 1);
    let close = closed(a, b) || closed(b, a);
    pong || close
}

/// Per-connection mid-stream WebSocket detector.
#[derive(Clone, Debug)]
pub struct Detector {
    dirs: [DirState; 2],
    verdict: Verdict,
    client: Option<Dir>,
    /// Segments processed (cap: `MAX_SEGMENTS`).
    segments: u32,
    inconsistencies: u32,
    /// Segments wholly inside a frame's payload, not counted in `segments`.
    skipped: u32,
    /// False for a detector that only follows the frame structure (see [`Detector::follower`]).
    deciding: bool,
}

impl Default for Detector {
    fn default() -> Self {
        Detector::new()
    }
}

impl Detector {
    pub fn new() -> Detector {
        Detector {
            dirs: [DirState::default(), DirState::default()],
            verdict: Verdict::Undecided,
            client: None,
            segments: 0,
            inconsistencies: 0,
            skipped: 0,
            deciding: true,
        }
    }

    /// A detector that only finds and follows the frame structure, for a connection already known
    /// to be WebSocket (after bytes went missing from its capture): it never reaches a verdict,
    /// so it never stops looking.
    pub fn follower() -> Detector {
        Detector {
            deciding: false,
            ..Detector::new()
        }
    }

    /// Feed one segment's payload (first pass, capture order). `seq` is the
    /// TCP sequence number of its first byte. Returns the verdict so far.
    ///
    /// Empty payloads are ignored. A retransmitted / out-of-order segment
    /// (wholly before the next expected sequence number) is ignored; a
    /// partially overlapping one is trimmed; after a gap the direction's
    /// sync is reset (without penalty). After `NotWebSocket` nothing is done.
    pub fn feed(&mut self, dir: Dir, seq: u32, payload: &[u8]) -> Verdict {
        if self.verdict == Verdict::NotWebSocket || payload.is_empty() {
            return self.verdict;
        }
        let d = &mut self.dirs[dir.idx()];
        let len = payload.len() as u32;
        let mut skip = 0usize;
        if let Some(next) = d.next_seq {
            let off = seq.wrapping_sub(next) as i32;
            if off < 0 {
                let overlap = next.wrapping_sub(seq);
                if overlap >= len {
                    return self.verdict;
                }
                skip = overlap as usize;
            } else if off > 0 {
                // Lost data: the frame structure cannot be followed.
                d.unsync();
            }
        }
        d.next_seq = Some(seq.wrapping_add(len));
        d.sync_offset = None;
        d.seg_seq = seq.wrapping_add(skip as u32);
        // Wholly inside the payload of the frame being followed: nothing to parse.
        // (A bogus header of an unconfirmed sync can claim a huge length: such segments count.)
        let inside = d.synced
            && d.carry.is_empty()
            && d.pending >= u64::from(len - skip as u32)
            && (d.confirmed || d.pending <= MAX_SKIPPED_FRAME);
        if inside && self.skipped < MAX_SKIPPED {
            self.skipped += 1;
        } else {
            self.segments += 1;
        }
        self.process(dir, &payload[skip..], skip);
        self.decide();
        self.verdict
    }

    fn process(&mut self, dir: Dir, seg: &[u8], base: usize) {
        let i = dir.idx();
        if self.dirs[i].synced {
            let d = &mut self.dirs[i];
            let st = d.chain.unwrap_or(ChainState::fresh(None));
            let carry = std::mem::take(&mut d.carry);
            let primary = advance(st, d.pending, &carry, seg);
            let alts: Vec<(Alt, Adv)> = std::mem::take(&mut d.alts)
                .into_iter()
                .map(|a| {
                    let r = advance(a.state, a.pending, &a.carry, seg);
                    (a, r)
                })
                .collect();
            let primary_headers = matches!(primary, Adv::Chain(c) if c.tally.frames > 0);
            if !d.confirmed && !primary_headers {
                // The unconfirmed sync claims this segment as payload (or
                // fails), while an alternative sync found in an earlier
                // segment continues with a header exactly where expected:
                // the alternative was right (no penalty). The earliest such one wins.
                let won = alts.iter().find_map(|(a, r)| match r {
                    Adv::Chain(c) if c.tally.frames > 0 => Some((a, *c)),
                    _ => None,
                });
                if let Some((a, c)) = won {
                    d.unsync();
                    d.clear_evidence();
                    d.synced = true;
                    d.confirmed = true;
                    d.via_alt = !a.strong;
                    d.ev = a.tally;
                    d.ev.merge(&c.tally);
                    d.segs = 2;
                    d.cont = c.tally.frames;
                    d.sync_offset = c.first_header.map(|o| o + base);
                    d.apply_end(seg, &c);
                    if d.synced {
                        d.start_seq = a.start_seq;
                    }
                    return;
                }
            }
            // Alternatives that claim this whole segment as payload survive.
            let survivors: Vec<Alt> = alts
                .into_iter()
                .filter_map(|(a, r)| match r {
                    Adv::Skipped(p) => Some(Alt { pending: p, ..a }),
                    _ => None,
                })
                .collect();
            match primary {
                Adv::Skipped(p) => {
                    d.pending = p;
                    if !d.confirmed {
                        // The whole segment is claimed as payload by a sync that was never
                        // verified (possibly a bogus header with a big length): the segment's
                        // own chains become alternatives too, tested by the next segment.
                        d.alts = survivors;
                        d.search_alts(seg);
                    }
                    return;
                }
                Adv::Chain(c) => {
                    if c.end == End::PartialHeader(0) && c.tally.frames == 0 {
                        // The header cut at the last segment's end is still cut at this one's:
                        // its first bytes (the carry) stay in front of this segment's.
                        d.carry = carry;
                    }
                    d.ev.merge(&c.tally);
                    d.cont += c.tally.frames;
                    if c.tally.frames > 0 {
                        d.segs += 1;
                        d.confirmed = true;
                    }
                    d.sync_offset = c.first_header.map(|o| o + base);
                    d.apply_end(seg, &c);
                    if d.synced && !d.confirmed {
                        d.alts = survivors;
                    }
                    return;
                }
                Adv::Failed => {
                    // Insanity after sync: this direction's evidence is void.
                    // If the sync had been confirmed it is an inconsistency
                    // (all evidence of the connection is reset); an
                    // unconfirmed sync most likely came from payload bytes
                    // (capture started inside a frame) and is just dropped.
                    let was_confirmed = d.confirmed;
                    d.confirmed = false;
                    d.unsync();
                    d.chain = None;
                    d.clear_evidence();
                    if was_confirmed {
                        self.inconsistencies += 1;
                        for d in &mut self.dirs {
                            d.clear_evidence();
                        }
                    } else if !survivors.is_empty() {
                        // The earliest alternative that claims this segment as payload takes
                        // over (still unconfirmed); this segment's own chains join the others.
                        let mut rest = survivors.into_iter();
                        if let Some(a) = rest.next() {
                            d.synced = true;
                            d.via_alt = true;
                            d.chain = Some(a.state);
                            d.pending = a.pending;
                            d.carry = a.carry;
                            d.ev = a.tally;
                            d.segs = 1;
                            d.start_seq = a.start_seq;
                            d.alts = rest.collect();
                            d.search_alts(seg);
                        }
                        return;
                    }
                    // Fall through: look for a new sync in this segment.
                }
            }
        }
        let d = &mut self.dirs[i];
        match find_sync(seg, d.masked(), 1) {
            Search::Found {
                start,
                chain,
                others,
            } => d.adopt(seg, base, start, &chain, &others),
            Search::NoChain => {
                if seg.len() >= 2 {
                    d.no_chain += 1;
                }
            }
            Search::Inconclusive => {}
        }
    }

    /// Decision rules:
    /// * two inconsistencies, or MAX_NO_CHAIN segments of one direction without any sane
    ///   chain while not in sync → NotWebSocket;
    /// * WebSocket needs, with no inconsistency inside the evidence (evidence
    ///   is reset at an inconsistency):
    ///   - every direction that contributed frames is still in sync and
    ///     settled (confirmed, or no alternative chain left), and no frame
    ///     header is cut at a segment end (so `pending` says exactly where the
    ///     next header starts);
    ///   - the in-sync frames span at least 2 segments of one direction
    ///     (sync verified across a segment boundary), and at least 3 (one
    ///     direction only: 4) of them were parsed while continuing a sync
    ///     into a later segment;
    ///   - a masked direction with several frames used different masking
    ///     keys (RFC 6455 §5.3: a fresh unpredictable key per frame), which
    ///     rules out constant / repetitive data;
    ///   - either both directions contributed, with opposite masking (client
    ///     masked, server unmasked) and >= 4 frames in total, or only one
    ///     direction contributed and it has >= 6 frames, at least one of
    ///     them a non-empty data frame (masking is consistent within a
    ///     direction by construction);
    /// * both directions with >= 4 frames over >= 2 segments each but the
    ///   same masking → NotWebSocket (a framed protocol, not WebSocket);
    /// * still undecided after MAX_SEGMENTS segments → NotWebSocket.
    fn decide(&mut self) {
        if self.verdict != Verdict::Undecided || !self.deciding {
            return;
        }
        if self.inconsistencies >= MAX_INCONSISTENCIES
            || self
                .dirs
                .iter()
                .any(|d| !d.synced && d.no_chain >= MAX_NO_CHAIN)
        {
            self.verdict = Verdict::NotWebSocket;
            return;
        }
        let [a, b] = &self.dirs;
        let contributing = |d: &DirState| d.ev.frames > 0;
        let clean = self.dirs.iter().all(|d| {
            !contributing(d)
                || (d.settled()
                    && d.carry.is_empty()
                    && (d.masked() != Some(true) || d.ev.frames < 2 || d.ev.keys_vary))
        });
        let spans = a.segs >= 2 || b.segs >= 2;
        let cont = a.cont + b.cont;
        if clean && spans {
            match (contributing(a), contributing(b)) {
                (true, true) => match (a.masked(), b.masked()) {
                    (Some(ma), Some(mb)) if ma != mb => {
                        let frames = a.ev.frames + b.ev.frames;
                        if (frames >= MIN_FRAMES_TWO_DIRS && cont >= MIN_CONT_TWO_DIRS)
                            || short_connection(a, b)
                        {
                            self.set_websocket(Some(if ma { Dir::A } else { Dir::B }));
                            return;
                        }
                    }
                    _ => {
                        if a.ev.frames >= MIN_FRAMES_TWO_DIRS
                            && b.ev.frames >= MIN_FRAMES_TWO_DIRS
                            && a.segs >= 2
                            && b.segs >= 2
                        {
                            self.verdict = Verdict::NotWebSocket;
                            return;
                        }
                    }
                },
                (true, false) | (false, true) => {
                    let dir = if contributing(a) { Dir::A } else { Dir::B };
                    let d = &self.dirs[dir.idx()];
                    if d.ev.frames >= MIN_FRAMES_ONE_DIR
                        && d.cont >= MIN_CONT_ONE_DIR
                        && d.ev.data_frames >= 1
                    {
                        // The masking side is the client; an unmasked
                        // direction is the server, so the other is the client.
                        let client = match d.masked() {
                            Some(true) => Some(dir),
                            Some(false) => Some(dir.other()),
                            None => None,
                        };
                        self.set_websocket(client);
                        return;
                    }
                }
                (false, false) => {}
            }
        }
        if self.segments >= MAX_SEGMENTS {
            self.verdict = Verdict::NotWebSocket;
        }
    }

    /// The verdict is WebSocket: from now on a direction looking for its sync accepts only chains
    /// masked as its side must be (the client masks, the server does not).
    fn set_websocket(&mut self, client: Option<Dir>) {
        self.verdict = Verdict::WebSocket;
        self.client = client;
        if let Some(c) = client {
            for d in [Dir::A, Dir::B] {
                self.dirs[d.idx()].want_mask = Some(d == c);
            }
        }
    }

    /// Sequence number of the first frame header of `dir`'s current chain (while in sync): where
    /// the frame structure known to the detector begins.
    pub fn chain_start(&self, dir: Dir) -> Option<u32> {
        let d = &self.dirs[dir.idx()];
        d.start_seq.filter(|_| d.synced)
    }

    /// Masking of `dir`'s frames, once known.
    pub fn masked(&self, dir: Dir) -> Option<bool> {
        self.dirs[dir.idx()].masked()
    }

    /// The earliest sequence number a chain of `dir` could still start at (the current chain or
    /// the alternative one): bytes before it will never be needed.
    pub fn keep_from(&self, dir: Dir) -> Option<u32> {
        let d = &self.dirs[dir.idx()];
        let earlier = |a: u32, b: u32| if (a.wrapping_sub(b) as i32) > 0 { b } else { a };
        d.alts
            .iter()
            .filter_map(|a| a.start_seq)
            .fold(self.chain_start(dir), |acc, b| {
                Some(acc.map_or(b, |a| earlier(a, b)))
            })
    }

    pub fn verdict(&self) -> Verdict {
        self.verdict
    }

    /// Once WebSocket: which direction is the client (the masking side), if
    /// known. `None` before a WebSocket verdict.
    pub fn client_dir(&self) -> Option<Dir> {
        if self.verdict == Verdict::WebSocket {
            self.client
        } else {
            None
        }
    }

    /// How many bytes of the stream remain of a frame in progress at the end
    /// of the last fed segment of `dir` (0 = the next segment starts with a
    /// header). Meaningful when [`Detector::in_sync`] is true; 0 otherwise.
    pub fn pending(&self, dir: Dir) -> u64 {
        let d = &self.dirs[dir.idx()];
        if d.synced {
            d.pending
        } else {
            0
        }
    }

    /// Offset in the most recently fed segment of `dir` where the first
    /// complete frame header was found (the sync point, or the first header
    /// of a segment continuing in sync), if any.
    pub fn sync_offset(&self, dir: Dir) -> Option<usize> {
        self.dirs[dir.idx()].sync_offset
    }

    /// Addition to the agreed API: whether `dir` currently follows the frame
    /// structure (so `pending(dir)` is meaningful).
    pub fn in_sync(&self, dir: Dir) -> bool {
        self.dirs[dir.idx()].synced
    }

    /// Whether `dir` is in sync and its sync is confirmed: found with more than one frame, or
    /// continued by a header exactly where predicted in a later segment.
    pub fn confirmed(&self, dir: Dir) -> bool {
        let d = &self.dirs[dir.idx()];
        d.synced && d.confirmed
    }

    /// Whether `dir` is in sync and no other chain found in its segments is still possible:
    /// confirmed, or the search found only this one (so `sync_offset` and `pending` can be
    /// relied on).
    pub fn settled(&self, dir: Dir) -> bool {
        self.dirs[dir.idx()].settled()
    }

    /// Close frames with a valid code and reason among `dir`'s evidence.
    pub fn closes_seen(&self, dir: Dir) -> u32 {
        self.dirs[dir.idx()].ev.closes
    }

    /// Sane frames of `dir` counted as evidence since its evidence was last reset.
    pub fn frames_seen(&self, dir: Dir) -> u32 {
        self.dirs[dir.idx()].ev.frames
    }

    /// Addition to the agreed API: the first bytes of a frame header cut by
    /// the end of the last segment of `dir` (empty normally; never non-empty
    /// for an in-sync direction at the moment WebSocket is decided).
    pub fn partial_header(&self, dir: Dir) -> &[u8] {
        &self.dirs[dir.idx()].carry
    }
}
