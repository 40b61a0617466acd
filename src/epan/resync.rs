//! Glue for `core::resync`: one [`Resync`] per direction of each WebSocket connection, fed on the
//! first pass with the sequence number TCP gives each tvb (`struct tcpinfo`). The bytes to skip
//! are kept per (frame, sequence number) so that every later pass hands `tcp_dissect_pdus` the
//! same units.
use super::state::{self, Endpoint};
use crate::core::resync::SkipKind;

/// First pass: the bytes of a tvb (`len` long, starting at TCP sequence number `seq`; `payload`
/// is what was captured of them) are about to go to `tcp_dissect_pdus`. Decides how many bytes
/// at its start are skipped.
pub fn first_pass_tvb(
    conv: u32,
    src: Endpoint,
    frame: u32,
    seq: u32,
    len: u32,
    payload: impl FnOnce() -> Vec<u8>,
) {
    let mut guard = state::capture();
    let st = &mut guard.resync;
    let key = (conv, src);
    let r = st.dirs.entry(key.clone()).or_default();
    let bytes = if r.needs_payload(seq) {
        payload()
    } else {
        Vec::new()
    };
    if let Some(skip) = r.on_segment(seq, len, &bytes) {
        st.skips.insert((frame, seq), skip);
    }
    st.current = Some((frame, seq, key));
}

/// Bytes to skip at the start of the tvb of `frame` that starts at `seq`.
pub fn skip_of(frame: u32, seq: u32) -> Option<(u32, SkipKind)> {
    let guard = state::capture();
    let st = &guard.resync;
    if st.skips.is_empty() {
        return None;
    }
    st.skips.get(&(frame, seq)).copied()
}

/// What the length callback learnt about the frame at `header_seq` (first pass).
pub enum Seen {
    /// A complete header: the frame is this long.
    Frame(u64),
    /// The header continues in the next segment.
    HeaderPending,
    /// The frame structure cannot be followed past this tvb.
    Lost,
}

/// First pass, from the length callback, for the tvb of `frame` starting at `tvb_seq`.
pub fn seen(frame: u32, tvb_seq: u32, header_seq: u32, what: Seen) {
    let mut guard = state::capture();
    let st = &mut guard.resync;
    let Some((f, s, key)) = &st.current else {
        return;
    };
    if (*f, *s) != (frame, tvb_seq) {
        return;
    }
    let Some(r) = st.dirs.get_mut(key) else {
        return;
    };
    match what {
        Seen::Frame(len) => r.frame_at(header_seq, len),
        Seen::HeaderPending => r.header_pending_at(header_seq),
        Seen::Lost => r.lose(),
    }
}

/// The length callback just returned a skip unit for `frame`'s tvb at `seq` (its length, and
/// why): the PDU callback that follows shows it instead of parsing a frame. Kept in the capture's
/// state (both callbacks run in one dissection of the packet; stale entries never match).
pub fn hand_over(frame: u32, seq: u32, len: u32, kind: SkipKind) {
    state::capture().resync.handed = Some((frame, seq, len, kind));
}

/// The skip unit handed over for this PDU (its length, equal to the PDU's), or a note (length 0)
/// for the frame that starts this tvb.
pub fn take_handed(frame: u32, seq: u32, len: u32) -> Option<(u32, SkipKind)> {
    let mut guard = state::capture();
    let h = &mut guard.resync.handed;
    match *h {
        Some((f, s, l, kind)) if (f, s) == (frame, seq) && (l == len || l == 0) => {
            *h = None;
            Some((l, kind))
        }
        _ => None,
    }
}

/// Forget a handed-over unit (the length callback moved on to a real frame).
pub fn clear_handed() {
    state::capture().resync.handed = None;
}
