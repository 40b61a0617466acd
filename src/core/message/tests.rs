//! Tests for the per-connection state machine.

use super::*;
use crate::core::frame::{parse_header, Status};
use crate::core::mask::unmask;
use std::collections::HashSet;

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// Encode a frame header (minimal length form) and parse it back.
fn hdr_bits(b0: u8, masked: bool, len: u64) -> FrameHeader {
    let v = crate::core::testutil::header(b0, masked.then_some(KEY), len);
    match parse_header(&v) {
        Status::Complete(h) => h,
        Status::Partial => panic!("partial"),
    }
}

fn hdr(fin: bool, op: u8, masked: bool, len: u64) -> FrameHeader {
    hdr_bits(if fin { 0x80 } else { 0 } | op, masked, len)
}

fn conn() -> Connection {
    Connection::new(Config {
        handshake_known: true,
        allowed_rsv: 0,
        max_message: 1024,
    })
}

/// Feed a complete frame from the right side (client masked, server not).
fn feed(c: &mut Connection, dir: Direction, fin: bool, op: u8, payload: &[u8]) -> FrameOutcome {
    let h = hdr(fin, op, dir == Direction::Client, payload.len() as u64);
    c.on_frame(dir, &h, payload, true)
}

#[test]
fn direction_names() {
    assert_eq!(Direction::Client.as_str(), "client");
    assert_eq!(Direction::Server.label(), "Server");
}

#[test]
fn rfc_single_frames() {
    let mut c = conn();
    // 81 05 "Hello" from the server: valid.
    let o = feed(&mut c, Direction::Server, true, 1, b"Hello");
    assert_eq!((o.msg_index, o.msg_type, o.fragment), (1, 1, 1));
    assert!(o.anomalies.is_empty());
    let done = o.completes.expect("completes");
    assert_eq!((done.total_len, done.frames), (5, 1));
    assert_eq!(done.data, None);
    assert!(!done.truncated);
    assert_eq!(done.text_valid, Some(true));

    // 81 85 37 fa 21 3d 7f 9f 4d 51 58 from the client: valid once unmasked.
    let raw = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    let Status::Complete(h) = parse_header(&raw) else {
        panic!()
    };
    let mut p = raw[h.header_len..].to_vec();
    unmask(&mut p, h.mask.unwrap(), 0);
    let o = c.on_frame(Direction::Client, &h, &p, true);
    assert_eq!(o.msg_index, 1);
    assert!(o.anomalies.is_empty());
    assert_eq!(o.completes.unwrap().text_valid, Some(true));

    // Unmasked Ping from the server, masked Pong from the client.
    let o = feed(&mut c, Direction::Server, true, 0x9, b"Hello");
    assert_eq!((o.msg_index, o.msg_type), (2, 0x9));
    assert!(o.anomalies.is_empty());
    let o = feed(&mut c, Direction::Client, true, 0xA, b"Hello");
    assert_eq!((o.msg_index, o.msg_type), (2, 0xA));
    assert!(o.anomalies.is_empty());
    assert_eq!(o.completes.unwrap().text_valid, None);

    // 256-byte and 64 KiB binary.
    let o = feed(&mut c, Direction::Server, true, 2, &[7u8; 256]);
    assert!(o.anomalies.is_empty());
    assert_eq!(o.completes.unwrap().total_len, 256);
    let o = feed(&mut c, Direction::Server, true, 2, &vec![7u8; 65536]);
    assert!(o.anomalies.is_empty());
    assert_eq!(o.completes.unwrap().total_len, 65536);
}

#[test]
fn masking_rules() {
    let mut c = conn();
    let o = c.on_frame(Direction::Client, &hdr(true, 1, false, 2), b"hi", true);
    assert_eq!(o.anomalies, vec![Anomaly::UnmaskedFrameFromClient]);
    let o = c.on_frame(Direction::Server, &hdr(true, 1, true, 2), b"hi", true);
    assert_eq!(o.anomalies, vec![Anomaly::MaskedFrameFromServer]);
}

