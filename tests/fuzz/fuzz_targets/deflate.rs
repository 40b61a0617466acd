//! permessage-deflate: `negotiated` on a header value and `Inflater::inflate_message` on a
//! sequence of messages with small caps. Input: byte 0 = inflater flags (no_context_takeover,
//! midstream, window bits), byte 1 = cap choice, then messages as [len u16 BE][bytes]; the
//! extension header value tried with `negotiated` is the input as (lossy) text.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ws_keepalive::core::deflate::{negotiated, Inflater};

fuzz_target!(|data: &[u8]| {
    let _ = negotiated(&String::from_utf8_lossy(data));
    let [flags, capsel, rest @ ..] = data else {
        return;
    };
    let bits = match flags >> 4 {
        0 => None,
        b => Some(b),
    };
    let mut inf = Inflater::new(flags & 1 != 0, bits, flags & 2 != 0);
    let cap = [0usize, 1, 64, 1024, 65536, 1 << 20][(*capsel as usize) % 6];
    let mut rest = rest;
    while !rest.is_empty() {
        let n = match rest {
            [a, b, ..] => (usize::from(*a) << 8 | usize::from(*b)).min(rest.len() - 2),
            _ => rest.len() - 1,
        };
        let hdr = rest.len().min(2);
        let msg = &rest[hdr..hdr + n];
        let out = inf.inflate_message(msg, cap);
        assert!(
            out.data.len() <= cap,
            "output {} over cap {}",
            out.data.len(),
            cap
        );
        rest = &rest[hdr + n..];
    }
});
