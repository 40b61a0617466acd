//! Socket.IO protocol v5 (socket.io/socket.io-protocol), carried in Engine.IO message packets:
//! `<type>[<attachments>-][<namespace>,][<ack id>][<JSON data>]`. Binary attachments of
//! BINARY_EVENT/BINARY_ACK follow as separate binary Engine.IO messages, in order, replacing the
//! data's `{"_placeholder":true,"num":N}` objects.

use super::issue::Issue;
use super::json::{self, Kind};

pub const TYPE_NAMES: [(u32, &str); 7] = [
    (0, "CONNECT"),
    (1, "DISCONNECT"),
    (2, "EVENT"),
    (3, "ACK"),
    (4, "CONNECT_ERROR"),
    (5, "BINARY_EVENT"),
    (6, "BINARY_ACK"),
];

/// Longest ack id / attachment count accepted (digits); more does not fit a u64 anyway.
const MAX_DIGITS: usize = 19;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    /// 0..=6, see [`TYPE_NAMES`].
    pub ptype: u8,
    pub attachments: Option<u64>,
    /// The namespace ("/" when absent).
    pub nsp: String,
    /// Where the namespace lies in the packet (absent: the main namespace).
    pub nsp_span: Option<(usize, usize)>,
    pub ack_id: Option<u64>,
    pub ack_span: Option<(usize, usize)>,
    /// The JSON data's span, when there is data.
    pub data: Option<(usize, usize)>,
    /// EVENT/BINARY_EVENT: the event name (first element of the data array).
    pub event: Option<String>,
    /// EVENT/ACK (and binary ones): spans of the arguments (after the event name for events).
    pub args: Vec<(usize, usize)>,
    /// CONNECT_ERROR: its message.
    pub error: Option<String>,
    /// Spec violations found in a packet that could still be parsed.
    pub issues: Vec<Issue>,
}

impl Packet {
    pub fn type_name(&self) -> &'static str {
        TYPE_NAMES.get(self.ptype as usize).map_or("?", |t| t.1)
    }
    pub fn is_binary(&self) -> bool {
        matches!(self.ptype, 5 | 6)
    }
}

fn number(s: &[u8], i: usize) -> Result<(Option<u64>, usize), Issue> {
    let mut j = i;
    while j < s.len() && s[j].is_ascii_digit() {
        j += 1;
    }
    if j == i {
        return Ok((None, i));
    }
    if j - i > MAX_DIGITS {
        return Err(Issue::SioBadPacket);
    }
    let n = std::str::from_utf8(&s[i..j])
        .ok()
        .and_then(|t| t.parse().ok())
        .ok_or(Issue::SioBadPacket)?;
    Ok((Some(n), j))
}

/// Parse the data of an Engine.IO message packet as a Socket.IO packet.
pub fn parse(s: &[u8]) -> Result<Packet, Issue> {
    let t = *s.first().ok_or(Issue::SioBadPacket)?;
    if !(b'0'..=b'6').contains(&t) {
        return Err(Issue::SioBadPacket);
    }
    let ptype = t - b'0';
    let mut i = 1;
    let mut attachments = None;
    if matches!(ptype, 5 | 6) {
        let (n, j) = number(s, i)?;
        if n.is_none() || s.get(j) != Some(&b'-') {
            return Err(Issue::SioBadPacket);
        }
        attachments = n;
        i = j + 1;
    }
    let (mut nsp, mut nsp_span) = ("/".to_string(), None);
    if s.get(i) == Some(&b'/') {
        let end = s[i..]
            .iter()
            .position(|&b| b == b',')
            .map_or(s.len(), |p| i + p);
        nsp = std::str::from_utf8(&s[i..end])
            .map_err(|_| Issue::SioBadPacket)?
            .to_string();
        nsp_span = Some((i, end));
        i = (end + 1).min(s.len());
    }
    let (ack_id, j) = number(s, i)?;
    let ack_span = ack_id.map(|_| (i, j));
    i = j;
    let mut p = Packet {
        ptype,
        attachments,
        nsp,
        nsp_span,
        ack_id,
        ack_span,
        data: None,
        event: None,
        args: Vec::new(),
        error: None,
        issues: Vec::new(),
    };
    if i == s.len() {
        if matches!(ptype, 2 | 3 | 5 | 6) {
            p.issues.push(if ptype == 3 || ptype == 6 {
                Issue::SioBadPacket
            } else {
                Issue::SioBadEvent
            });
        }
        return Ok(p);
    }
    let v = json::parse(&s[i..]).map_err(|_| Issue::SioBadJson)?;
    p.data = Some((i + v.start, i + v.end));
    match ptype {
        2 | 5 => {
            let mut el = v.elements();
            match el.next() {
                Some(name) if v.kind == Kind::Array && name.kind == Kind::String => {
                    p.event = name.as_str().map(|s| s.into_owned());
                    p.args = el.map(|a| (i + a.start, i + a.end)).collect();
                }
                _ => p.issues.push(Issue::SioBadEvent),
            }
        }
        3 | 6 => {
            if v.kind == Kind::Array {
                p.args = v.elements().map(|a| (i + a.start, i + a.end)).collect();
            } else {
                p.issues.push(Issue::SioBadPacket);
            }
        }
        4 => {
            p.error = match v.kind {
                Kind::Object => v
                    .get("message")
                    .and_then(|m| m.as_str())
                    .map(|m| m.into_owned()),
                Kind::String => v.as_str().map(|m| m.into_owned()),
                _ => None,
            };
        }
        0 if v.kind != Kind::Object => p.issues.push(Issue::SioBadPacket),
        1 => p.issues.push(Issue::SioBadPacket),
        _ => {}
    }
    Ok(p)
}

