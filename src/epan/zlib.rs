//! zlib's raw inflate as the permessage-deflate decoder ([`Backend`] of `core::deflate`): the
//! library Wireshark itself links and its own WebSocket dissector uses.
//!
//! Why zlib and not the core's pure-Rust decoder: zlib keeps the 32 KiB window itself (a
//! wrapping window it updates as it writes), so each message is inflated straight into the
//! vector that is stored for it, with no copy, and it builds the Huffman tables of a block about
//! twice as fast as miniz_oxide (docs/bench.md, ws-deflate). Everything zlib needs to tell the
//! inflater is in its stream state: `data_type` bit 7 says the decoder stopped at a block
//! boundary (a message that ends inside a block is truncated), `Z_STREAM_END` says a BFINAL
//! block ended the stream (inflateResetKeep then starts the next stream with the window kept),
//! and the message "invalid distance too far back" says a back-reference reached before the
//! window (a capture that began mid-connection).
//!
//! Each stream belongs to one direction of one connection inside the state (under its lock);
//! its pointers point only into zlib's own allocations between calls.

use super::sys;
use crate::core::deflate::{Backend, End, Pass, SYNC_TAIL};
use std::ffi::CStr;

/// zlib's message for a distance beyond the window (inflate.c and inffast.c).
const TOO_FAR_BACK: &[u8] = b"invalid distance too far back";

/// The largest first allocation for a message's output (larger ones grow by doubling): a
/// guess from a high ratio must not reserve the whole cap for every message.
const MAX_GUESS: usize = 1 << 20;

/// Size classes of [`Zlib::ratio`]: compressed lengths 2^0 .. 2^23 and above.
const RATIO_CLASSES: usize = 24;

/// A raw-DEFLATE stream (window 2^15: enough for every sender's window size).
pub struct Zlib {
    strm: Box<sys::z_stream>,
    /// inflateInit2 succeeded (it fails only without memory): every message is corrupt if not.
    ready: bool,
    /// Output per input byte that the next message's buffer is sized for, by the compressed
    /// length's power of two (a decaying maximum of what this direction's messages of about
    /// that size inflated to), so that most messages are written into one allocation without
    /// growing it: short messages compress little, long ones of a bulk transfer a lot.
    ratio: [u16; RATIO_CLASSES],
}

// SAFETY: the stream's pointers refer to zlib's own state and window (allocated by zlib for this
// stream) and, only during a call, to buffers of that call; the state that owns a Zlib is used by
// one thread at a time (behind the plugin's state lock).
unsafe impl Send for Zlib {}

impl Zlib {
    pub fn new() -> Zlib {
        // SAFETY: an all-zero z_stream is the documented initial state (Z_NULL zalloc, zfree,
        // opaque, next_in) that inflateInit2 expects.
        let mut strm: Box<sys::z_stream> = Box::new(unsafe { std::mem::zeroed() });
        // SAFETY: strm points to a zeroed z_stream that stays at this address (boxed) for its life.
        let ready = unsafe { sys::wsk_inflate_init_raw(&mut *strm) } == sys::Z_OK as i32;
        Zlib {
            strm,
            ready,
            ratio: [4; RATIO_CLASSES],
        }
    }

    /// One call of inflate on `input`, writing at most `room` bytes into the spare capacity of
    /// `out` (which has at least that much). Returns (zlib's code, bytes read).
    fn step(&mut self, input: &[u8], out: &mut Vec<u8>, room: usize) -> (i32, usize) {
        debug_assert!(out.capacity() - out.len() >= room);
        let s = &mut *self.strm;
        s.next_in = input.as_ptr() as *mut u8;
        s.avail_in = input.len().min(u32::MAX as usize) as u32;
        // SAFETY: `out` has `room` bytes of spare capacity after its length (checked above).
        s.next_out = unsafe { out.as_mut_ptr().add(out.len()) };
        s.avail_out = room.min(u32::MAX as usize) as u32;
        let (in_before, out_before) = (s.avail_in, s.avail_out);
        // SAFETY: the stream was initialised by inflateInit2 and is not ended; next_in/avail_in
        // describe `input` (read only by zlib), next_out/avail_out the spare capacity of `out`.
        let ret = unsafe { sys::inflate(s, sys::Z_NO_FLUSH as i32) };
        let read = (in_before - s.avail_in) as usize;
        let written = (out_before - s.avail_out) as usize;
        // SAFETY: zlib wrote exactly `written` bytes at the old end of `out`, within its capacity.
        unsafe { out.set_len(out.len() + written) };
        // The buffers of this call are not referenced after it.
        s.next_in = std::ptr::null_mut();
        s.next_out = std::ptr::null_mut();
        s.avail_in = 0;
        s.avail_out = 0;
        (ret, read)
    }