#[test]
fn fragmented_with_interleaved_ping() {
    let mut c = conn();
    let d = Direction::Client;
    let o = feed(&mut c, d, false, 1, b"Hel");
    assert_eq!((o.msg_index, o.msg_type, o.fragment), (1, 1, 1));
    assert!(o.completes.is_none());
    assert!(o.anomalies.is_empty());
    let o = feed(&mut c, d, true, 0x9, b"");
    assert_eq!((o.msg_index, o.msg_type, o.fragment), (2, 9, 1));
    assert!(o.completes.is_some());
    assert!(o.anomalies.is_empty());
    let o = feed(&mut c, d, true, 0, b"lo");
    assert_eq!((o.msg_index, o.msg_type, o.fragment), (1, 1, 2));
    assert!(o.anomalies.is_empty());
    let done = o.completes.expect("completes");
    assert_eq!(done.data.as_deref(), Some(&b"Hello"[..]));
    assert_eq!((done.frames, done.total_len), (2, 5));
    assert!(!done.truncated);
    assert_eq!(done.text_valid, Some(true));
    // Numbering continues; the other direction is independent.
    assert_eq!(feed(&mut c, d, true, 2, b"x").msg_index, 3);
    assert_eq!(feed(&mut c, Direction::Server, true, 2, b"x").msg_index, 1);
}

#[test]
fn three_fragments_and_close_inside() {
    let mut c = conn();
    let d = Direction::Server;
    feed(&mut c, d, false, 2, b"ab");
    assert_eq!(feed(&mut c, d, false, 0, b"cd").fragment, 2);
    let o = feed(&mut c, d, true, 0x8, &[0x03, 0xe8]);
    assert_eq!(o.msg_index, 2);
    assert_eq!(o.close.as_ref().and_then(|c| c.code), Some(1000));
    assert!(o.anomalies.is_empty());
    let o = feed(&mut c, d, true, 0, b"ef");
    // A data frame after Close, but the message still completes.
    assert_eq!(o.anomalies, vec![Anomaly::DataAfterClose]);
    let done = o.completes.unwrap();
    assert_eq!(done.data.as_deref(), Some(&b"abcdef"[..]));
    assert_eq!(done.frames, 3);
    assert_eq!(done.text_valid, None);
}

#[test]
fn rsv_rules() {
    let mut c = Connection::new(Config::default());
    // Handshake unknown: RSV not checked.
    let o = c.on_frame(Direction::Server, &hdr_bits(0xC1, false, 0), b"", true);
    assert!(o.anomalies.is_empty());
    c.set_config(Config {
        handshake_known: true,
        allowed_rsv: 0,
        max_message: 10,
    });
    assert!(c.config().handshake_known);
    let o = c.on_frame(Direction::Server, &hdr_bits(0xC1, false, 0), b"", true);
    assert_eq!(o.anomalies, vec![Anomaly::RsvWithoutExtension]);
    c.set_config(Config {
        handshake_known: true,
        allowed_rsv: 0x4,
        max_message: 10,
    });
    let d = Direction::Server;
    assert!(c
        .on_frame(d, &hdr_bits(0xC1, false, 0), b"", true)
        .anomalies
        .is_empty());
    let o = c.on_frame(d, &hdr_bits(0xA1, false, 0), b"", true);
    assert_eq!(o.anomalies, vec![Anomaly::RsvWithoutExtension]);
    let o = c.on_frame(d, &hdr_bits(0x91, false, 0), b"", true);
    assert_eq!(o.anomalies, vec![Anomaly::RsvWithoutExtension]);
    // RFC 7692 §6.1: RSV1 not on control frames or non-first fragments.
    let o = c.on_frame(d, &hdr_bits(0xC9, false, 0), b"", true);
    assert_eq!(o.anomalies, vec![Anomaly::RsvWithoutExtension]);
    assert!(c
        .on_frame(d, &hdr_bits(0x41, false, 0), b"", true)
        .anomalies
        .is_empty());
    let o = c.on_frame(d, &hdr_bits(0xC0, false, 0), b"", true);
    assert_eq!(o.anomalies, vec![Anomaly::RsvWithoutExtension]);
}

