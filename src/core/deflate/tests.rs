// The inflater's tests, included by src/core/deflate.rs (with the pure-Rust decoder) and by
// src/epan/zlib.rs (with zlib): the including module provides `backend()` and the imports.
use miniz_oxide::deflate::core::{
    compress_to_output, create_comp_flags_from_zip_params, CompressorOxide, TDEFLFlush, TDEFLStatus,
};
use std::time::{Duration, Instant};

const BIG_CAP: usize = 16 << 20;

/// A permessage-deflate sender: one raw-DEFLATE stream whose messages end
/// with a sync flush, the trailing 00 00 ff ff stripped (RFC 7692 §7.2.1).
struct Sender {
    comp: Box<CompressorOxide>,
    no_context_takeover: bool,
}

impl Sender {
    fn new(no_context_takeover: bool) -> Sender {
        Sender::with_level(no_context_takeover, 6)
    }

    fn with_level(no_context_takeover: bool, level: i32) -> Sender {
        let flags = create_comp_flags_from_zip_params(level, -15, 0);
        Sender {
            comp: Box::new(CompressorOxide::new(flags)),
            no_context_takeover,
        }
    }

    fn message(&mut self, data: &[u8]) -> Vec<u8> {
        if self.no_context_takeover {
            self.comp.reset();
        }
        let mut out = Vec::new();
        let (status, consumed) = compress_to_output(&mut self.comp, data, TDEFLFlush::Sync, |c| {
            out.extend_from_slice(c);
            true
        });
        assert_eq!(status, TDEFLStatus::Okay);
        assert_eq!(consumed, data.len());
        assert!(out.ends_with(&SYNC_TAIL), "sync flush marker missing");
        out.truncate(out.len() - SYNC_TAIL.len());
        out
    }
}

use crate::core::testutil::Rng;

/// Text-like data with plenty of repetition, `n` bytes.
fn texty(rng: &mut Rng, n: usize) -> Vec<u8> {
    const WORDS: [&str; 8] = [
        "{\"type\":\"tick\",",
        "\"price\":",
        "\"symbol\":\"BTC-USD\",",
        "\"seq\":",
        "},",
        "heartbeat ",
        "subscribe ",
        "0123456789",
    ];
    let mut out = Vec::with_capacity(n + 32);
    while out.len() < n {
        out.extend_from_slice(WORDS[rng.index(WORDS.len())].as_bytes());
        out.push(b'0' + rng.index(10) as u8);
    }
    out.truncate(n);
    out
}

fn inflater(no_context_takeover: bool, bits: Option<u8>, midstream: bool) -> Inflater {
    Inflater::with_backend(backend(), no_context_takeover, bits, midstream)
}

fn ok(data: &[u8]) -> Inflated {
    Inflated {
        data: data.to_vec(),
        issue: None,
    }
}

// ---------------------------------------------------------- RFC 7692 examples

#[test]
fn rfc_7_2_3_1_hello() {
    let mut inf = inflater(false, None, false);
    assert_eq!(
        inf.inflate_message(&[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], 1024),
        ok(b"Hello")
    );
}

#[test]
fn rfc_7_2_3_2_sharing_lz77_window() {
    let mut inf = inflater(false, None, false);
    let first = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    let second = [0xf2, 0x00, 0x11, 0x00, 0x00];
    assert_eq!(inf.inflate_message(&first, 1024), ok(b"Hello"));
    assert_eq!(inf.inflate_message(&second, 1024), ok(b"Hello"));

    // Without the first message the second one refers to unknown data.
    let mut fresh = inflater(false, None, false);
    assert_eq!(
        fresh.inflate_message(&second, 1024).issue,
        Some(InflateIssue::Corrupt)
    );
    let mut midstream = inflater(false, None, true);
    let got = midstream.inflate_message(&second, 1024);
    assert_eq!(got.issue, Some(InflateIssue::NeedsUnknownContext));
    // A literal 'H', then a 4-byte match reaching 5 bytes back.
    assert_eq!(got.data, b"H".to_vec());
}

#[test]
fn rfc_7_2_3_3_no_compression() {
    let mut inf = inflater(false, None, false);
    let msg = [
        0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
    ];
    assert_eq!(inf.inflate_message(&msg, 1024), ok(b"Hello"));
}

#[test]
fn rfc_7_2_3_4_bfinal_set() {
    let mut inf = inflater(false, None, false);
    let msg = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
    assert_eq!(inf.inflate_message(&msg, 1024), ok(b"Hello"));
    // The window survives a BFINAL message too.
    assert_eq!(
        inf.inflate_message(&[0xf2, 0x00, 0x11, 0x00, 0x00], 1024),
        ok(b"Hello")
    );
}

