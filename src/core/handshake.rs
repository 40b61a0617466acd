//! Opening-handshake helpers (RFC 6455 §4, §9.1): SHA-1, base64,
//! Sec-WebSocket-Accept and Sec-WebSocket-Extensions parsing.

/// The GUID appended to the client key (§1.3, §4.2.2).
pub const WS_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

fn sha1_block(h: &mut [u32; 5], block: &[u8; 64]) {
    let mut w = [0u32; 80];
    for (i, word) in block.chunks_exact(4).enumerate() {
        w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
    }
    for t in 16..80 {
        w[t] = (w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16]).rotate_left(1);
    }
    let [mut a, mut b, mut c, mut d, mut e] = *h;
    for (t, wt) in w.iter().enumerate() {
        let (f, k) = match t {
            0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
            20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
            40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
            _ => (b ^ c ^ d, 0xCA62_C1D6),
        };
        let tmp = a
            .rotate_left(5)
            .wrapping_add(f)
            .wrapping_add(e)
            .wrapping_add(k)
            .wrapping_add(*wt);
        e = d;
        d = c;
        c = b.rotate_left(30);
        b = a;
        a = tmp;
    }
    h[0] = h[0].wrapping_add(a);
    h[1] = h[1].wrapping_add(b);
    h[2] = h[2].wrapping_add(c);
    h[3] = h[3].wrapping_add(d);
    h[4] = h[4].wrapping_add(e);
}

/// SHA-1 (FIPS 180-4) digest of `data`.
pub fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    let mut chunks = data.chunks_exact(64);
    for chunk in &mut chunks {
        let mut block = [0u8; 64];
        block.copy_from_slice(chunk);
        sha1_block(&mut h, &block);
    }
    let rem = chunks.remainder();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    // Padding: 0x80, zeros, 64-bit big-endian bit length; one or two blocks.
    let mut tail = [0u8; 128];
    tail[..rem.len()].copy_from_slice(rem);
    tail[rem.len()] = 0x80;
    let tail_len = if rem.len() < 56 { 64 } else { 128 };
    tail[tail_len - 8..tail_len].copy_from_slice(&bit_len.to_be_bytes());
    for chunk in tail[..tail_len].chunks_exact(64) {
        let mut block = [0u8; 64];
        block.copy_from_slice(chunk);
        sha1_block(&mut h, &block);
    }
    let mut out = [0u8; 20];
    for (dst, word) in out.chunks_exact_mut(4).zip(h.iter()) {
        dst.copy_from_slice(&word.to_be_bytes());
    }
    out
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (RFC 4648 §4).
pub fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b0 = chunk.first().copied().unwrap_or(0);
        let b1 = chunk.get(1).copied().unwrap_or(0);
        let b2 = chunk.get(2).copied().unwrap_or(0);
        let n = (u32::from(b0) << 16) | (u32::from(b1) << 8) | u32::from(b2);
        let sym = |shift: u32| char::from(B64[((n >> shift) & 0x3F) as usize]);
        out.push(sym(18));
        out.push(sym(12));
        out.push(if chunk.len() > 1 { sym(6) } else { '=' });
        out.push(if chunk.len() > 2 { sym(0) } else { '=' });
    }
    out
}

/// base64(SHA-1(key.trim() + GUID)) — RFC 6455 §4.2.2.
///
/// RFC example: "dGhlIHNhbXBsZSBub25jZQ==" -> "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".
pub fn accept_for_key(key: &str) -> String {
    let mut input = String::with_capacity(key.len() + WS_GUID.len());
    input.push_str(key.trim());
    input.push_str(WS_GUID);
    base64_encode(&sha1(input.as_bytes()))
}

/// True if `accept` (trimmed) equals `accept_for_key(key)`.
pub fn accept_is_valid(key: &str, accept: &str) -> bool {
    // §4.1: "If the response lacks a |Sec-WebSocket-Accept| header field or
    // the |Sec-WebSocket-Accept| contains a value other than the base64-encoded
    // SHA-1 of the concatenation of the |Sec-WebSocket-Key| (as a string, not
    // base64-decoded) with the string "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    // but ignoring any leading and trailing whitespace, the client MUST _Fail
    // the WebSocket Connection_."
    accept.trim() == accept_for_key(key)
}

/// One negotiated/offered extension with its parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extension {
    pub name: String,
    pub params: Vec<(String, Option<String>)>,
}

/// Split `s` on `sep`, ignoring separators inside double quotes (with
/// backslash escapes).
pub(crate) fn split_unquoted(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut in_quotes = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if in_quotes && c == '\\' {
            escaped = true;
        } else if c == '"' {
            in_quotes = !in_quotes;
        } else if c == sep && !in_quotes {
            parts.push(s.get(start..i).unwrap_or(""));
            start = i + c.len_utf8();
        }
    }
    parts.push(s.get(start..).unwrap_or(""));
    parts
}

