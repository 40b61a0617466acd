//! Recognising a WebSocket Upgrade request at the start of a TCP stream (RFC 6455 §4.1), for the
//! `ws_tcp` heuristic. Only a GET whose headers carry `Upgrade: websocket` qualifies; the request
//! must be readable up to that header within the bytes given.

/// True if `buf` starts with `GET <target> HTTP/1.x` and one of its header lines (before the blank
/// line that ends the headers) is `Upgrade:` with a value naming `websocket` (case-insensitive).
pub fn looks_like_upgrade_request(buf: &[u8]) -> bool {
    let Some(rest) = buf.strip_prefix(b"GET ") else {
        return false;
    };
    let mut lines = rest.split(|&b| b == b'\n');
    let Some(request_line) = lines.next() else {
        return false;
    };
    let request_line = trim_cr(request_line);
    let Some(sp) = request_line.iter().rposition(|&b| b == b' ') else {
        return false;
    };
    if !request_line[sp + 1..].starts_with(b"HTTP/1.") {
        return false;
    }
    for line in lines {
        let line = trim_cr(line);
        if line.is_empty() {
            break;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return false; // not an HTTP header block
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        if name.eq_ignore_ascii_case(b"upgrade") {
            return value
                .split(|&b| b == b',')
                .any(|tok| trim(tok).eq_ignore_ascii_case(b"websocket"));
        }
    }
    false
}

/// Is this the start of a `101 Switching Protocols` response with `Upgrade: websocket` (a capture
/// that begins between the Upgrade request and its answer)?
pub fn looks_like_upgrade_response(buf: &[u8]) -> bool {
    let Some(rest) = buf.strip_prefix(b"HTTP/1.1 101") else {
        return false;
    };
    let mut lines = rest.split(|&b| b == b'\n');
    lines.next();
    for line in lines {
        let line = trim_cr(line);
        if line.is_empty() {
            break;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return false;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        if name.eq_ignore_ascii_case(b"upgrade") {
            return trim(value).eq_ignore_ascii_case(b"websocket");
        }
    }
    false
}

fn trim_cr(l: &[u8]) -> &[u8] {
    l.strip_suffix(b"\r").unwrap_or(l)
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::looks_like_upgrade_request as up;

    #[test]
    fn a_101_with_upgrade_websocket_is_an_upgrade_response() {
        use super::looks_like_upgrade_response as resp;
        assert!(resp(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"));
        assert!(!resp(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n"
        ));
        assert!(!resp(b"HTTP/1.1 200 OK\r\nUpgrade: websocket\r\n\r\n"));
        assert!(!resp(
            b"HTTP/1.1 101 Switching Protocols\r\nnot a header\r\nUpgrade: websocket\r\n\r\n"
        ));
    }

    #[test]
    fn rfc_example_request_is_an_upgrade() {
        let req = b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
        assert!(up(req));
        // The header may come in any case and among other tokens.
        assert!(up(b"GET / HTTP/1.1\r\nupgrade: h2c, WebSocket\r\n\r\n"));
    }

    #[test]
    fn other_requests_are_not() {
        assert!(!up(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
        assert!(!up(b"POST / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n"));
        assert!(!up(b"GET / HTTP/1.1\r\nUpgrade: h2c\r\n\r\n"));
        // An Upgrade header after the end of the headers (in a body) does not count.
        assert!(!up(
            b"GET / HTTP/1.1\r\nHost: a\r\n\r\nUpgrade: websocket\r\n"
        ));
        assert!(!up(b"GET / SSH-2.0\r\nUpgrade: websocket\r\n\r\n"));
        assert!(!up(b"GET"));
        assert!(!up(b""));
        assert!(!up(&[0x81, 0x05, b'h', b'e', b'l', b'l', b'o']));
    }
}