#[test]
fn rfc_7_2_3_5_two_deflate_blocks() {
    let mut inf = inflater(false, None, false);
    let msg = [
        0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00,
    ];
    assert_eq!(inf.inflate_message(&msg, 1024), ok(b"Hello"));
}

#[test]
fn rfc_7_2_3_6_empty_message() {
    let mut inf = inflater(false, None, false);
    assert_eq!(inf.inflate_message(&[0x00], 1024), ok(b""));
    assert_eq!(inf.inflate_message(&[], 1024), ok(b""));
    // Still usable afterwards.
    assert_eq!(
        inf.inflate_message(&[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], 1024),
        ok(b"Hello")
    );
}

#[test]
fn sender_reproduces_rfc_shared_window_bytes() {
    // Our test sender is a real permessage-deflate sender: the second
    // "Hello" must be a back-reference into the first message.
    let mut s = Sender::new(false);
    let a = s.message(b"Hello");
    let b = s.message(b"Hello");
    let mut inf = inflater(false, None, false);
    assert_eq!(inf.inflate_message(&a, 100), ok(b"Hello"));
    assert_eq!(inf.inflate_message(&b, 100), ok(b"Hello"));
    assert_eq!(
        inflater(false, None, false)
            .inflate_message(&b, 100)
            .issue,
        Some(InflateIssue::Corrupt)
    );
}

// ----------------------------------------------------------- context takeover

fn five_messages(rng: &mut Rng) -> Vec<Vec<u8>> {
    let base = texty(rng, 3000);
    (0..5)
        .map(|i| {
            let mut m = base.clone();
            m.extend_from_slice(format!(" message #{i} ").as_bytes());
            m.extend_from_slice(&texty(rng, 500));
            m
        })
        .collect()
}

#[test]
fn context_takeover_across_five_messages() {
    let mut rng = Rng(0x1234_5678);
    let msgs = five_messages(&mut rng);
    let mut s = Sender::new(false);
    let wire: Vec<Vec<u8>> = msgs.iter().map(|m| s.message(m)).collect();
    // Later messages are much smaller than the first: they refer back.
    assert!(wire[1].len() * 2 < wire[0].len());

    let mut inf = inflater(false, None, false);
    for (m, w) in msgs.iter().zip(&wire) {
        assert_eq!(&inf.inflate_message(w, BIG_CAP), &ok(m));
    }

    // Each later message alone: not decodable without its predecessors.
    for w in &wire[1..] {
        let got = inflater(false, None, false).inflate_message(w, BIG_CAP);
        assert_eq!(got.issue, Some(InflateIssue::Corrupt));
        let got = inflater(false, None, true).inflate_message(w, BIG_CAP);
        assert_eq!(got.issue, Some(InflateIssue::NeedsUnknownContext));
    }

    // A no_context_takeover inflater cannot decode a context-taking stream.
    let mut nct = inflater(true, None, false);
    assert_eq!(nct.inflate_message(&wire[0], BIG_CAP), ok(&msgs[0]));
    assert_eq!(
        nct.inflate_message(&wire[1], BIG_CAP).issue,
        Some(InflateIssue::Corrupt)
    );
}

#[test]
fn no_context_takeover_across_five_messages() {
    let mut rng = Rng(0xfeed_beef);
    let msgs = five_messages(&mut rng);
    let mut s = Sender::new(true);
    let wire: Vec<Vec<u8>> = msgs.iter().map(|m| s.message(m)).collect();
    for midstream in [false, true] {
        let mut inf = inflater(true, None, midstream);
        for (m, w) in msgs.iter().zip(&wire) {
            assert_eq!(&inf.inflate_message(w, BIG_CAP), &ok(m));
        }
    }
    // Out of order is fine too: every message stands alone.
    let mut inf = inflater(true, None, false);
    for i in [4, 2, 0, 3, 1] {
        assert_eq!(inf.inflate_message(&wire[i], BIG_CAP), ok(&msgs[i]));
    }
    // A context-takeover inflater also decodes them (they never refer back).
    let mut inf = inflater(false, None, true);
    for (m, w) in msgs.iter().zip(&wire) {
        assert_eq!(&inf.inflate_message(w, BIG_CAP), &ok(m));
    }
}

