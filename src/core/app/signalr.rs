//! ASP.NET Core SignalR JSON hub protocol (dotnet/aspnetcore, HubProtocol.md and
//! TransportProtocols.md): records are JSON objects, each followed by the record separator 0x1E.
//! The first record each side sends is the handshake (request `{"protocol":"json","version":1}`,
//! response `{}` or `{"error":".."}`).

use super::issue::Issue;
use super::json::{self, Kind};

pub const RS: u8 = 0x1e;

pub const TYPE_NAMES: [(u32, &str); 9] = [
    (1, "Invocation"),
    (2, "StreamItem"),
    (3, "Completion"),
    (4, "StreamInvocation"),
    (5, "CancelInvocation"),
    (6, "Ping"),
    (7, "Close"),
    (8, "Ack"),
    (9, "Sequence"),
];

pub fn type_name(t: u64) -> &'static str {
    TYPE_NAMES
        .iter()
        .find(|(v, _)| u64::from(*v) == t)
        .map_or("Unknown", |x| x.1)
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record {
    /// The JSON object's span (without the separator).
    pub span: (usize, usize),
    pub terminated: bool,
    /// Handshake records only: `protocol`/`version` (request), `error` (response).
    pub handshake: Option<&'static str>,
    pub protocol: Option<String>,
    pub version: Option<u64>,
    pub mtype: Option<u64>,
    pub target: Option<String>,
    pub invocation_id: Option<String>,
    pub arguments: Option<(usize, usize)>,
    pub args: Vec<(usize, usize)>,
    pub item: Option<(usize, usize)>,
    pub result: Option<(usize, usize)>,
    pub error: Option<String>,
    pub stream_ids: Vec<String>,
    pub allow_reconnect: Option<bool>,
    pub issues: Vec<Issue>,
}

fn span_of(base: usize, v: &json::Value) -> (usize, usize) {
    (base + v.start, base + v.end)
}

