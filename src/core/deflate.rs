//! RFC 7692 permessage-deflate: negotiation parsing and per-direction
//! message inflation.
//!
//! Each direction of a connection gets one [`Inflater`]: the policy (context
//! takeover, the output cap, what an issue means for the next message, and
//! whether the window can hold every byte a back-reference may reach, which
//! is what lets a capture that began mid-connection say honestly that a
//! message needs context it never saw) over a raw-DEFLATE decoder, a
//! [`Backend`]: zlib in the plugin (src/epan/zlib.rs), or [`Miniz`], which
//! drives miniz_oxide's low-level decompressor with a non-wrapping output
//! buffer that starts with the known history (a back-reference before it is
//! then reported as a failure instead of silently reading stale or zeroed
//! memory). The unit tests run against both.
//!
//! Output stops at the caller's cap, so a small message that would inflate
//! to gigabytes costs little time and memory.

use crate::core::handshake::{split_unquoted, unquote};
use miniz_oxide::inflate::core::inflate_flags::{
    TINFL_FLAG_HAS_MORE_INPUT, TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF,
};
use miniz_oxide::inflate::core::{decompress, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;

/// Largest DEFLATE window (and largest back-reference distance): 32 KiB.
const MAX_WINDOW: usize = 1 << 15;
/// Output produced per call into miniz before we look at the cap again.
const CHUNK: usize = 64 * 1024;
/// Once a direction's buffer holds this much output, its last 32 KiB (all a back-reference can
/// reach) are moved to the front before the next message: one such move per ~96 KiB of output
/// instead of one per message.
const COMPACT_AT: usize = 128 * 1024;
/// A buffer grown past this by a large message is shrunk back after it (memory per direction).
const KEEP_CAPACITY: usize = 256 * 1024;
/// RFC 7692 §7.2.2: the tail the sender stripped, appended before inflating.
pub const SYNC_TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];
/// An empty stored block with BFINAL set. Fed after the sync tail so that a
/// message which really ended on a block boundary finishes with `Done`,
/// while one cut off inside a block does not (that is how truncation shows).
const FINAL_EMPTY_BLOCK: [u8; 5] = [0x01, 0x00, 0x00, 0xff, 0xff];

/// Negotiated permessage-deflate parameters (RFC 7692 §7.1), from the 101
/// response's Sec-WebSocket-Extensions value.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct DeflateParams {
    pub server_no_context_takeover: bool,
    pub client_no_context_takeover: bool,
    /// 8..=15
    pub server_max_window_bits: Option<u8>,
    /// 8..=15 (a bare "client_max_window_bits" with no value = 15)
    pub client_max_window_bits: Option<u8>,
}

/// Find permessage-deflate in an extensions header value (may list several
/// extensions and, in a request, several offers; in a 101 response only one
/// is accepted). None if absent. Parameter names are case-insensitive,
/// values may be quoted ("15").
///
/// When several permessage-deflate offers are listed, the first one whose
/// parameters are all valid per RFC 7692 §7.1 wins; if none is valid, the
/// first one is returned with its invalid parameters ignored (a dissector
/// would rather show something than nothing).
pub fn negotiated(extensions: &str) -> Option<DeflateParams> {
    let mut fallback = None;
    for element in split_unquoted(extensions, ',') {
        let mut parts = split_unquoted(element, ';').into_iter();
        let name = parts.next().unwrap_or("").trim();
        if !name.eq_ignore_ascii_case("permessage-deflate") {
            continue;
        }
        let (params, valid) = parse_params(parts);
        if valid {
            return Some(params);
        }
        if fallback.is_none() {
            fallback = Some(params);
        }
    }
    fallback
}

