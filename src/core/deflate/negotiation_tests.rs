// Negotiation parsing (no decoder involved): run once, from src/core/deflate.rs.
use super::*;

// ---------------------------------------------------------------- negotiation

#[test]
fn negotiated_bare() {
    assert_eq!(
        negotiated("permessage-deflate"),
        Some(DeflateParams::default())
    );
}

#[test]
fn negotiated_bare_client_max_window_bits_is_15() {
    assert_eq!(
        negotiated("permessage-deflate; client_max_window_bits"),
        Some(DeflateParams {
            client_max_window_bits: Some(15),
            ..Default::default()
        })
    );
}

#[test]
fn negotiated_no_context_takeover_both() {
    assert_eq!(
        negotiated("permessage-deflate; server_no_context_takeover; client_no_context_takeover"),
        Some(DeflateParams {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            ..Default::default()
        })
    );
}

#[test]
fn negotiated_values_plain_and_quoted_and_case() {
    assert_eq!(
        negotiated("Permessage-Deflate;Server_Max_Window_Bits=10; CLIENT_MAX_WINDOW_BITS=\"12\""),
        Some(DeflateParams {
            server_max_window_bits: Some(10),
            client_max_window_bits: Some(12),
            ..Default::default()
        })
    );
    assert_eq!(
        negotiated("permessage-deflate; server_max_window_bits = \"15\""),
        Some(DeflateParams {
            server_max_window_bits: Some(15),
            ..Default::default()
        })
    );
}

#[test]
fn negotiated_other_extensions_only() {
    assert_eq!(negotiated("x-webkit-deflate-frame"), None);
    assert_eq!(negotiated(""), None);
    assert_eq!(negotiated("deflate-frame; no_context_takeover"), None);
    assert_eq!(negotiated("permessage-deflatex"), None);
}

#[test]
fn negotiated_among_several_extensions() {
    assert_eq!(
        negotiated(
            "x-webkit-deflate-frame, foo; bar=\"a,b;c\", permessage-deflate; \
             client_no_context_takeover; server_max_window_bits=9"
        ),
        Some(DeflateParams {
            client_no_context_takeover: true,
            server_max_window_bits: Some(9),
            ..Default::default()
        })
    );
}

#[test]
fn negotiated_request_with_several_offers_takes_first_valid() {
    // The first offer is invalid (window bits out of range): RFC 7692 §7.1
    // says a server declines it and may accept the next one.
    assert_eq!(
        negotiated(
            "permessage-deflate; client_max_window_bits=16, \
             permessage-deflate; client_max_window_bits; server_no_context_takeover, \
             permessage-deflate"
        ),
        Some(DeflateParams {
            server_no_context_takeover: true,
            client_max_window_bits: Some(15),
            ..Default::default()
        })
    );
}

#[test]
fn negotiated_invalid_values_are_ignored_when_nothing_better() {
    assert_eq!(
        negotiated(
            "permessage-deflate; server_max_window_bits=7; client_max_window_bits=08; foo=1"
        ),
        Some(DeflateParams::default())
    );
    // server_max_window_bits needs a value.
    assert_eq!(
        negotiated("permessage-deflate; server_max_window_bits"),
        Some(DeflateParams::default())
    );
}
