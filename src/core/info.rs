//! Info-column text for one frame (Fiddler style).

use super::close::{close_code_name, parse_close};
use super::frame::FrameHeader;
use super::message::FrameOutcome;
use super::opcode::{Control, Data, OpCode};

/// Maximum characters of text preview.
const TEXT_PREVIEW_CHARS: usize = 40;
/// Maximum bytes of hex preview.
const HEX_PREVIEW_BYTES: usize = 16;
const ELLIPSIS: char = '…';

/// Up to 40 chars of `bytes` decoded lossily as UTF-8, control characters
/// replaced by '.', "…" appended if cut (or if `more` bytes exist).
pub fn text_preview(bytes: &[u8], more: bool) -> String {
    let mut out = Vec::with_capacity(TEXT_PREVIEW_CHARS + 3);
    push_text_preview(&mut out, bytes, more);
    utf8(out)
}

/// Whether `bytes` are text that needs no decoding: valid UTF-8 without a NUL. Wireshark's UTF-8
/// decoding gives such bytes back unchanged (it only replaces invalid sequences), so they can be
/// handed to it as the string itself.
pub fn is_plain_text(bytes: &[u8]) -> bool {
    !bytes.contains(&0) && (bytes.is_ascii() || std::str::from_utf8(bytes).is_ok())
}

/// Bytes this module wrote: UTF-8 by construction (ASCII, `str`s and encoded `char`s).
fn utf8(out: Vec<u8>) -> String {
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn push_char(out: &mut Vec<u8>, c: char) {
    let mut b = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
}

/// [`text_preview`], appended to `out` as UTF-8. Never writes a NUL (control characters
/// become '.').
fn push_text_preview(out: &mut Vec<u8>, bytes: &[u8], more: bool) {
    // 41 characters never take more than 4 bytes each (a lossy decoder turns at most 3 bytes into
    // one U+FFFD), so decoding this prefix gives the same first 41 characters as the whole
    // payload; a cut in the middle of a character can only touch the 42nd or later.
    const PREFIX: usize = (TEXT_PREVIEW_CHARS + 1) * 4;
    // ASCII (most text previews): one byte is one character.
    let ascii_head = bytes.get(..TEXT_PREVIEW_CHARS + 1).unwrap_or(bytes);
    if ascii_head.is_ascii() {
        let shown = ascii_head.get(..TEXT_PREVIEW_CHARS).unwrap_or(ascii_head);
        let mut buf = [0u8; TEXT_PREVIEW_CHARS];
        for (d, &b) in buf.iter_mut().zip(shown) {
            *d = if b < b' ' || b == 0x7f { b'.' } else { b };
        }
        out.extend_from_slice(&buf[..shown.len()]);
        if more || bytes.len() > shown.len() {
            push_char(out, ELLIPSIS);
        }
        return;
    }
    let head = bytes.get(..PREFIX).unwrap_or(bytes);
    let decoded = String::from_utf8_lossy(head);
    let mut chars = decoded.chars();
    for c in chars.by_ref().take(TEXT_PREVIEW_CHARS) {
        push_char(out, if c < ' ' || c == '\x7f' { '.' } else { c });
    }
    if more || chars.next().is_some() || head.len() < bytes.len() {
        push_char(out, ELLIPSIS);
    }
}

/// Up to 16 bytes as lowercase hex separated by spaces, "…" if more.
pub fn hex_preview(bytes: &[u8], more: bool) -> String {
    let mut out = Vec::with_capacity(HEX_PREVIEW_BYTES * 3 + 4);
    push_hex_preview(&mut out, bytes, more);
    utf8(out)
}

/// [`hex_preview`], appended to `out`.
fn push_hex_preview(out: &mut Vec<u8>, bytes: &[u8], more: bool) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let shown = bytes.get(..HEX_PREVIEW_BYTES).unwrap_or(bytes);
    for (i, b) in shown.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        out.push(HEX[(b >> 4) as usize]);
        out.push(HEX[(b & 15) as usize]);
    }
    if more || bytes.len() > shown.len() {
        if !shown.is_empty() {
            out.push(b' ');
        }
        push_char(out, ELLIPSIS);
    }
}