fn record(s: &[u8], base: usize, expect_handshake: bool) -> Record {
    let mut r = Record {
        span: (base, base + s.len()),
        ..Default::default()
    };
    let v = match json::parse(s) {
        Ok(v) if v.kind == Kind::Object => v,
        _ => {
            r.issues.push(Issue::SignalrBadJson);
            return r;
        }
    };
    r.span = span_of(base, &v);
    let string = |k: &str| v.get(k).and_then(|x| x.as_str()).map(|x| x.into_owned());
    r.error = string("error");
    r.mtype = v.get("type").and_then(|t| t.as_u64());
    if expect_handshake && r.mtype.is_none() {
        r.protocol = string("protocol");
        r.version = v.get("version").and_then(|x| x.as_u64());
        r.handshake = Some(if r.protocol.is_some() {
            "request"
        } else {
            "response"
        });
        return r;
    }
    r.target = string("target");
    r.invocation_id = string("invocationId");
    if let Some(a) = v.get("arguments") {
        r.arguments = Some(span_of(base, &a));
        r.args = a.elements().map(|e| span_of(base, &e)).collect();
    }
    r.item = v.get("item").map(|x| span_of(base, &x));
    r.result = v.get("result").map(|x| span_of(base, &x));
    r.stream_ids = v
        .get("streamIds")
        .map(|a| {
            a.elements()
                .filter_map(|e| e.as_str().map(|x| x.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    r.allow_reconnect = v.get("allowReconnect").and_then(|b| b.as_bool());
    let args_ok = v.get("arguments").is_some_and(|a| a.kind == Kind::Array);
    let missing = match r.mtype {
        Some(1) | Some(4) => r.target.is_none() || !args_ok,
        Some(2) | Some(5) => r.invocation_id.is_none(),
        Some(3) => r.invocation_id.is_none(),
        Some(6..=9) => false,
        _ => {
            r.issues.push(Issue::SignalrUnknownType);
            false
        }
    };
    if missing {
        r.issues.push(Issue::SignalrMissingField);
    }
    r
}

/// Every record of one WebSocket message. `expect_handshake`: this side has not sent its
/// handshake record yet, so the first record is read as one.
pub fn parse(s: &[u8], expect_handshake: bool) -> Vec<Record> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut hs = expect_handshake;
    while i < s.len() {
        let (end, next, terminated) = match s[i..].iter().position(|&b| b == RS) {
            Some(p) => (i + p, i + p + 1, true),
            None => (s.len(), s.len(), false),
        };
        let mut r = record(&s[i..end], i, hs);
        hs = false;
        r.terminated = terminated;
        if !terminated {
            r.issues.push(Issue::SignalrUnterminated);
        }
        out.push(r);
        i = next;
        if out.len() >= 1024 {
            break;
        }
    }
    out
}

/// Strict content check: a handshake request, or records that all are hub messages of a known
/// type, each terminated by 0x1E.
pub fn looks_like(s: &[u8]) -> bool {
    if s.last() != Some(&RS) {
        return false;
    }
    let recs = parse(s, false);
    let hs = parse(s, true);
    let is_request = hs.len() == 1
        && hs[0].protocol.is_some()
        && hs[0].version.is_some()
        && hs[0].issues.is_empty();
    is_request
        || (!recs.is_empty()
            && recs
                .iter()
                .all(|r| r.issues.is_empty() && r.mtype.is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake() {
        let r = parse(b"{\"protocol\":\"json\",\"version\":1}\x1e", true);
        assert_eq!(
            (r[0].handshake, r[0].protocol.as_deref(), r[0].version),
            (Some("request"), Some("json"), Some(1))
        );
        let r = parse(b"{}\x1e{\"type\":6}\x1e", true);
        assert_eq!(r[0].handshake, Some("response"));
        assert_eq!((r[1].handshake, r[1].mtype), (None, Some(6)));
        let r = parse(
            b"{\"error\":\"Requested protocol 'x' is not available.\"}\x1e",
            true,
        );
        assert_eq!(
            r[0].error.as_deref(),
            Some("Requested protocol 'x' is not available.")
        );
    }

    #[test]
    fn invocation_and_completion() {
        let s = b"{\"type\":1,\"invocationId\":\"0\",\"target\":\"Send\",\"arguments\":[\"alice\",42]}\x1e";
        let r = &parse(s, false)[0];
        assert_eq!(
            (r.mtype, r.target.as_deref(), r.invocation_id.as_deref()),
            (Some(1), Some("Send"), Some("0"))
        );
        let args: Vec<&[u8]> = r.args.iter().map(|a| &s[a.0..a.1]).collect();
        assert_eq!(args, [&b"\"alice\""[..], b"42"]);
        assert!(r.issues.is_empty() && r.terminated);
        let s = b"{\"type\":3,\"invocationId\":\"0\",\"result\":{\"ok\":true}}\x1e";
        let r = &parse(s, false)[0];
        assert_eq!(
            &s[r.result.unwrap().0..r.result.unwrap().1],
            b"{\"ok\":true}"
        );
        let r = &parse(
            b"{\"type\":7,\"error\":\"bye\",\"allowReconnect\":true}\x1e",
            false,
        )[0];
        assert_eq!(
            (r.error.as_deref(), r.allow_reconnect),
            (Some("bye"), Some(true))
        );
        let r = &parse(b"{\"type\":4,\"invocationId\":\"1\",\"target\":\"Counter\",\"arguments\":[3],\"streamIds\":[\"2\"]}\x1e", false)[0];
        assert_eq!(r.stream_ids, ["2"]);
    }

    #[test]
    fn hostile() {
        assert_eq!(
            parse(b"{\"type\":6}", false)[0].issues,
            [Issue::SignalrUnterminated]
        );
        assert_eq!(parse(b"nope\x1e", false)[0].issues, [Issue::SignalrBadJson]);
        assert_eq!(
            parse(b"{\"type\":99}\x1e", false)[0].issues,
            [Issue::SignalrUnknownType]
        );
        assert_eq!(
            parse(b"{}\x1e", false)[0].issues,
            [Issue::SignalrUnknownType]
        );
        assert_eq!(
            parse(b"{\"type\":1,\"arguments\":[]}\x1e", false)[0].issues,
            [Issue::SignalrMissingField]
        );
        assert_eq!(parse(&[RS; 5000], false).len(), 1024);
        assert!(looks_like(b"{\"protocol\":\"json\",\"version\":1}\x1e"));
        assert!(looks_like(b"{\"type\":6}\x1e{\"type\":6}\x1e"));
        assert!(!looks_like(b"{\"type\":6}"));
        assert!(!looks_like(b"{\"a\":1}\x1e"));
    }
}
