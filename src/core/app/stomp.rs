//! STOMP 1.0, 1.1 and 1.2 (stomp.github.io) as carried over WebSocket: a message holds frames
//! (`COMMAND EOL *(header EOL) EOL body NUL *(EOL)`) and/or heart-beats (a lone EOL).
//! Offsets are positions in the WebSocket message.

use super::issue::Issue;

pub const COMMANDS: [&str; 15] = [
    "CONNECT",
    "STOMP",
    "CONNECTED",
    "SEND",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "ACK",
    "NACK",
    "BEGIN",
    "COMMIT",
    "ABORT",
    "DISCONNECT",
    "MESSAGE",
    "RECEIPT",
    "ERROR",
];

/// Headers kept per frame; more are counted as one unparsed block.
pub const MAX_HEADERS: usize = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    V10,
    V11,
    V12,
}

impl Version {
    /// From a subprotocol name (`v12.stomp`) or a `version` header value (`1.2`).
    pub fn from_name(s: &str) -> Option<Version> {
        match s.trim().to_ascii_lowercase().as_str() {
            "v10.stomp" | "1.0" => Some(Version::V10),
            "v11.stomp" | "1.1" => Some(Version::V11),
            "v12.stomp" | "1.2" => Some(Version::V12),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The whole line (without its EOL).
    pub line: (usize, usize),
    pub name: String,
    /// The value with escapes decoded (1.1/1.2, not in CONNECT/CONNECTED).
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// From the command to the NUL (included, when present).
    pub span: (usize, usize),
    pub command: String,
    pub command_span: (usize, usize),
    pub known: bool,
    pub headers: Vec<Header>,
    pub body: (usize, usize),
    /// The NUL terminator was found.
    pub complete: bool,
    pub issues: Vec<Issue>,
}

impl Frame {
    /// The first header of that name (STOMP 1.2: "only the first header entry SHALL be used").
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.name == name)
            .map(|h| h.value.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// One heart-beat EOL (`\n` or `\r\n`) at this span.
    HeartBeat((usize, usize)),
    Frame(Frame),
    /// Bytes that are not a frame (with the reason).
    Junk((usize, usize), Issue),
}

fn eol_len(s: &[u8], i: usize) -> usize {
    match (s.get(i), s.get(i + 1)) {
        (Some(b'\n'), _) => 1,
        (Some(b'\r'), Some(b'\n')) => 2,
        _ => 0,
    }
}

/// A line from `i`: its end (before the EOL) and the next line's start; None without an EOL.
fn line(s: &[u8], i: usize) -> Option<(usize, usize)> {
    let nl = s[i..].iter().position(|&b| b == b'\n')? + i;
    let end = if nl > i && s[nl - 1] == b'\r' {
        nl - 1
    } else {
        nl
    };
    Some((end, nl + 1))
}

/// Decode a header name or value (STOMP 1.2 "Value Encoding"; 1.1 lacks `\r`).
fn unescape(raw: &[u8], v: Version, escaping: bool) -> Result<String, Issue> {
    let text = String::from_utf8_lossy(raw);
    if !escaping || v == Version::V10 || !text.contains('\\') {
        return Ok(text.into_owned());
    }
    let mut out = String::with_capacity(text.len());
    let mut it = text.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('n') => out.push('\n'),
            Some('c') => out.push(':'),
            Some('\\') => out.push('\\'),
            Some('r') if v == Version::V12 => out.push('\r'),
            // "Undefined escape sequences such as \t MUST be treated as a fatal protocol error."
            _ => return Err(Issue::StompBadEscape),
        }
    }
    Ok(out)
}

