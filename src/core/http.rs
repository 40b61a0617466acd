//! The two HTTP messages of a WebSocket opening handshake (RFC 6455 §4.1, §4.2.2), read from the
//! bytes that carried them: the client's Upgrade request and the server's 101 response.
//!
//! The plugin reads them itself (instead of HTTP's tree fields) so that the handshake is learnt on
//! the first pass without making Wireshark build a protocol tree for every packet.

/// Longest header block looked at (HTTP itself reassembles longer ones; 1 MB of headers has been
/// seen in the wild of test suites). Only bytes that begin like a handshake are read this far.
pub const MAX_HEADER_BLOCK: usize = 2 * 1024 * 1024;

/// Bytes [`could_start`] needs.
pub const PEEK: usize = 16;

/// Could `head` (the first [`PEEK`] bytes, or all there are) begin a handshake message: a GET
/// request line or a `101` status line?
pub fn could_start(head: &[u8]) -> bool {
    if head.starts_with(b"GET ") {
        return true;
    }
    // "HTTP/1.1 101 "
    head.len() >= 13 && head.starts_with(b"HTTP/1.") && &head[8..13] == b" 101 "
}

/// What one handshake message says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
    /// true: the Upgrade request; false: a 101 response.
    pub request: bool,
    /// Sec-WebSocket-Key (request).
    pub key: Option<String>,
    /// Sec-WebSocket-Accept (response).
    pub accept: Option<String>,
    /// Sec-WebSocket-Protocol (several header lines joined by ", ").
    pub protocol: Option<String>,
    /// Sec-WebSocket-Extensions (several header lines joined by ", ").
    pub extensions: Option<String>,
    /// Request target (request).
    pub target: Option<String>,
    /// Bytes of the message up to and including the blank line.
    pub header_len: usize,
}

fn trim(b: &[u8]) -> &[u8] {
    let s = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let e = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(s, |i| i + 1);
    &b[s..e.max(s)]
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(trim(b)).into_owned()
}

fn join(slot: &mut Option<String>, v: String) {
    *slot = Some(match slot.take() {
        Some(old) if !old.is_empty() => format!("{old}, {v}"),
        _ => v,
    });
}

