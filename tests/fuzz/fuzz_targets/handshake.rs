//! Handshake helpers: Sec-WebSocket-Extensions parsing, accept-key computation and check,
//! permessage-deflate negotiation, and the heuristic's Upgrade-request recogniser.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ws_keepalive::core::deflate::negotiated;
use ws_keepalive::core::handshake::{accept_for_key, accept_is_valid, parse_extensions};
use ws_keepalive::core::upgrade::looks_like_upgrade_request;

fuzz_target!(|data: &[u8]| {
    let _ = looks_like_upgrade_request(data);
    let s = String::from_utf8_lossy(data);
    let exts = parse_extensions(&s);
    for e in &exts {
        let _ = (&e.name, e.params.len());
    }
    let _ = negotiated(&s);
    let (key, accept) = s.split_once('\n').unwrap_or((&s, ""));
    let a = accept_for_key(key);
    assert_eq!(a.len(), 28);
    assert!(accept_is_valid(key, &a));
    let _ = accept_is_valid(key, accept);
});