#[test]
fn reserved_opcodes() {
    let mut c = conn();
    let d = Direction::Server;
    feed(&mut c, d, false, 1, b"He");
    let o = feed(&mut c, d, true, 0x3, b"x");
    assert_eq!(o.anomalies, vec![Anomaly::ReservedOpcode]);
    assert_eq!((o.msg_index, o.msg_type, o.fragment), (2, 3, 1));
    let o = feed(&mut c, d, true, 0xB, b"x");
    assert_eq!(o.anomalies, vec![Anomaly::ReservedOpcode]);
    assert_eq!((o.msg_index, o.msg_type), (3, 0xB));
    // The open message was not disturbed.
    let o = feed(&mut c, d, true, 0, b"y");
    assert_eq!(o.msg_index, 1);
    assert_eq!(o.completes.unwrap().data.as_deref(), Some(&b"Hey"[..]));
}

#[test]
fn control_frame_rules() {
    let mut c = conn();
    let d = Direction::Server;
    let o = feed(&mut c, d, true, 0x9, &[0u8; 125]);
    assert!(o.anomalies.is_empty());
    let o = feed(&mut c, d, true, 0x9, &[0u8; 126]);
    assert_eq!(o.anomalies, vec![Anomaly::ControlFrameTooBig]);
    let o = feed(&mut c, d, false, 0xA, b"");
    assert_eq!(o.anomalies, vec![Anomaly::ControlFrameFragmented]);
    assert!(o.completes.is_some());
}

#[test]
fn continuation_without_start() {
    let mut c = conn();
    let d = Direction::Server;
    let o = feed(&mut c, d, true, 0, b"lo");
    assert_eq!(o.anomalies, vec![Anomaly::ContinuationWithoutStart]);
    assert_eq!((o.msg_index, o.msg_type, o.fragment), (1, 0, 1));
    let done = o.completes.unwrap();
    assert_eq!((done.frames, done.total_len), (1, 2));
    assert_eq!(done.data, None);
    // An orphan run: only its first frame is flagged, the rest join it.
    let o = feed(&mut c, d, false, 0, b"a");
    assert_eq!(o.anomalies, vec![Anomaly::ContinuationWithoutStart]);
    assert_eq!(o.msg_index, 2);
    let o = feed(&mut c, d, true, 0, b"b");
    assert!(o.anomalies.is_empty());
    assert_eq!((o.msg_index, o.msg_type, o.fragment), (2, 0, 2));
    let done = o.completes.unwrap();
    assert_eq!(done.data.as_deref(), Some(&b"ab"[..]));
    assert_eq!(done.text_valid, None);
}

#[test]
fn data_frame_while_unfinished() {
    let mut c = conn();
    let d = Direction::Client;
    feed(&mut c, d, false, 1, b"Hel");
    let o = feed(&mut c, d, true, 2, b"\x01");
    assert_eq!(o.anomalies, vec![Anomaly::DataFrameWhileMessageUnfinished]);
    assert_eq!((o.msg_index, o.fragment), (2, 1));
    assert!(o.completes.is_some());
    // The dropped message cannot be continued.
    let o = feed(&mut c, d, true, 0, b"lo");
    assert_eq!(o.anomalies, vec![Anomaly::ContinuationWithoutStart]);
    assert_eq!(o.msg_index, 3);
}