fn frame_at(s: &[u8], start: usize, v: Version) -> Result<Frame, Issue> {
    let (cmd_end, mut i) = line(s, start).ok_or(Issue::StompTruncated)?;
    let command = String::from_utf8_lossy(&s[start..cmd_end]).into_owned();
    let known = COMMANDS.contains(&command.as_str());
    let mut f = Frame {
        span: (start, s.len()),
        command,
        command_span: (start, cmd_end),
        known,
        headers: Vec::new(),
        body: (s.len(), s.len()),
        complete: false,
        issues: Vec::new(),
    };
    if !known {
        f.issues.push(Issue::StompUnknownCommand);
    }
    let escaping = !matches!(f.command.as_str(), "CONNECT" | "CONNECTED" | "STOMP");
    loop {
        let Some((end, next)) = line(s, i) else {
            f.issues.push(Issue::StompTruncated);
            return Ok(f);
        };
        if end == i {
            i = next;
            break;
        }
        let raw = &s[i..end];
        match raw.iter().position(|&b| b == b':') {
            Some(c) if f.headers.len() < MAX_HEADERS => {
                let name = unescape(&raw[..c], v, escaping);
                let value = unescape(&raw[c + 1..], v, escaping);
                match (name, value) {
                    (Ok(name), Ok(value)) => f.headers.push(Header {
                        line: (i, end),
                        name,
                        value,
                    }),
                    _ => {
                        f.issues.push(Issue::StompBadEscape);
                        f.headers.push(Header {
                            line: (i, end),
                            name: String::from_utf8_lossy(&raw[..c]).into_owned(),
                            value: String::from_utf8_lossy(&raw[c + 1..]).into_owned(),
                        });
                    }
                }
            }
            Some(_) => {}
            None => f.issues.push(Issue::StompBadHeader),
        }
        i = next;
    }
    let body_start = i;
    let clen = match f.header("content-length") {
        Some(t) => match t.trim().parse::<u64>() {
            Ok(n) => Some(n),
            Err(_) => {
                f.issues.push(Issue::StompBadContentLength);
                None
            }
        },
        None => None,
    };
    let nul = match clen {
        Some(n) if n <= (s.len() - body_start) as u64 => {
            let at = body_start + n as usize;
            (s.get(at) == Some(&0)).then_some(at)
        }
        Some(_) => None,
        None => s[body_start..]
            .iter()
            .position(|&b| b == 0)
            .map(|p| body_start + p),
    };
    match nul {
        Some(at) => {
            f.body = (body_start, at);
            f.span = (start, at + 1);
            f.complete = true;
        }
        None => {
            f.body = (body_start, s.len());
            f.issues.push(Issue::StompTruncated);
        }
    }
    Ok(f)
}

/// Every frame and heart-beat of one WebSocket message.
pub fn parse(s: &[u8], v: Version) -> Vec<Item> {
    let mut items = Vec::new();
    let mut i = 0;
    let mut after_frame = false;
    while i < s.len() {
        let e = eol_len(s, i);
        if e > 0 {
            // EOLs right after a frame's NUL are allowed padding; elsewhere each one is a beat.
            if !after_frame {
                items.push(Item::HeartBeat((i, i + e)));
            }
            i += e;
            continue;
        }
        if !s[i].is_ascii_uppercase() {
            items.push(Item::Junk((i, s.len()), Issue::StompTrailing));
            break;
        }
        match frame_at(s, i, v) {
            Ok(f) => {
                i = f.span.1;
                after_frame = f.complete;
                let done = !f.complete;
                items.push(Item::Frame(f));
                if done {
                    break;
                }
            }
            Err(issue) => {
                items.push(Item::Junk((i, s.len()), issue));
                break;
            }
        }
    }
    items
}