/// Parse `buf` as an Upgrade request with `Upgrade: websocket`, or a `101` response. `None` when
/// the bytes are something else, or the header block is not complete within `buf`.
pub fn parse(buf: &[u8]) -> Option<Message> {
    let buf = &buf[..buf.len().min(MAX_HEADER_BLOCK)];
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let mut lines = buf[..end - 4]
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let first = lines.next()?;
    let mut m = Message {
        header_len: end,
        ..Message::default()
    };
    if let Some(rest) = first.strip_prefix(b"GET ") {
        let sp = rest.iter().rposition(|&b| b == b' ')?;
        if !rest[sp + 1..].starts_with(b"HTTP/1.") {
            return None;
        }
        m.request = true;
        m.target = Some(text(&rest[..sp]));
    } else if first.starts_with(b"HTTP/1.") {
        // "HTTP/1.1 101 Switching Protocols"
        let mut parts = first.split(|&b| b == b' ').filter(|p| !p.is_empty());
        parts.next();
        if parts.next()? != b"101" {
            return None;
        }
    } else {
        return None;
    }
    let mut upgrade_ws = false;
    for line in lines {
        // A damaged line is skipped, as HTTP does; the status line and Upgrade still decide.
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = (trim(&line[..colon]), &line[colon + 1..]);
        let is = |n: &str| name.eq_ignore_ascii_case(n.as_bytes());
        if is("upgrade") {
            upgrade_ws |= value
                .split(|&b| b == b',')
                .any(|t| trim(t).eq_ignore_ascii_case(b"websocket"));
        } else if is("sec-websocket-key") {
            m.key = Some(text(value));
        } else if is("sec-websocket-accept") {
            m.accept = Some(text(value));
        } else if is("sec-websocket-protocol") {
            join(&mut m.protocol, text(value));
        } else if is("sec-websocket-extensions") {
            join(&mut m.extensions, text(value));
        }
    }
    // RFC 6455 §4.1: the request MUST carry `Upgrade: websocket`; §4.2.2: so must the 101.
    upgrade_ws.then_some(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_and_response() {
        let req =
            b"GET /chat?x=1 HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: chat\r\n\
Sec-WebSocket-Protocol: superchat\r\nSec-WebSocket-Version: 13\r\n\r\n\x81\x05hello";
        let m = parse(req).unwrap();
        assert!(m.request);
        assert_eq!(m.key.as_deref(), Some("dGhlIHNhbXBsZSBub25jZQ=="));
        assert_eq!(m.protocol.as_deref(), Some("chat, superchat"));
        assert_eq!(m.target.as_deref(), Some("/chat?x=1"));
        assert_eq!(&req[m.header_len..], b"\x81\x05hello");

        let resp = b"HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\nConnection: Upgrade\r\n\
sec-websocket-accept:  s3pPLMBiTxaQ9kYGzzhZRbK+xOo= \r\nSec-WebSocket-Extensions: permessage-deflate; \
client_max_window_bits=15\r\n\r\n";
        let m = parse(resp).unwrap();
        assert!(!m.request);
        assert_eq!(m.accept.as_deref(), Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
        assert_eq!(
            m.extensions.as_deref(),
            Some("permessage-deflate; client_max_window_bits=15")
        );
        assert_eq!(m.header_len, resp.len());
    }

    #[test]
    fn peek() {
        assert!(could_start(b"GET / HTTP/1.1\r\n"));
        assert!(could_start(b"HTTP/1.1 101 Switching"));
        assert!(!could_start(b"HTTP/1.1 200 OK\r\n"));
        assert!(!could_start(b"HTTP/1.1 1"));
        assert!(!could_start(b"POST / HTTP/1.1"));
    }

    #[test]
    fn not_a_handshake() {
        // Incomplete header block, a refused upgrade, no Upgrade header, other methods, garbage.
        let cases: [&[u8]; 6] = [
            b"GET / HTTP/1.1\r\nUpgrade: websocket\r\n",
            b"HTTP/1.1 400 Bad Request\r\nUpgrade: websocket\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
            b"POST / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n",
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n",
            b"\x81\x05hello\r\n\r\n",
        ];
        for c in cases {
            assert_eq!(parse(c), None, "{:?}", String::from_utf8_lossy(c));
        }
        // A damaged header line does not hide the rest.
        let m = parse(
            b"HTTP/1.1 101 x\r\nSec-We\xf6Socket-Accept: x\r\nUpgrade: websocket\r\nbad\r\n\r\n",
        );
        assert_eq!(m.map(|m| (m.request, m.accept)), Some((false, None)));
    }
}

/// Does `seg` (one TCP segment of a connection on a port HTTP owns) begin an HTTP/1.x message:
/// a request line (`METHOD target HTTP/1.x`, the method an upper-case token) or a status line
/// (`HTTP/1.x NNN`)? Such a connection is HTTP's. Any other segment, even one Wireshark's HTTP
/// dissector reads as text (it does so for any printable first byte, showing header lines it
/// cannot parse), can still be the inside of a WebSocket frame: its first bytes are payload.
pub fn starts_http_message(seg: &[u8]) -> bool {
    let line = &seg[..seg.len().min(8192)];
    let line = match line.iter().position(|&b| b == b'\n') {
        Some(n) => line[..n].strip_suffix(b"\r").unwrap_or(&line[..n]),
        None => return false,
    };
    let version =
        |v: &[u8]| v.len() == 8 && v.starts_with(b"HTTP/1.") && matches!(v[7], b'0' | b'1');
    if line.starts_with(b"HTTP/1.") {
        let mut parts = line.splitn(3, |&b| b == b' ');
        let (v, code) = (parts.next().unwrap_or(b""), parts.next().unwrap_or(b""));
        return version(v) && code.len() == 3 && code.iter().all(u8::is_ascii_digit);
    }
    let mut parts = line.split(|&b| b == b' ');
    let (method, target, v) = (parts.next(), parts.next(), parts.next());
    let (Some(method), Some(target), Some(v), None) = (method, target, v, parts.next()) else {
        return false;
    };
    !method.is_empty()
        && method.len() <= 16
        && method
            .iter()
            .all(|b| b.is_ascii_uppercase() || *b == b'-' || *b == b'_')
        && !target.is_empty()
        && target.iter().all(|b| b.is_ascii_graphic())
        && version(v)
}

#[cfg(test)]
mod http_start_tests {
    use super::starts_http_message as t;

    #[test]
    fn request_and_status_lines_start_http_messages() {
        for yes in [
            &b"GET / HTTP/1.1\r\nHost: x\r\n"[..],
            b"POST /api/v1/items?x=1 HTTP/1.0\r\n",
            b"M-SEARCH * HTTP/1.1\r\n",
            b"HTTP/1.1 200 OK\r\n",
            b"HTTP/1.0 404 Not Found\r\n",
            b"HTTP/1.1 101 Switching Protocols\r\n",
            b"OPTIONS * HTTP/1.1\n",
        ] {
            assert!(t(yes), "{yes:?}");
        }
    }

    #[test]
    fn text_that_is_not_a_start_line_is_not() {
        for no in [
            &b""[..],
            b"\x81\x05hello",
            b"hello world\r\n",
            b"GET / HTTP/1.1",
            b"get / HTTP/1.1\r\n",
            b"GET / HTTP/2.0\r\n",
            b"GET  / HTTP/1.1\r\n",
            b"{\"type\":\"tick\",\"price\":12.5}\r\n",
            b"Content-Type: text/plain\r\n",
            b"HTTP/1.1 2000 OK\r\n",
            b"HTTP/1.1\r\n",
            b"A\x05\x01\x02\x03\n",
        ] {
            assert!(!t(no), "{no:?}");
        }
    }
}