#[test]
fn utf8_validation() {
    let mut c = conn();
    let d = Direction::Server;
    let o = feed(&mut c, d, true, 1, b"ok\xff");
    assert_eq!(o.anomalies, vec![Anomaly::InvalidUtf8Text]);
    assert_eq!(o.completes.unwrap().text_valid, Some(false));
    // Binary is never validated.
    assert!(feed(&mut c, d, true, 2, b"\xff").anomalies.is_empty());
    // A code point split across fragments is fine.
    feed(&mut c, d, false, 1, b"caf\xc3");
    let o = feed(&mut c, d, true, 0, b"\xa9");
    assert!(o.anomalies.is_empty());
    assert_eq!(o.completes.unwrap().text_valid, Some(true));
    // Invalid across fragments.
    feed(&mut c, d, false, 1, b"caf\xc3");
    let o = feed(&mut c, d, true, 0, b"x");
    assert_eq!(o.anomalies, vec![Anomaly::InvalidUtf8Text]);
    // Truncated capture ending mid-sequence counts as valid.
    let h = hdr(true, 1, false, 10);
    let o = c.on_frame(d, &h, b"caf\xc3", false);
    assert_eq!(o.anomalies, vec![Anomaly::PayloadTruncated]);
    let done = o.completes.unwrap();
    assert!(done.truncated);
    assert_eq!(done.text_valid, Some(true));
    // Unterminated sequence in a complete frame is invalid.
    let o = feed(&mut c, d, true, 1, b"caf\xc3");
    assert_eq!(o.anomalies, vec![Anomaly::InvalidUtf8Text]);
}

#[test]
fn close_rules() {
    let mut c = conn();
    let d = Direction::Server;
    let o = feed(&mut c, d, true, 8, &[0x03]);
    assert_eq!(o.anomalies, vec![Anomaly::ClosePayloadOneByte]);
    let o = feed(&mut c, d, true, 8, &1005u16.to_be_bytes());
    assert_eq!(o.anomalies, vec![Anomaly::CloseCodeNotOnWire]);
    let o = feed(&mut c, d, true, 8, &2000u16.to_be_bytes());
    assert_eq!(o.anomalies, vec![Anomaly::CloseCodeInvalid]);
    let o = feed(&mut c, d, true, 8, b"\x03\xe8\xff");
    assert_eq!(o.anomalies, vec![Anomaly::InvalidUtf8CloseReason]);
    let close = o.close.unwrap();
    assert_eq!(close.code, Some(1000));
    assert_eq!(close.reason.as_deref(), Some(&b"\xff"[..]));
    assert!(c.close_seen(d));
    assert!(!c.close_seen(Direction::Client));
    // Data after close from this direction only.
    let o = feed(&mut c, d, true, 1, b"late");
    assert_eq!(o.anomalies, vec![Anomaly::DataAfterClose]);
    assert!(feed(&mut c, Direction::Client, true, 1, b"ok")
        .anomalies
        .is_empty());
    // Pings after Close are allowed.
    assert!(feed(&mut c, d, true, 9, b"").anomalies.is_empty());
}

#[test]
fn truncated_close_not_blamed() {
    let mut c = conn();
    let d = Direction::Server;
    // Only one byte of a 4-byte close captured.
    let o = c.on_frame(d, &hdr(true, 8, false, 4), &[0x03], false);
    assert_eq!(o.anomalies, vec![Anomaly::PayloadTruncated]);
    // Reason cut mid-sequence.
    let o = c.on_frame(d, &hdr(true, 8, false, 9), b"\x03\xe8ab\xc3", false);
    assert_eq!(o.anomalies, vec![Anomaly::PayloadTruncated]);
}

#[test]
fn header_anomalies_forwarded() {
    let mut c = conn();
    // 126-form for a 5-byte payload.
    let raw = [0x82, 0x7E, 0x00, 0x05];
    let Status::Complete(h) = parse_header(&raw) else {
        panic!()
    };
    let o = c.on_frame(Direction::Server, &h, b"12345", true);
    assert_eq!(o.anomalies, vec![Anomaly::LengthNotMinimal]);
    let raw = [0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 1];
    let Status::Complete(h) = parse_header(&raw) else {
        panic!()
    };
    let o = c.on_frame(Direction::Server, &h, b"", false);
    assert_eq!(
        o.anomalies,
        vec![Anomaly::Length64MsbSet, Anomaly::PayloadTruncated]
    );
}