/// Parses the `; name[=value]` parameters of one offer. Returns the
/// parameters understood and whether every parameter was valid.
fn parse_params<'a>(parts: impl Iterator<Item = &'a str>) -> (DeflateParams, bool) {
    let mut params = DeflateParams::default();
    let mut valid = true;
    let mut seen = [false; 4];
    for part in parts {
        let part = part.trim();
        if part.is_empty() {
            valid = false;
            continue;
        }
        let (name, value) = match part.split_once('=') {
            Some((n, v)) => (n.trim(), Some(unquote(v.trim()))),
            None => (part, None),
        };
        let index = if name.eq_ignore_ascii_case("server_no_context_takeover") {
            params.server_no_context_takeover = true;
            valid &= value.is_none();
            0
        } else if name.eq_ignore_ascii_case("client_no_context_takeover") {
            params.client_no_context_takeover = true;
            valid &= value.is_none();
            1
        } else if name.eq_ignore_ascii_case("server_max_window_bits") {
            // A value is mandatory for this one.
            let bits = value.as_deref().and_then(parse_window_bits);
            valid &= bits.is_some();
            if bits.is_some() {
                params.server_max_window_bits = bits;
            }
            2
        } else if name.eq_ignore_ascii_case("client_max_window_bits") {
            let bits = match value.as_deref() {
                None => Some(15),
                Some(v) => parse_window_bits(v),
            };
            valid &= bits.is_some();
            if bits.is_some() {
                params.client_max_window_bits = bits;
            }
            3
        } else {
            valid = false;
            continue;
        };
        valid &= !seen[index];
        seen[index] = true;
    }
    (params, valid)
}

/// RFC 7692 §7.1.2: 1*DIGIT without leading zero, 8..=15.
fn parse_window_bits(value: &str) -> Option<u8> {
    if value.is_empty() || value.len() > 2 || value.starts_with('0') {
        return None;
    }
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let bits: u8 = value.parse().ok()?;
    (8..=15).contains(&bits).then_some(bits)
}

/// Why an inflate stopped early or failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InflateIssue {
    /// The output reached the caller's cap; the rest was not inflated.
    CapReached,
    /// The compressed data is invalid or truncated.
    Corrupt,
    /// A back-reference points before the data this inflater has seen (the
    /// capture began mid-connection, or an earlier message of the direction
    /// could not be fully inflated). `data` holds what was decoded before it.
    NeedsUnknownContext,
}

/// The result of inflating one message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inflated {
    /// Exact decompressed bytes; on an issue, the prefix decoded before it
    /// (never more than the cap).
    pub data: Vec<u8>,
    pub issue: Option<InflateIssue>,
}

/// How the decoder's pass over one message ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// The message ended on a block boundary (or in a BFINAL block).
    Complete,
    /// The output went past the cap.
    Cap,
    /// The input ran out inside a block.
    Truncated,
    /// The decoder rejected the data (bad block, bad code, or a distance before the start of the
    /// window). `too_far_back`: the data is valid up to a back-reference that reaches before
    /// the window the decoder holds (only told when the inflater asked, see [`Backend::message`]).
    Failed { too_far_back: bool },
}

/// The outcome of [`Backend::message`].
pub struct Pass {
    /// New output: at most the cap, except for `End::Cap`, where it may be longer (the inflater
    /// keeps the first `cap` bytes).
    pub data: Vec<u8>,
    pub end: End,
    /// Output length once the message's own bytes were used up (None if the pass ended before
    /// that): output past it was decoded from the appended tail, which inside a cut-off block is
    /// not the sender's data.
    pub from_message: Option<usize>,
}

/// A raw-DEFLATE decoder (RFC 1951) as the [`Inflater`] drives it: one stream per direction,
/// fed one message at a time. The plugin uses zlib's `inflate` (the library Wireshark itself
/// links, src/epan/zlib.rs); [`Miniz`] is the pure-Rust one the core uses on its own (tests,
/// fuzzing, a build without Wireshark).
pub trait Backend: Send {
    /// Forget the window: the next message starts a new DEFLATE stream.
    fn restart(&mut self);
    /// Decode `compressed` followed by the sync tail 00 00 ff ff (RFC 7692 §7.2.2), after the
    /// window of the earlier messages since the last restart, producing at most `cap` + 1 bytes
    /// (one byte beyond the cap tells "reached the cap" from "ended there"). After
    /// `End::Complete` the decoder is ready for the next message with the window kept (also
    /// after a BFINAL block); after anything else the inflater restarts it. `gap`: the window
    /// may lack earlier bytes, so a failure should say whether it was a back-reference before
    /// the window (`too_far_back`).
    fn message(&mut self, compressed: &[u8], cap: usize, gap: bool) -> Pass;
}