/// Remove surrounding quotes and backslash escapes from a parameter value.
pub(crate) fn unquote(v: &str) -> String {
    let v = v.trim();
    let inner = match v.strip_prefix('"') {
        Some(rest) => rest.strip_suffix('"').unwrap_or(rest),
        None => return v.to_string(),
    };
    let mut out = String::with_capacity(inner.len());
    let mut escaped = false;
    for c in inner.chars() {
        if escaped {
            out.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else {
            out.push(c);
        }
    }
    out
}

/// Parse a Sec-WebSocket-Extensions value — RFC 6455 §9.1 / RFC 7692.
/// Tolerant: quoted values, extra whitespace, empty list elements; several
/// header lines may be joined by ", ".
pub fn parse_extensions(value: &str) -> Vec<Extension> {
    let mut out = Vec::new();
    for item in split_unquoted(value, ',') {
        let mut parts = split_unquoted(item, ';').into_iter();
        let name = parts.next().unwrap_or("").trim();
        if name.is_empty() {
            continue;
        }
        let params = parts
            .filter_map(|p| {
                let p = p.trim();
                if p.is_empty() {
                    return None;
                }
                Some(match p.split_once('=') {
                    Some((k, v)) => (k.trim().to_string(), Some(unquote(v))),
                    None => (p.to_string(), None),
                })
            })
            .collect();
        out.push(Extension {
            name: name.to_string(),
            params,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(d: &[u8]) -> String {
        d.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn sha1_fips_vectors() {
        assert_eq!(
            hex(&sha1(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(hex(&sha1(b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(
            hex(&sha1(
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
        let million = vec![b'a'; 1_000_000];
        assert_eq!(
            hex(&sha1(&million)),
            "34aa973cd4c4daa4f61eeb2bdbad27316534016f"
        );
    }

    #[test]
    fn sha1_padding_boundaries() {
        // Lengths around the one/two-block padding boundary must not panic
        // and must differ from each other.
        let mut seen = std::collections::HashSet::new();
        for n in 50..=130 {
            assert!(seen.insert(sha1(&vec![0x61; n])));
        }
        assert_eq!(
            hex(&sha1(b"The quick brown fox jumps over the lazy dog")),
            "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"
        );
    }

    #[test]
    fn base64_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_encode(i.as_bytes()), o);
        }
        assert_eq!(base64_encode(&[0xff, 0xfe, 0xfd]), "//79");
    }

    /// RFC 6455 §1.3 / §4.2.2 example: SHA-1 is 0xb3 0x7a 0x4f 0x2c 0xc0
    /// 0x62 0x4f 0x16 0x90 0xf6 0x46 0x06 0xcf 0x38 0x59 0x45 0xb2 0xbe 0xc4
    /// 0xea, base64 "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".
    #[test]
    fn accept_rfc_example() {
        let key = "dGhlIHNhbXBsZSBub25jZQ==";
        let mut input = key.to_string();
        input.push_str(WS_GUID);
        assert_eq!(
            hex(&sha1(input.as_bytes())),
            "b37a4f2cc0624f1690f64606cf385945b2bec4ea"
        );
        assert_eq!(accept_for_key(key), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert_eq!(
            accept_for_key("  dGhlIHNhbXBsZSBub25jZQ==\t"),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
        assert!(accept_is_valid(key, " s3pPLMBiTxaQ9kYGzzhZRbK+xOo= "));
    }

    #[test]
    fn accept_mismatch() {
        // The glue raises Anomaly::AcceptMismatch when this returns false.
        assert!(!accept_is_valid(
            "dGhlIHNhbXBsZSBub25jZQ==",
            "s3pPLMBiTxaQ9kxfzkyPsRZcN8w="
        ));
        assert!(!accept_is_valid("dGhlIHNhbXBsZSBub25jZQ==", ""));
        assert!(!accept_is_valid(
            "x3JJHMbDL1EzLkh9GBhXDw==",
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        ));
        assert_eq!(
            accept_for_key("x3JJHMbDL1EzLkh9GBhXDw=="),
            "HSmrc0sMlYUkAGmm5OPpG2HaGWk="
        );
    }

    #[test]
    fn extensions_simple() {
        let e = parse_extensions("permessage-deflate; client_max_window_bits, x-foo");
        assert_eq!(
            e,
            vec![
                Extension {
                    name: "permessage-deflate".into(),
                    params: vec![("client_max_window_bits".into(), None)],
                },
                Extension {
                    name: "x-foo".into(),
                    params: vec![],
                },
            ]
        );
    }

    #[test]
    fn extensions_tolerant() {
        let e = parse_extensions(
            " permessage-deflate ;server_max_window_bits=10 ; client_max_window_bits = \"15\" ,, \
             mux; quoted=\"a,b;c\\\"d\";flag ; ",
        );
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].name, "permessage-deflate");
        assert_eq!(
            e[0].params,
            vec![
                ("server_max_window_bits".into(), Some("10".into())),
                ("client_max_window_bits".into(), Some("15".into())),
            ]
        );
        assert_eq!(e[1].name, "mux");
        assert_eq!(
            e[1].params,
            vec![
                ("quoted".into(), Some("a,b;c\"d".into())),
                ("flag".into(), None),
            ]
        );
        assert!(parse_extensions("").is_empty());
        assert!(parse_extensions(" , ; ,").is_empty());
        // Unterminated quote does not panic.
        let e = parse_extensions("a; b=\"unterminated, c");
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].params[0].1.as_deref(), Some("unterminated, c"));
        let _ = parse_extensions("é;ü=\"\\");
    }
}