#[test]
fn message_cap() {
    let mut c = Connection::new(Config {
        handshake_known: true,
        allowed_rsv: 0,
        max_message: 4,
    });
    let d = Direction::Server;
    feed(&mut c, d, false, 1, b"Hel");
    feed(&mut c, d, false, 0, b"lo");
    let o = feed(&mut c, d, true, 0, b"!");
    assert_eq!(o.anomalies, vec![Anomaly::MessageTruncated]);
    let done = o.completes.unwrap();
    assert_eq!(done.data.as_deref(), Some(&b"Hell"[..]));
    assert_eq!(done.total_len, 6);
    assert!(done.truncated);
    assert_eq!(done.text_valid, Some(true));
    // Exactly at the cap is not truncated.
    feed(&mut c, d, false, 2, b"ab");
    let o = feed(&mut c, d, true, 0, b"cd");
    assert!(o.anomalies.is_empty());
    assert!(!o.completes.unwrap().truncated);
    // Single-frame messages are never cut (the glue shows the frame).
    let o = feed(&mut c, d, true, 2, b"0123456789");
    assert!(o.anomalies.is_empty());
}

#[test]
fn gap_keeps_prefix_and_no_huge_alloc() {
    let mut c = conn();
    let d = Direction::Server;
    // A fragment claiming 2^62 bytes, only 3 captured.
    let o = c.on_frame(d, &hdr(false, 2, false, 1 << 62), b"abc", false);
    assert_eq!(o.anomalies, vec![Anomaly::PayloadTruncated]);
    let o = c.on_frame(d, &hdr(false, 0, false, 1 << 62), b"def", true);
    assert!(o.anomalies.is_empty());
    let o = c.on_frame(d, &hdr(true, 0, false, u64::MAX >> 1), b"g", true);
    assert!(o.anomalies.is_empty());
    let done = o.completes.unwrap();
    assert_eq!(done.data.as_deref(), Some(&b"abc"[..]));
    assert!(done.truncated);
    assert_eq!(done.total_len, u64::MAX);
    assert_eq!(done.frames, 3);
}

/// Parse `wire` (one frame as captured, perhaps cut short) with the real header parser, unmask
/// what was captured of its payload, and hand it to the connection as the dissector does.
fn feed_wire(c: &mut Connection, dir: Direction, wire: &[u8]) -> FrameOutcome {
    let Status::Complete(h) = parse_header(wire) else {
        panic!("partial header {wire:02x?}")
    };
    let mut payload = wire[h.header_len..].to_vec();
    let complete = payload.len() as u64 >= h.payload_len;
    if let Some(k) = h.mask {
        unmask(&mut payload, k, 0);
    }
    c.on_frame(dir, &h, &payload, complete)
}