/// One direction's decompressor (client→server uses the client's
/// parameters: client_no_context_takeover, client_max_window_bits;
/// server→client the server's).
pub struct Inflater {
    backend: Box<dyn Backend>,
    no_context_takeover: bool,
    /// The sender's window (2^max_window_bits, at least 512: zlib never uses
    /// a 256-byte window). Once this much output is known, every valid
    /// back-reference can be resolved.
    window: usize,
    /// How many exactly-known bytes precede the next message (saturating).
    known: usize,
    /// The real window extends before `history` with bytes we never saw.
    gap: bool,
}

impl std::fmt::Debug for Inflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inflater")
            .field("no_context_takeover", &self.no_context_takeover)
            .field("window", &self.window)
            .field("known", &self.known)
            .field("gap", &self.gap)
            .finish_non_exhaustive()
    }
}

impl Inflater {
    /// `no_context_takeover`: reset the LZ77 window before every message.
    /// `midstream`: the capture began after the connection opened, so with
    /// context takeover the window of earlier messages is unknown: messages
    /// are inflated anyway, and a back-reference before the data we have
    /// yields [`InflateIssue::NeedsUnknownContext`]. With no_context_takeover,
    /// midstream messages inflate normally. Decodes with [`Miniz`].
    pub fn new(
        no_context_takeover: bool,
        max_window_bits: Option<u8>,
        midstream: bool,
    ) -> Inflater {
        Inflater::with_backend(
            Box::<Miniz>::default(),
            no_context_takeover,
            max_window_bits,
            midstream,
        )
    }

    /// [`Inflater::new`] with another decoder.
    pub fn with_backend(
        backend: Box<dyn Backend>,
        no_context_takeover: bool,
        max_window_bits: Option<u8>,
        midstream: bool,
    ) -> Inflater {
        let bits = max_window_bits.unwrap_or(15).clamp(9, 15);
        Inflater {
            backend,
            no_context_takeover,
            window: 1usize << bits,
            known: 0,
            gap: midstream && !no_context_takeover,
        }
    }

    /// Inflate one whole compressed message (the concatenated, unmasked
    /// payloads of its frames). Produces at most `cap` bytes: once the output
    /// would pass the cap, inflation stops (issue `CapReached`) without
    /// touching the rest of the input. A message that inflates to exactly
    /// `cap` bytes is complete, with no issue.
    ///
    /// With context takeover, a message that ends in any issue leaves the
    /// window unknown: later messages that refer back before it report
    /// `NeedsUnknownContext`, while self-contained ones still inflate.
    pub fn inflate_message(&mut self, compressed: &[u8], cap: usize) -> Inflated {
        if self.no_context_takeover {
            self.forget(false);
        }
        if compressed.is_empty() {
            // An empty payload (RFC 7692 §7.2.3.6 sends 0x00, but some
            // senders send nothing): an empty message. Appending the tail to
            // nothing would not form a valid block, and zlib-based receivers
            // simply wait for more input here, so the window is untouched.
            return Inflated {
                data: Vec::new(),
                issue: None,
            };
        }
        let pass = self.backend.message(compressed, cap, self.gap);
        let mut data = pass.data;
        let issue = match pass.end {
            End::Complete => {
                self.known = self.known.saturating_add(data.len());
                if self.known >= self.window {
                    self.gap = false;
                }
                None
            }
            End::Cap => {
                data.truncate(cap);
                Some(InflateIssue::CapReached)
            }
            End::Truncated => Some(InflateIssue::Corrupt),
            End::Failed { too_far_back } if self.gap && too_far_back => {
                Some(InflateIssue::NeedsUnknownContext)
            }
            End::Failed { .. } => Some(InflateIssue::Corrupt),
        };
        if matches!(pass.end, End::Truncated | End::Failed { .. }) {
            if let Some(n) = pass.from_message {
                data.truncate(n);
            }
        }
        if issue.is_some() {
            // Whatever followed the failure point is unknown to us.
            self.forget(!self.no_context_takeover);
        }
        Inflated { data, issue }
    }