    fn too_far_back(&self) -> bool {
        if self.strm.msg.is_null() {
            return false;
        }
        // SAFETY: zlib sets msg to one of its static NUL-terminated strings.
        unsafe { CStr::from_ptr(self.strm.msg) }.to_bytes() == TOO_FAR_BACK
    }

    /// Whether the last call stopped at a block boundary (zlib.h: data_type bit 128, "decoding
    /// just completed an end-of-block code or the header of a stored block").
    fn at_boundary(&self) -> bool {
        self.strm.data_type & 128 != 0
    }
}

impl Drop for Zlib {
    fn drop(&mut self) {
        if self.ready {
            // SAFETY: an initialised stream, ended once.
            unsafe { sys::inflateEnd(&mut *self.strm) };
        }
    }
}

impl Backend for Zlib {
    fn restart(&mut self) {
        if self.ready {
            // SAFETY: an initialised stream; inflateReset keeps its allocations.
            unsafe { sys::inflateReset(&mut *self.strm) };
        }
    }

    fn message(&mut self, compressed: &[u8], cap: usize, _gap: bool) -> Pass {
        let failed = |data, from_message, too_far_back| Pass {
            data,
            end: End::Failed { too_far_back },
            from_message,
        };
        if !self.ready {
            return failed(Vec::new(), None, false);
        }
        // At most cap + 1 bytes: the byte beyond the cap tells "reached the cap".
        let limit = cap.saturating_add(1);
        let guess = compressed
            .len()
            .saturating_mul(usize::from(self.ratio[ratio_class(compressed.len())]))
            .saturating_add(64)
            .clamp(256, MAX_GUESS)
            .min(limit);
        let mut data: Vec<u8> = Vec::with_capacity(guess);
        let mut from_message = None;
        for (phase, bytes) in [compressed, &SYNC_TAIL[..]].into_iter().enumerate() {
            let mut input = bytes;
            loop {
                // Here data.len() <= cap (a step past the cap returns at once): room >= 1.
                if data.capacity() == data.len() {
                    let more = data.len().max(4096).min(limit - data.len());
                    data.reserve_exact(more);
                }
                let room = (data.capacity() - data.len()).min(limit - data.len());
                let before = data.len();
                let (ret, read) = self.step(input, &mut data, room);
                let written = data.len() - before;
                input = &input[read..];
                if data.len() > cap {
                    return Pass {
                        data,
                        end: End::Cap,
                        from_message,
                    };
                }
                if ret == sys::Z_STREAM_END as i32 {
                    // A BFINAL block ended the stream: the next message goes on after it, with
                    // the window (the bytes after the final block, and our tail, are not data).
                    // SAFETY: an initialised stream; inflateResetKeep keeps the window.
                    unsafe { sys::inflateResetKeep(&mut *self.strm) };
                    self.learn(compressed.len(), data.len());
                    return Pass {
                        data,
                        end: End::Complete,
                        from_message,
                    };
                }
                if ret == sys::Z_DATA_ERROR {
                    let far = self.too_far_back();
                    return failed(data, from_message, far);
                }
                if ret != sys::Z_OK as i32 && ret != sys::Z_BUF_ERROR {
                    // Z_MEM_ERROR (no memory for the window) or a broken stream.
                    return failed(data, from_message, false);
                }
                if written == room {
                    // The output room is used up: more room, same input.
                    continue;
                }
                if input.is_empty() {
                    break;
                }
                if read == 0 && written == 0 {
                    // No progress with input and room left: not a state a sane stream reaches.
                    return failed(data, from_message, false);
                }
            }
            if phase == 0 {
                from_message = Some(data.len());
            }
        }
        if self.at_boundary() {
            self.learn(compressed.len(), data.len());
            Pass {
                data,
                end: End::Complete,
                from_message,
            }
        } else {
            Pass {
                data,
                end: End::Truncated,
                from_message,
            }
        }
    }
}

impl Zlib {
    /// Sizes the next message's buffer after this one (a decaying maximum of out / in).
    fn learn(&mut self, compressed: usize, inflated: usize) {
        let r = (inflated / compressed.max(1) + 1).min(usize::from(u16::MAX)) as u16;
        let slot = &mut self.ratio[ratio_class(compressed)];
        *slot = r.max(*slot - *slot / 8).max(1);
    }
}

fn ratio_class(compressed: usize) -> usize {
    (usize::BITS - compressed.leading_zeros()).min(RATIO_CLASSES as u32 - 1) as usize
}

/// The inflater's unit tests (src/core/deflate/tests.rs), with zlib as the decoder.
#[cfg(test)]
mod tests {
    use crate::core::deflate::*;
    fn backend() -> Box<dyn Backend> {
        Box::new(super::Zlib::new())
    }
    include!("../core/deflate/tests.rs");
}