/// `n` in decimal (what `format!("{n}")` writes, without the formatting machinery).
fn push_decimal(out: &mut Vec<u8>, n: u64) {
    let mut buf = [0u8; 20];
    out.extend_from_slice(decimal(n, &mut buf));
}

/// `n` in decimal, written at the end of `buf` (20 digits hold any u64): the digits.
pub fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buf[i..]
}

/// " [FIN RSV1 ... MASKED]" for the bits that are set (nothing when none is).
fn push_flags(out: &mut Vec<u8>, hdr: &FrameHeader) {
    let names = [
        (hdr.fin, "FIN"),
        (hdr.rsv1, "RSV1"),
        (hdr.rsv2, "RSV2"),
        (hdr.rsv3, "RSV3"),
        (hdr.masked, "MASKED"),
    ];
    let mut first = true;
    for (on, name) in names {
        if on {
            out.extend_from_slice(if first { b" [" } else { b" " });
            out.extend_from_slice(name.as_bytes());
            first = false;
        }
    }
    if !first {
        out.push(b']');
    }
}

/// " {preview}" of the payload, appended to `out` (nothing for an empty payload).
fn push_preview(out: &mut Vec<u8>, o: &FrameOutcome, hdr: &FrameHeader, payload: &[u8]) {
    if payload.is_empty() {
        return;
    }
    out.push(b' ');
    let more = hdr.payload_len > payload.len() as u64;
    let is_text = match hdr.opcode {
        OpCode::Data(Data::Text) => true,
        OpCode::Data(Data::Continue) => o.msg_type == 0x1,
        _ => false,
    };
    if is_text {
        return push_text_preview(out, payload, more);
    }
    if hdr.opcode == OpCode::Control(Control::Close) {
        let parsed;
        let close = match &o.close {
            Some(c) => c,
            None => {
                parsed = parse_close(payload);
                &parsed
            }
        };
        if let Some(code) = close.code {
            out.extend_from_slice(b"code=");
            push_decimal(out, u64::from(code));
            out.extend_from_slice(b" (");
            out.extend_from_slice(close_code_name(code).as_bytes());
            out.push(b')');
            if let Some(reason) = &close.reason {
                out.extend_from_slice(b" reason=");
                push_text_preview(out, reason, more);
            }
            return;
        }
    }
    push_hex_preview(out, payload, more);
}

/// Info-column text for one frame:
/// "{Label}.{msg_index} {TypeName} [flags] len={payload_len} {preview}".
pub fn frame_info(o: &FrameOutcome, hdr: &FrameHeader, payload: &[u8]) -> String {
    let mut s = Vec::with_capacity(112);
    push_frame_info(&mut s, o, hdr, payload);
    utf8(s)
}