/// Strict content check (no handshake in the capture): a packet that parses cleanly, with JSON
/// data of the kind its type requires (or none where none is needed).
pub fn looks_like(s: &[u8]) -> bool {
    matches!(parse(s), Ok(p) if p.issues.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(s: &[u8], sp: (usize, usize)) -> &str {
        std::str::from_utf8(&s[sp.0..sp.1]).unwrap()
    }

    #[test]
    fn event_with_ack_in_a_namespace() {
        let s = br#"2/admin,13["chat message",{"a":1},"x"]"#;
        let p = parse(s).unwrap();
        assert_eq!((p.ptype, p.type_name()), (2, "EVENT"));
        assert_eq!(p.nsp, "/admin");
        assert_eq!(span(s, p.nsp_span.unwrap()), "/admin");
        assert_eq!(p.ack_id, Some(13));
        assert_eq!(span(s, p.ack_span.unwrap()), "13");
        assert_eq!(p.event.as_deref(), Some("chat message"));
        let args: Vec<&str> = p.args.iter().map(|a| span(s, *a)).collect();
        assert_eq!(args, [r#"{"a":1}"#, r#""x""#]);
        assert!(p.issues.is_empty());
    }

    #[test]
    fn connect_ack_error_disconnect() {
        let p = parse(br#"0{"sid":"x"}"#).unwrap();
        assert_eq!((p.ptype, p.nsp.as_str(), p.data), (0, "/", Some((1, 12))));
        let p = parse(b"0/admin,").unwrap();
        assert_eq!((p.nsp.as_str(), p.data), ("/admin", None));
        let p = parse(br#"313["ok"]"#).unwrap();
        assert_eq!((p.ptype, p.ack_id, p.args.len()), (3, Some(13), 1));
        let p = parse(br#"4{"message":"Not authorized"}"#).unwrap();
        assert_eq!(p.error.as_deref(), Some("Not authorized"));
        let p = parse(b"1/admin,").unwrap();
        assert_eq!((p.ptype, p.issues.len()), (1, 0));
    }

    #[test]
    fn binary_event() {
        let s =
            br#"52-/admin,7["upload",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#;
        let p = parse(s).unwrap();
        assert_eq!((p.ptype, p.attachments, p.ack_id), (5, Some(2), Some(7)));
        assert_eq!(p.event.as_deref(), Some("upload"));
        assert!(p.is_binary());
        assert_eq!(parse(br#"5["x"]"#), Err(Issue::SioBadPacket));
        assert_eq!(parse(br#"52["x"]"#), Err(Issue::SioBadPacket));
    }

    #[test]
    fn hostile() {
        assert_eq!(parse(b""), Err(Issue::SioBadPacket));
        assert_eq!(parse(b"9"), Err(Issue::SioBadPacket));
        assert_eq!(
            parse(b"299999999999999999999999[\"a\"]"),
            Err(Issue::SioBadPacket)
        );
        assert_eq!(parse(b"2[\"a\""), Err(Issue::SioBadJson));
        assert_eq!(parse(b"2{\"a\":1}").unwrap().issues, [Issue::SioBadEvent]);
        assert_eq!(parse(b"2[1]").unwrap().issues, [Issue::SioBadEvent]);
        assert_eq!(parse(b"2").unwrap().issues, [Issue::SioBadEvent]);
        assert_eq!(parse(b"2/never-ending").unwrap().nsp, "/never-ending");
        let deep = format!("2[{}", "[".repeat(5000));
        assert_eq!(parse(deep.as_bytes()), Err(Issue::SioBadJson));
        assert!(!looks_like(b"2{}"));
        assert!(looks_like(b"2[\"e\"]"));
    }
}