#[test]
fn midstream_recovers_once_messages_are_self_contained() {
    let mut s = Sender::new(false);
    let a = s.message(b"alpha alpha alpha alpha");
    let b = s.message(b"alpha alpha alpha alpha, beta"); // refers to `a`
    let c = s.message(b"zq"); // too short to refer back
    let d = s.message(b"zq zq zq beta"); // refers to `b` and `c`
    let mut inf = inflater(false, None, true);
    // Capture starts at `b`.
    let got = inf.inflate_message(&b, BIG_CAP);
    assert_eq!(got.issue, Some(InflateIssue::NeedsUnknownContext));
    assert!(b"alpha alpha alpha alpha, beta".starts_with(&got.data));
    assert_eq!(inf.inflate_message(&c, BIG_CAP), ok(b"zq"));
    // `d` reaches back past `c` into `b`, which we never fully decoded.
    assert_eq!(
        inf.inflate_message(&d, BIG_CAP).issue,
        Some(InflateIssue::NeedsUnknownContext)
    );
    drop(a);
}

#[test]
fn midstream_window_becomes_known_after_32k() {
    let mut rng = Rng(77);
    let mut s = Sender::new(false);
    let first = rng.bytes(40_000); // incompressible, self-contained
    let second = first[first.len() - 20_000..].to_vec(); // refers back
    let w1 = s.message(&first);
    let w2 = s.message(&second);
    let mut inf = inflater(false, None, true);
    assert_eq!(inf.inflate_message(&w1, BIG_CAP), ok(&first));
    assert_eq!(inf.inflate_message(&w2, BIG_CAP), ok(&second));
}

#[test]
fn large_messages_cross_chunk_boundaries_with_context() {
    // Messages bigger than the 64 KiB output chunk and the 32 KiB window,
    // with back-references crossing the chunk boundaries and messages.
    let mut rng = Rng(42);
    let mut s = Sender::new(false);
    let mut inf = inflater(false, None, false);
    for size in [200_000, 70_000, 1, 65_536, 131_073, 5] {
        let m = texty(&mut rng, size);
        let w = s.message(&m);
        let got = inf.inflate_message(&w, BIG_CAP);
        assert_eq!(got.issue, None);
        assert!(got.data == m, "mismatch at size {size}");
    }
}

#[test]
fn level_zero_and_best_compression_streams() {
    let mut rng = Rng(9);
    for level in [0, 1, 9] {
        let mut s = Sender::with_level(false, level);
        let mut inf = inflater(false, Some(15), false);
        for _ in 0..4 {
            let m = texty(&mut rng, 10_000);
            assert_eq!(inf.inflate_message(&s.message(&m), BIG_CAP), ok(&m));
        }
    }
}

// --------------------------------------------------------------------- caps

#[test]
fn cap_exact_is_not_reached() {
    let mut s = Sender::new(false);
    let m = vec![b'x'; 1000];
    let w = s.message(&m);
    assert_eq!(
        inflater(false, None, false).inflate_message(&w, 1000),
        ok(&m)
    );
    let got = inflater(false, None, false).inflate_message(&w, 999);
    assert_eq!(got.issue, Some(InflateIssue::CapReached));
    assert_eq!(got.data, vec![b'x'; 999]);
    let got = inflater(false, None, false).inflate_message(&w, 0);
    assert_eq!(got.issue, Some(InflateIssue::CapReached));
    assert!(got.data.is_empty());
}

#[test]
fn after_cap_reached_context_is_honestly_unknown() {
    let mut s = Sender::new(false);
    let big = b"hello world, ".repeat(1000);
    let w1 = s.message(&big);
    let w2 = s.message(b"hello world, hello world, and more"); // refers back
    let w3 = s.message(b"QXJ"); // self-contained
    let mut inf = inflater(false, None, false);
    let got = inf.inflate_message(&w1, 100);
    assert_eq!(got.issue, Some(InflateIssue::CapReached));
    assert_eq!(got.data, big[..100].to_vec());
    assert_eq!(
        inf.inflate_message(&w2, BIG_CAP).issue,
        Some(InflateIssue::NeedsUnknownContext)
    );
    assert_eq!(inf.inflate_message(&w3, BIG_CAP), ok(b"QXJ"));

    // With no_context_takeover nothing carries over: the next one is fine.
    let mut s = Sender::new(true);
    let w1 = s.message(&big);
    let w2 = s.message(b"hello world, hello world, and more");
    let mut inf = inflater(true, None, false);
    assert_eq!(
        inf.inflate_message(&w1, 100).issue,
        Some(InflateIssue::CapReached)
    );
    assert_eq!(
        inf.inflate_message(&w2, BIG_CAP),
        ok(b"hello world, hello world, and more")
    );
}