/// [`frame_info`] as UTF-8, appended to `out` (a buffer the caller reuses). Never writes a NUL.
pub fn push_frame_info(out: &mut Vec<u8>, o: &FrameOutcome, hdr: &FrameHeader, payload: &[u8]) {
    out.extend_from_slice(o.dir.label().as_bytes());
    out.push(b'.');
    push_decimal(out, u64::from(o.msg_index));
    out.push(b' ');
    out.extend_from_slice(hdr.opcode.name().as_bytes());
    push_flags(out, hdr);
    out.extend_from_slice(b" len=");
    push_decimal(out, hdr.payload_len);
    push_preview(out, o, hdr, payload);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::frame::{parse_header, Status};
    use crate::core::message::{Config, Connection, Direction};

    fn h(raw: &[u8]) -> FrameHeader {
        match parse_header(raw) {
            Status::Complete(h) => h,
            Status::Partial => panic!(),
        }
    }

    /// Run frames through a connection and return the last frame's info.
    fn info_for(frames: &[(Direction, &[u8], &[u8])]) -> String {
        let mut c = Connection::new(Config::default());
        let mut last = String::new();
        for (dir, raw_hdr, payload) in frames {
            let hdr = h(raw_hdr);
            let complete = hdr.payload_len == payload.len() as u64;
            let o = c.on_frame(*dir, &hdr, payload, complete);
            last = frame_info(&o, &hdr, payload);
        }
        last
    }

    const C: Direction = Direction::Client;
    const S: Direction = Direction::Server;
    const M: [u8; 4] = [1, 2, 3, 4];

    #[test]
    fn plain_text_is_valid_utf8_without_nul() {
        assert!(is_plain_text(b""));
        assert!(is_plain_text(b"{\"a\":1}"));
        assert!(is_plain_text("h\u{e9}llo \u{1f600}".as_bytes()));
        assert!(!is_plain_text(b"a\0b"));
        assert!(!is_plain_text(b"\xff"));
        assert!(!is_plain_text(b"\xed\xa0\x80")); // a surrogate
        assert!(!is_plain_text(b"\xc0\x80")); // an overlong NUL
        assert!(!is_plain_text(b"\xe2\x82")); // cut
    }

    #[test]
    fn text_frames() {
        assert_eq!(
            info_for(&[(S, &[0x81, 0x05], b"Hello")]),
            "Server.1 Text [FIN] len=5 Hello"
        );
        let raw = [0x81, 0x85, M[0], M[1], M[2], M[3]];
        assert_eq!(
            info_for(&[(C, &raw, b"a\tb\x7fc\r\n")]),
            "Client.1 Text [FIN MASKED] len=5 a.b.c.."
        );
        let long = "{\"Operation\":0,\"Data\":\"0123456789abcdefghijklmnop\"}";
        assert_eq!(
            info_for(&[(S, &[0x81, long.len() as u8], long.as_bytes())]),
            "Server.1 Text [FIN] len=51 {\"Operation\":0,\"Data\":\"0123456789abcdefg…"
        );
        // Exactly 40 chars: no ellipsis; multibyte counted as chars.
        let forty = "é".repeat(40);
        assert_eq!(
            info_for(&[(S, &[0x81, 80], forty.as_bytes())]),
            format!("Server.1 Text [FIN] len=80 {forty}")
        );
    }

    #[test]
    fn fragmented_text_and_flags() {
        let frames: [(Direction, &[u8], &[u8]); 3] = [
            (S, &[0x41, 0x03], b"Hel"),
            (S, &[0x89, 0x00], b""),
            (S, &[0x80, 0x02], b"lo"),
        ];
        assert_eq!(info_for(&frames[..1]), "Server.1 Text [RSV1] len=3 Hel");
        assert_eq!(info_for(&frames[..2]), "Server.2 Ping [FIN] len=0");
        assert_eq!(info_for(&frames), "Server.1 Continuation [FIN] len=2 lo");
        assert_eq!(
            info_for(&[(S, &[0x72, 0x00], b"")]),
            "Server.1 Binary [RSV1 RSV2 RSV3] len=0"
        );
    }

    #[test]
    fn binary_frames() {
        let data: Vec<u8> = (1..=20).collect();
        let raw = [0x02, 0xFE, 0x00, 0x14, M[0], M[1], M[2], M[3]];
        assert_eq!(
            info_for(&[(C, &raw, &data)]),
            "Client.1 Binary [MASKED] len=20 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 …"
        );
        // Truncated capture: 3 of 65536 bytes.
        let raw = [0x02, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0];
        assert_eq!(
            info_for(&[(S, &raw, &[0xab, 0xcd, 0xef])]),
            "Server.1 Binary len=65536 ab cd ef …"
        );
        assert_eq!(
            info_for(&[(S, &[0x82, 0x02], &[0xff, 0x00])]),
            "Server.1 Binary [FIN] len=2 ff 00"
        );
        assert_eq!(
            info_for(&[(S, &[0x8A, 0x05], b"Hello")]),
            "Server.1 Pong [FIN] len=5 48 65 6c 6c 6f"
        );
    }

    #[test]
    fn close_frames() {
        assert_eq!(
            info_for(&[(S, &[0x88, 0x02], &[0x03, 0xe8])]),
            "Server.1 Close [FIN] len=2 code=1000 (Normal Closure)"
        );
        assert_eq!(
            info_for(&[(S, &[0x88, 0x05], b"\x03\xe9bye")]),
            "Server.1 Close [FIN] len=5 code=1001 (Going Away) reason=bye"
        );
        assert_eq!(
            info_for(&[(S, &[0x88, 0x00], b"")]),
            "Server.1 Close [FIN] len=0"
        );
        assert_eq!(
            info_for(&[(S, &[0x88, 0x01], b"\x03")]),
            "Server.1 Close [FIN] len=1 03"
        );
        assert_eq!(
            info_for(&[(S, &[0x88, 0x02], &[0x0f, 0xa0])]),
            "Server.1 Close [FIN] len=2 code=4000 (Private use)"
        );
    }

    #[test]
    fn previews() {
        assert_eq!(text_preview(b"", false), "");
        assert_eq!(text_preview(b"abc", true), "abc…");
        assert_eq!(text_preview(b"a\xffb", false), "a\u{fffd}b");
        assert_eq!(hex_preview(&[], true), "…");
        assert_eq!(hex_preview(&[0; 16], false).len(), 16 * 3 - 1);
    }

    /// The previews as first written: the whole payload decoded, one string per byte.
    fn text_preview_whole(bytes: &[u8], more: bool) -> String {
        let decoded = String::from_utf8_lossy(bytes);
        let mut out = String::new();
        let mut chars = decoded.chars();
        for c in chars.by_ref().take(TEXT_PREVIEW_CHARS) {
            out.push(if c < ' ' || c == '\x7f' { '.' } else { c });
        }
        if more || chars.next().is_some() {
            out.push(ELLIPSIS);
        }
        out
    }

    fn hex_preview_formatted(bytes: &[u8], more: bool) -> String {
        let shown = bytes.get(..HEX_PREVIEW_BYTES).unwrap_or(bytes);
        let mut out = shown
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ");
        if more || bytes.len() > shown.len() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push(ELLIPSIS);
        }
        out
    }

    #[test]
    fn previews_equal_the_whole_payload_decoding_on_random_and_multibyte_input() {
        // Pieces that make the decoder work: multi-byte characters, truncated and invalid
        // sequences, control characters.
        let pieces: [&[u8]; 10] = [
            b"a",
            "é".as_bytes(),
            "日".as_bytes(),
            "😀".as_bytes(),
            b"\xf0\x9f\x98",
            b"\xe6\x97",
            b"\xff",
            b"\x80\x80",
            b"\n",
            b"\x7f",
        ];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let n = (x % 120) as usize;
            let mut v = Vec::new();
            let mut y = x;
            for _ in 0..n {
                y = y
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                v.extend_from_slice(pieces[(y >> 60) as usize % pieces.len()]);
            }
            for more in [false, true] {
                assert_eq!(
                    text_preview(&v, more),
                    text_preview_whole(&v, more),
                    "{v:?}"
                );
                assert_eq!(hex_preview(&v, more), hex_preview_formatted(&v, more));
            }
        }
    }

    #[test]
    fn decimal_is_what_format_writes() {
        for n in [
            0u64,
            1,
            9,
            10,
            99,
            100,
            4_294_967_295,
            u64::MAX,
            1_000_000_007,
        ] {
            let mut s = Vec::new();
            push_decimal(&mut s, n);
            assert_eq!(s, n.to_string().as_bytes());
        }
    }
}