    /// Drops the window; `gap` tells whether unknown bytes now precede.
    fn forget(&mut self, gap: bool) {
        self.backend.restart();
        self.known = 0;
        self.gap = gap;
    }
}

/// The pure-Rust decoder: miniz_oxide's low-level decompressor with a non-wrapping output
/// buffer that starts with the known history, so that a back-reference that reaches before it
/// is reported by miniz as a failure instead of silently reading stale or zeroed memory.
#[derive(Default)]
pub struct Miniz {
    decomp: Box<DecompressorOxide>,
    /// Output of this direction that we know exactly: `buf[..hist]`, the newest last. At least
    /// the last 32 KiB of it (or all there is); older bytes are dropped now and then (see
    /// `COMPACT_AT`). Bytes of `buf` past `hist` are scratch space (initialised once, reused).
    buf: Vec<u8>,
    hist: usize,
}

impl Backend for Miniz {
    fn restart(&mut self) {
        self.hist = 0;
    }

    fn message(&mut self, compressed: &[u8], cap: usize, gap: bool) -> Pass {
        let mut input =
            Vec::with_capacity(compressed.len() + SYNC_TAIL.len() + FINAL_EMPTY_BLOCK.len());
        input.extend_from_slice(compressed);
        input.extend_from_slice(&SYNC_TAIL);
        input.extend_from_slice(&FINAL_EMPTY_BLOCK);

        // The history is the front of the output buffer, which is kept from message to message
        // (no allocation, no zeroing, no copy of the window per message). A pass that does not
        // complete may have moved the window; only a connection with unknown earlier context
        // (`gap`) needs the old history afterwards (to tell a reference before it), so only
        // then it is saved first (it is shorter than the window then).
        let hist_len = self.hist;
        let saved = gap.then(|| self.buf[..hist_len].to_vec());
        let mut pass = run(
            &mut self.decomp,
            &mut self.buf,
            hist_len,
            &input,
            compressed.len(),
            cap,
        );
        if pass.end == End::Complete {
            // The buffer ends with the output, history before it: every byte a later message can
            // refer to (a DEFLATE distance is at most 32 KiB).
            self.hist = pass.pos;
            if self.hist > COMPACT_AT {
                let start = self.hist - MAX_WINDOW;
                self.buf.copy_within(start..self.hist, 0);
                self.hist = MAX_WINDOW;
            }
        } else {
            self.hist = 0;
            if let Some(h) = &saved {
                self.buf[..h.len()].copy_from_slice(h);
                self.hist = h.len();
            }
        }
        if self.buf.len() > KEEP_CAPACITY && self.hist <= MAX_WINDOW {
            self.buf.truncate(KEEP_CAPACITY);
            self.buf.shrink_to(KEEP_CAPACITY);
        }
        if pass.end
            == (End::Failed {
                too_far_back: false,
            })
            && saved.is_some()
        {
            let produced = pass.data.len();
            pass.end = End::Failed {
                too_far_back: self.was_distance_error(&input, produced),
            };
        }
        Pass {
            data: pass.data,
            end: pass.end,
            from_message: pass.from_message,
        }
    }
}

impl Miniz {
    /// Decides whether a strict pass that failed after `produced` bytes
    /// failed on a back-reference before the known history: inflate again
    /// with 32 KiB of filler in front of the history. Every distance DEFLATE
    /// can express then resolves, so if this pass gets past the point where
    /// the strict one failed, the failure was exactly such a reference
    /// (a match always emits at least 3 bytes). Only `produced + 1` bytes are
    /// needed to tell, which bounds the work.
    fn was_distance_error(&mut self, input: &[u8], produced: usize) -> bool {
        let mut padded = vec![0u8; MAX_WINDOW];
        let h = &self.buf[self.hist.saturating_sub(MAX_WINDOW)..self.hist];
        padded.extend_from_slice(h);
        let real = input.len() - SYNC_TAIL.len() - FINAL_EMPTY_BLOCK.len();
        let n = padded.len();
        let pass = run(&mut self.decomp, &mut padded, n, input, real, produced);
        !matches!(pass.end, End::Failed { .. })
    }
}