/// A deflate bomb of zeros: compress 1 MiB of zeros (one dynamic block whose
/// body is a run of 0x00 bytes, each byte holding four 1-bit-code matches of
/// 258 bytes at distance 1), then lengthen that run by `extra` bytes. Every
/// added byte inflates to 4 * 258 more zeros. Returns (bomb, inflated size).
fn zero_bomb(extra: usize) -> (Vec<u8>, usize) {
    const BASE: usize = 1 << 20;
    let w = Sender::with_level(false, 9).message(&vec![0u8; BASE]);
    // Longest run of one byte value.
    let (mut best_at, mut best_len, mut i) = (0, 0, 0);
    while i < w.len() {
        let j = i + w[i..].iter().take_while(|&&b| b == w[i]).count();
        if j - i > best_len {
            (best_at, best_len) = (i, j - i);
        }
        i = j;
    }
    assert_eq!(w[best_at], 0, "unexpected bomb body");
    assert!(best_len > 500, "unexpected bomb body");
    let mut bomb = w[..best_at].to_vec();
    bomb.resize(best_at + best_len + extra, 0);
    bomb.extend_from_slice(&w[best_at + best_len..]);
    (bomb, BASE + extra * 4 * 258)
}

#[test]
fn zero_bomb_construction_is_sound() {
    let (bomb, size) = zero_bomb(1000);
    let got = inflater(false, None, false).inflate_message(&bomb, BIG_CAP);
    assert_eq!(got.issue, None);
    assert_eq!(got.data.len(), size);
    assert!(got.data.iter().all(|&b| b == 0));
}

#[test]
fn deflate_bomb_stops_at_cap_quickly() {
    // ~100 kB that inflates to ~100 MB.
    let (bomb, size) = zero_bomb(100_000);
    assert!(bomb.len() < 110_000 && size > 100_000_000);
    let mut s = Sender::new(false);
    s.message(&[0u8; 5000]);

    let cap = 1 << 20;
    let mut inf = inflater(false, None, false);
    let start = Instant::now();
    let got = inf.inflate_message(&bomb, cap);
    let elapsed = start.elapsed();
    eprintln!(
        "bomb: {} compressed bytes ({size} inflated) -> stopped at {} bytes in {:?}",
        bomb.len(),
        got.data.len(),
        elapsed
    );
    assert_eq!(got.issue, Some(InflateIssue::CapReached));
    assert_eq!(got.data.len(), cap);
    assert!(got.data.iter().all(|&b| b == 0));
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");

    // Context is gone afterwards; a midstream-style answer, not a panic.
    let next = s.message(&[0u8; 100]);
    assert_eq!(
        inf.inflate_message(&next, cap).issue,
        Some(InflateIssue::NeedsUnknownContext)
    );
}

// --------------------------------------------------------- corrupt / truncated

#[test]
fn corrupt_random_bytes() {
    // BTYPE = 11 is reserved: always invalid.
    let mut inf = inflater(false, None, false);
    let got = inf.inflate_message(&[0x07, 0x12, 0x34], 1024);
    assert_eq!(got.issue, Some(InflateIssue::Corrupt));
    // Stored block with LEN/NLEN mismatch.
    let got =
        inflater(false, None, false).inflate_message(&[0x00, 0x05, 0x00, 0x00, 0x00], 1024);
    assert_eq!(got.issue, Some(InflateIssue::Corrupt));

    let mut rng = Rng(0xdead);
    let mut corrupt = 0;
    for _ in 0..200 {
        let n = 1 + rng.index(64);
        let junk = rng.bytes(n);
        let got = inflater(false, None, false).inflate_message(&junk, 4096);
        assert!(got.data.len() <= 4096);
        corrupt += usize::from(got.issue == Some(InflateIssue::Corrupt));
    }
    assert!(
        corrupt > 150,
        "only {corrupt}/200 random inputs were Corrupt"
    );
}

#[test]
fn truncated_messages_are_corrupt() {
    let mut rng = Rng(5);
    let m = texty(&mut rng, 5000);
    let w = Sender::new(false).message(&m);
    for cut in [1, 2, w.len() / 3, w.len() / 2, w.len() - 1] {
        let got = inflater(false, None, false).inflate_message(&w[..cut], BIG_CAP);
        assert_eq!(got.issue, Some(InflateIssue::Corrupt), "cut at {cut}");
        assert!(m.starts_with(&got.data), "cut at {cut}: wrong prefix");
    }
    // A stored block cut short.
    let got = inflater(false, None, false)
        .inflate_message(&[0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65], 1024);
    assert_eq!(got.issue, Some(InflateIssue::Corrupt));
}