/// A `heart-beat` header value: `<cx>,<cy>` in milliseconds.
pub fn parse_heart_beat(v: &str) -> Option<(u64, u64)> {
    let (a, b) = v.split_once(',')?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

/// The negotiated heart-beat periods from CONNECT's `cx,cy` and CONNECTED's `sx,sy` (STOMP 1.1
/// "Heart-beating"): client→server `max(cx, sy)` unless either is 0, server→client `max(sx, cy)`
/// unless either is 0. Milliseconds; 0 = none.
pub fn negotiate(client: (u64, u64), server: (u64, u64)) -> (u64, u64) {
    let (cx, cy) = client;
    let (sx, sy) = server;
    let c2s = if cx == 0 || sy == 0 { 0 } else { cx.max(sy) };
    let s2c = if sx == 0 || cy == 0 { 0 } else { sx.max(cy) };
    (c2s, s2c)
}

/// Strict content check: the message starts with a known command line followed by a header
/// block and is a complete frame.
pub fn looks_like(s: &[u8]) -> bool {
    matches!(parse(s, Version::V12).first(), Some(Item::Frame(f)) if f.known && f.complete && f.issues.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(items: &[Item]) -> Vec<&Frame> {
        items
            .iter()
            .filter_map(|i| {
                if let Item::Frame(f) = i {
                    Some(f)
                } else {
                    None
                }
            })
            .collect()
    }

    #[test]
    fn connect_and_connected() {
        let s = b"CONNECT\naccept-version:1.2,1.1,1.0\nheart-beat:4000,4000\nhost:/\n\n\0";
        let it = parse(s, Version::V12);
        let f = frames(&it)[0];
        assert_eq!(
            (f.command.as_str(), f.known, f.complete),
            ("CONNECT", true, true)
        );
        assert_eq!(f.header("heart-beat"), Some("4000,4000"));
        assert_eq!(f.headers.len(), 3);
        assert_eq!(f.body, (s.len() - 1, s.len() - 1));
        assert_eq!(f.span, (0, s.len()));
        assert_eq!(
            parse_heart_beat(f.header("heart-beat").unwrap()),
            Some((4000, 4000))
        );
    }

    #[test]
    fn heart_beat_negotiation() {
        assert_eq!(negotiate((4000, 4000), (10000, 10000)), (10000, 10000));
        assert_eq!(negotiate((0, 4000), (10000, 10000)), (0, 10000));
        assert_eq!(negotiate((4000, 0), (10000, 5000)), (5000, 0));
        assert_eq!(parse_heart_beat("x,1"), None);
        assert_eq!(parse_heart_beat("99999999999999999999999,1"), None);
    }

    #[test]
    fn escaping_crlf_and_content_length() {
        let s = b"MESSAGE\r\ndestination:/queue/a\\cb\r\nfoo:a\\nb\\\\\r\ncontent-length:5\r\n\r\nab\0cd\0\n\n";
        let it = parse(s, Version::V12);
        assert_eq!(it.len(), 1, "EOLs after the NUL are padding");
        let f = frames(&it)[0];
        assert_eq!(f.header("destination"), Some("/queue/a:b"));
        assert_eq!(f.header("foo"), Some("a\nb\\"));
        assert_eq!(&s[f.body.0..f.body.1], b"ab\0cd");
        assert!(f.issues.is_empty());
        // CONNECTED values are not unescaped; 1.0 never.
        let f = parse(b"CONNECTED\nx:a\\cb\n\n\0", Version::V12);
        assert_eq!(frames(&f)[0].header("x"), Some("a\\cb"));
        let f = parse(b"SEND\nx:a\\cb\n\n\0", Version::V10);
        assert_eq!(frames(&f)[0].header("x"), Some("a\\cb"));
        // \r is undefined in 1.1; \t everywhere.
        let f = parse(b"SEND\nx:a\\rb\n\n\0", Version::V11);
        assert_eq!(frames(&f)[0].issues, [Issue::StompBadEscape]);
        let f = parse(b"SEND\nx:a\\tb\n\n\0", Version::V12);
        assert_eq!(frames(&f)[0].issues, [Issue::StompBadEscape]);
    }

    #[test]
    fn repeated_headers_first_wins() {
        let f = parse(b"MESSAGE\nfoo:World\nfoo:Hello\n\n\0", Version::V12);
        assert_eq!(frames(&f)[0].header("foo"), Some("World"));
    }

    #[test]
    fn heart_beats_and_several_frames() {
        assert_eq!(parse(b"\n", Version::V12), [Item::HeartBeat((0, 1))]);
        assert_eq!(
            parse(b"\r\n\n", Version::V12),
            [Item::HeartBeat((0, 2)), Item::HeartBeat((2, 3))]
        );
        let it = parse(
            b"SEND\ndestination:/a\n\nx\0SEND\ndestination:/b\n\ny\0",
            Version::V12,
        );
        let fs = frames(&it);
        assert_eq!(fs.len(), 2);
        assert_eq!(fs[1].header("destination"), Some("/b"));
        assert_eq!(fs[1].span.0, 23);
    }

    #[test]
    fn hostile() {
        let it = parse(b"SEND\ndestination:/a\n\nno nul", Version::V12);
        assert_eq!(frames(&it)[0].issues, [Issue::StompTruncated]);
        let it = parse(b"SEND\ncontent-length:99\n\nab\0", Version::V12);
        assert_eq!(frames(&it)[0].issues, [Issue::StompTruncated]);
        let it = parse(
            b"SEND\ncontent-length:18446744073709551616\n\nab\0",
            Version::V12,
        );
        assert_eq!(frames(&it)[0].issues, [Issue::StompBadContentLength]);
        let it = parse(b"SEND\nnocolon\n\n\0", Version::V12);
        assert_eq!(frames(&it)[0].issues, [Issue::StompBadHeader]);
        let it = parse(b"BOGUS\n\n\0", Version::V12);
        assert_eq!(frames(&it)[0].issues, [Issue::StompUnknownCommand]);
        assert_eq!(
            parse(b"SEND", Version::V12),
            [Item::Junk((0, 4), Issue::StompTruncated)]
        );
        assert_eq!(
            parse(b"\x00\x01", Version::V12),
            [Item::Junk((0, 2), Issue::StompTrailing)]
        );
        let many = format!("SEND\n{}\n\0", "a:b\n".repeat(10_000));
        let it = parse(many.as_bytes(), Version::V12);
        assert_eq!(frames(&it)[0].headers.len(), MAX_HEADERS);
        assert!(looks_like(b"CONNECTED\nversion:1.2\n\n\0"));
        assert!(!looks_like(b"GET / HTTP/1.1\r\n\r\n"));
        assert!(!looks_like(b"\n"));
    }
}