/// One pass of raw-DEFLATE decoding of `input` after `history`.
///
/// `input` is the message's own bytes (the first `real` bytes) followed by
/// the tails we append. The message's bytes are fed first, on their own, so
/// that when the message turns out truncated, the output decoded from our
/// tail bytes read as part of a cut-off block (garbage) can be dropped.
///
/// The output buffer is laid out as `history ++ output ++ scratch`: the output is written after
/// the history (`buf[..history]`) and copied out once at the end. The buffer is only ever grown
/// (its bytes past the history are reused as they are: miniz writes before it reads), so it is
/// zeroed once, not per message. Because the buffer is non-wrapping, miniz fails on a distance
/// larger than the bytes before the write position.
fn run(
    decomp: &mut DecompressorOxide,
    buf: &mut Vec<u8>,
    history: usize,
    input: &[u8],
    real: usize,
    cap: usize,
) -> MinizPass {
    decomp.init();
    let mut pass = MinizPass {
        data: Vec::new(),
        end: End::Failed {
            too_far_back: false,
        },
        pos: history,
        from_message: None,
    };
    let start = history;
    let mut consumed = 0;
    let mut limit = real;
    let flags = TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF | TINFL_FLAG_HAS_MORE_INPUT;
    // Small messages get small buffers; chunks grow up to CHUNK.
    let mut chunk = input.len().saturating_mul(4).clamp(256, CHUNK);
    loop {
        let produced = pass.pos - start;
        // One byte beyond the cap tells "reached the cap" from "ended there".
        let room = (cap - produced.min(cap)).saturating_add(1).min(chunk);
        let pos = pass.pos;
        if buf.len() < pos + room {
            buf.resize(pos + room, 0);
        }
        let (status, read, written) = decompress(
            decomp,
            &input[consumed..limit],
            &mut buf[..pos + room],
            pos,
            flags,
        );
        consumed += read;
        pass.pos += written;
        let produced = pass.pos - start;
        if produced > cap {
            pass.data = buf[start..start + cap].to_vec();
            pass.end = End::Cap;
            return pass;
        }
        pass.end = match status {
            TINFLStatus::Done => End::Complete,
            TINFLStatus::NeedsMoreInput if limit < input.len() => {
                // The message's own bytes are used up: now our tails.
                pass.from_message = Some(produced);
                limit = input.len();
                continue;
            }
            // All input, including our final block, was used up: the message
            // stopped inside a block.
            TINFLStatus::NeedsMoreInput => End::Truncated,
            TINFLStatus::HasMoreOutput if read > 0 || written > 0 => {
                chunk = (chunk * 2).min(CHUNK);
                continue;
            }
            _ => End::Failed {
                too_far_back: false,
            },
        };
        pass.data = buf[start..pass.pos].to_vec();
        return pass;
    }
}

/// The outcome of [`run`] (the output buffer it was given holds history then output, ending
/// at `pos`).
struct MinizPass {
    /// New output, at most the cap.
    data: Vec<u8>,
    end: End,
    /// End of the output in the buffer.
    pos: usize,
    /// Output length once the message's own bytes were used up (None if
    /// the pass ended before that).
    from_message: Option<usize>,
}

#[cfg(test)]
#[path = "deflate/negotiation_tests.rs"]
mod negotiation_tests;

/// The inflater's unit tests (deflate/tests.rs) with the pure-Rust decoder; src/epan/zlib.rs
/// runs the same tests with zlib.
#[cfg(test)]
mod tests {
    use super::*;
    fn backend() -> Box<dyn Backend> {
        Box::<Miniz>::default()
    }
    include!("deflate/tests.rs");
}