/// Every anomaly that `Connection::on_frame` raises, each from the wire bytes of the frame that
/// violates the rule, in one connection, and nothing else on that frame. (The others, raised by
/// the glue and by other modules, come from captures: `every_expert_comes_from_dissection` in
/// tests/golden.rs.)
#[test]
fn every_anomaly_is_produced() {
    use crate::core::testutil::{Frame, LengthForm};
    use Anomaly::*;
    let mut c = Connection::new(Config {
        handshake_known: true,
        allowed_rsv: 0,
        max_message: 2,
    });
    let (cl, sv) = (Direction::Client, Direction::Server);
    let mut cut = Frame::binary(b"abc").encode();
    cut.truncate(3);
    let steps: Vec<(Direction, Vec<u8>, Vec<Anomaly>)> = vec![
        (
            cl,
            Frame::text(b"a").encode(),
            vec![UnmaskedFrameFromClient],
        ),
        (
            sv,
            Frame::text(b"a").masked(KEY).encode(),
            vec![MaskedFrameFromServer],
        ),
        (
            sv,
            Frame::text(b"").rsv(6).encode(),
            vec![RsvWithoutExtension],
        ),
        (sv, Frame::new(0x4, b"").encode(), vec![ReservedOpcode]),
        (
            sv,
            Frame::ping(&[0; 200]).encode(),
            vec![ControlFrameTooBig],
        ),
        (
            sv,
            Frame::ping(b"").fin(false).encode(),
            vec![ControlFrameFragmented],
        ),
        (
            sv,
            Frame::continuation(b"").encode(),
            vec![ContinuationWithoutStart],
        ),
        (sv, Frame::text(b"a").fin(false).encode(), vec![]),
        (
            sv,
            Frame::text(b"b").fin(false).encode(),
            vec![DataFrameWhileMessageUnfinished],
        ),
        (
            sv,
            Frame::continuation(b"\xff").encode(),
            vec![InvalidUtf8Text],
        ),
        (sv, Frame::binary(b"abc").fin(false).encode(), vec![]),
        (
            sv,
            Frame::continuation(b"abc").encode(),
            vec![MessageTruncated],
        ),
        (sv, cut, vec![PayloadTruncated]),
        (
            sv,
            Frame::binary(b"")
                .claimed_len(1 << 63)
                .length_form(LengthForm::Bits64)
                .encode(),
            vec![Length64MsbSet, PayloadTruncated],
        ),
        (
            sv,
            Frame::binary(b"").length_form(LengthForm::Bits16).encode(),
            vec![LengthNotMinimal],
        ),
        (
            sv,
            Frame::close(b"\x03").encode(),
            vec![ClosePayloadOneByte],
        ),
        (
            sv,
            Frame::close(b"\x03\xee").encode(),
            vec![CloseCodeNotOnWire],
        ),
        (
            sv,
            Frame::close(b"\x13\x88").encode(),
            vec![CloseCodeInvalid],
        ),
        (
            sv,
            Frame::close(b"\x03\xe8\xff").encode(),
            vec![InvalidUtf8CloseReason],
        ),
        (sv, Frame::binary(b"").encode(), vec![DataAfterClose]),
    ];
    let mut seen: HashSet<Anomaly> = HashSet::new();
    for (i, (dir, wire, want)) in steps.iter().enumerate() {
        let got = feed_wire(&mut c, *dir, wire).anomalies;
        assert_eq!(&got, want, "step {i}: {dir:?} {wire:02x?}");
        seen.extend(got);
    }
    let of_on_frame: HashSet<Anomaly> = Anomaly::ALL
        .into_iter()
        .filter(|a| !a.raised_outside_message())
        .collect();
    assert_eq!(seen, of_on_frame);
}

/// xorshift64* for a dependency-free fuzz loop.
fn rng(state: &mut u64) -> u64 {
    let mut x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    x.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

#[test]
fn fuzz_never_panics() {
    let mut s = 0x1234_5678_9abc_def1u64;
    for round in 0..200u32 {
        let mut c = Connection::new(Config {
            handshake_known: round.is_multiple_of(2),
            allowed_rsv: (round % 8) as u8,
            max_message: (round % 50) as usize,
        });
        for _ in 0..50 {
            let b0 = rng(&mut s) as u8;
            let masked = rng(&mut s).is_multiple_of(2);
            let len = match rng(&mut s) % 4 {
                0 => rng(&mut s),
                _ => rng(&mut s) % 40,
            };
            let h = hdr_bits(b0, masked, len & (u64::MAX >> 1));
            let n = (rng(&mut s) % 40) as usize;
            let p: Vec<u8> = (0..n).map(|_| rng(&mut s) as u8).collect();
            let complete = !rng(&mut s).is_multiple_of(3);
            let dir = if rng(&mut s).is_multiple_of(2) {
                Direction::Client
            } else {
                Direction::Server
            };
            let o = c.on_frame(dir, &h, &p, complete);
            assert!(o.msg_index >= 1 && o.fragment >= 1);
            if let Some(d) = o.completes.and_then(|d| d.data) {
                assert!(d.len() <= c.config().max_message);
            }
        }
    }
}