#[test]
fn after_corrupt_message_context_is_unknown() {
    let mut s = Sender::new(false);
    let w1 = s.message(b"Hello Hello");
    let w2 = s.message(b"Hello Hello again");
    let mut inf = inflater(false, None, false);
    assert_eq!(
        inf.inflate_message(&[0x07], 1024).issue,
        Some(InflateIssue::Corrupt)
    );
    // The inflater was not midstream, but after a corrupt message the window
    // is unknown, so a message that refers back says so.
    assert_eq!(inf.inflate_message(&w1, 1024), ok(b"Hello Hello"));
    assert_eq!(inf.inflate_message(&w2, 1024), ok(b"Hello Hello again"));
    assert_eq!(
        inf.inflate_message(&[0x07], 1024).issue,
        Some(InflateIssue::Corrupt)
    );
    let w3 = s.message(b"again and Hello");
    assert_eq!(
        inf.inflate_message(&w3, 1024).issue,
        Some(InflateIssue::NeedsUnknownContext)
    );
}

// ------------------------------------------------------------------ property

#[test]
fn property_random_inputs_never_panic() {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let mut s = Sender::new(false);
    let mut valid = Vec::new();
    for _ in 0..8 {
        let n = 1 + rng.index(3000);
        let m = texty(&mut rng, n);
        valid.push(s.message(&m));
    }
    for round in 0..3000 {
        let cap = [0, 1, 7, 100, 4096, 1 << 20][rng.index(6)];
        let mut inf = inflater(
            rng.index(2) == 0,
            Some(8 + rng.index(8) as u8),
            rng.index(2) == 0,
        );
        for _ in 0..1 + rng.index(4) {
            let input = match rng.index(4) {
                0 => {
                    let n = rng.index(300);
                    rng.bytes(n)
                }
                1 => {
                    // A valid message with a few bits flipped.
                    let mut v = valid[rng.index(valid.len())].clone();
                    for _ in 0..1 + rng.index(3) {
                        let i = rng.index(v.len());
                        v[i] ^= 1 << rng.index(8);
                    }
                    v
                }
                2 => {
                    let v = &valid[rng.index(valid.len())];
                    v[..rng.index(v.len() + 1)].to_vec()
                }
                _ => valid[rng.index(valid.len())].clone(),
            };
            let got = inf.inflate_message(&input, cap);
            assert!(got.data.len() <= cap, "round {round}: over the cap");
            if got.issue.is_none() {
                assert!(got.data.len() <= cap);
            }
        }
    }
    // Random header values never panic either.
    for _ in 0..3000 {
        let pieces = [
            "permessage-deflate",
            ";",
            ",",
            "=",
            "\"",
            "\\",
            " ",
            "15",
            "8",
            "99",
            "client_max_window_bits",
            "server_max_window_bits",
            "x",
            "é",
            "server_no_context_takeover",
            "client_no_context_takeover",
        ];
        let header: String = (0..rng.index(12))
            .map(|_| pieces[rng.index(pieces.len())])
            .collect();
        if let Some(p) = negotiated(&header) {
            for bits in [p.client_max_window_bits, p.server_max_window_bits]
                .into_iter()
                .flatten()
            {
                assert!((8..=15).contains(&bits), "{header:?}");
            }
        }
    }
}

#[test]
fn zlib_generated_stream_with_small_window() {
    // Produced by zlib (level 9, raw deflate, windowBits 10) with a sync
    // flush after each message, trailing 00 00 ff ff stripped.
    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
    let wire = [
        "aa56ca2f50b2522a2e4d2a4e2eca4c4a55d2514ace48cccb4bcd018a96642667a7160185325394ac0c6b0100",
        "aac6abb6283125b518aad6a81600",
        "82aa2dcd23c264e35a0000",
    ];
    let msgs: [&[u8]; 3] = [
        br#"{"op":"subscribe","channel":"ticker","id":1}"#,
        br#"{"op":"subscribe","channel":"trades","id":2}"#,
        br#"{"op":"unsubscribe","channel":"ticker","id":3}"#,
    ];
    let mut inf = inflater(false, Some(10), false);
    for (w, m) in wire.iter().zip(msgs) {
        assert_eq!(inf.inflate_message(&hex(w), 1024), ok(m));
    }
    let got = inflater(false, Some(10), true).inflate_message(&hex(wire[1]), 1024);
    assert_eq!(got.issue, Some(InflateIssue::NeedsUnknownContext));
    assert!(msgs[1].starts_with(&got.data));
}
