//! GraphQL over WebSocket, both protocols: `graphql-transport-ws` (enisdenjo/graphql-ws,
//! PROTOCOL.md) and the older `graphql-ws` (apollographql/subscriptions-transport-ws,
//! PROTOCOL.md). Each message is one JSON object `{"type":..,"id":..,"payload":{..}}`.

use super::issue::Issue;
use super::json::{self, Kind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// `graphql-transport-ws` (the graphql-ws library).
    TransportWs,
    /// `graphql-ws` (subscriptions-transport-ws).
    LegacyWs,
}

impl Flavor {
    pub fn subprotocol(self) -> &'static str {
        match self {
            Flavor::TransportWs => "graphql-transport-ws",
            Flavor::LegacyWs => "graphql-ws",
        }
    }
    fn types(self) -> &'static [&'static str] {
        match self {
            Flavor::TransportWs => &[
                "connection_init",
                "connection_ack",
                "ping",
                "pong",
                "subscribe",
                "next",
                "error",
                "complete",
            ],
            Flavor::LegacyWs => &[
                "connection_init",
                "connection_ack",
                "connection_error",
                "ka",
                "connection_terminate",
                "start",
                "data",
                "error",
                "complete",
                "stop",
            ],
        }
    }
    fn needs_id(self, t: &str) -> bool {
        match self {
            Flavor::TransportWs => matches!(t, "subscribe" | "next" | "error" | "complete"),
            Flavor::LegacyWs => matches!(t, "start" | "data" | "stop" | "complete"),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
    pub mtype: Option<String>,
    pub id: Option<String>,
    pub payload: Option<(usize, usize)>,
    pub operation_name: Option<String>,
    pub query: Option<String>,
    pub issues: Vec<Issue>,
}

/// A heartbeat of the protocol: ping/pong (transport-ws, answered), `ka` (legacy, one-way).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Beat {
    Ping,
    Pong,
    KeepAlive,
}

impl Message {
    pub fn beat(&self, f: Flavor) -> Option<Beat> {
        match (f, self.mtype.as_deref()?) {
            (Flavor::TransportWs, "ping") => Some(Beat::Ping),
            (Flavor::TransportWs, "pong") => Some(Beat::Pong),
            (Flavor::LegacyWs, "ka") => Some(Beat::KeepAlive),
            _ => None,
        }
    }
}

pub fn parse(s: &[u8], f: Flavor) -> Message {
    let mut m = Message::default();
    let v = match json::parse(s) {
        Ok(v) if v.kind == Kind::Object => v,
        _ => {
            m.issues.push(Issue::GqlBadMessage);
            return m;
        }
    };
    m.mtype = v
        .get("type")
        .and_then(|t| t.as_str())
        .map(|t| t.into_owned());
    m.id = v.get("id").and_then(|t| t.as_str()).map(|t| t.into_owned());
    if let Some(p) = v.get("payload") {
        m.payload = Some((p.start, p.end));
        m.operation_name = p
            .get("operationName")
            .and_then(|t| t.as_str())
            .map(|t| t.into_owned());
        m.query = p
            .get("query")
            .and_then(|t| t.as_str())
            .map(|t| t.into_owned());
    }
    match m.mtype.as_deref() {
        None => m.issues.push(Issue::GqlBadMessage),
        Some(t) if !f.types().contains(&t) => m.issues.push(Issue::GqlUnknownType),
        Some(t) if f.needs_id(t) && m.id.is_none() => m.issues.push(Issue::GqlMissingId),
        _ => {}
    }
    m
}

/// Content check without a handshake: a JSON object whose type belongs to one flavor only, or
/// to both (then the current one, graphql-transport-ws).
pub fn detect(s: &[u8]) -> Option<Flavor> {
    let t = parse(s, Flavor::TransportWs);
    let l = parse(s, Flavor::LegacyWs);
    match (t.issues.is_empty(), l.issues.is_empty()) {
        (true, _) => Some(Flavor::TransportWs),
        (false, true) => Some(Flavor::LegacyWs),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscribe_and_next() {
        let s = br#"{"id":"1","type":"subscribe","payload":{"query":"subscription Greetings { greetings }","operationName":"Greetings"}}"#;
        let m = parse(s, Flavor::TransportWs);
        assert_eq!(
            (m.mtype.as_deref(), m.id.as_deref()),
            (Some("subscribe"), Some("1"))
        );
        assert_eq!(m.operation_name.as_deref(), Some("Greetings"));
        assert_eq!(
            m.query.as_deref(),
            Some("subscription Greetings { greetings }")
        );
        let (a, b) = m.payload.unwrap();
        assert!(s[a..b].starts_with(b"{\"query\""));
        assert!(m.issues.is_empty());
        assert_eq!(
            parse(br#"{"type":"ping"}"#, Flavor::TransportWs).beat(Flavor::TransportWs),
            Some(Beat::Ping)
        );
        assert_eq!(
            parse(br#"{"type":"ka"}"#, Flavor::LegacyWs).beat(Flavor::LegacyWs),
            Some(Beat::KeepAlive)
        );
    }

    #[test]
    fn flavors_and_violations() {
        assert_eq!(
            parse(br#"{"type":"start","id":"1"}"#, Flavor::TransportWs).issues,
            [Issue::GqlUnknownType]
        );
        assert_eq!(
            parse(br#"{"type":"next"}"#, Flavor::TransportWs).issues,
            [Issue::GqlMissingId]
        );
        assert_eq!(
            parse(br#"{"type":1}"#, Flavor::TransportWs).issues,
            [Issue::GqlBadMessage]
        );
        assert_eq!(parse(b"[", Flavor::LegacyWs).issues, [Issue::GqlBadMessage]);
        assert_eq!(
            detect(br#"{"type":"connection_init"}"#),
            Some(Flavor::TransportWs)
        );
        assert_eq!(detect(br#"{"type":"ka"}"#), Some(Flavor::LegacyWs));
        assert_eq!(detect(br#"{"type":"hello"}"#), None);
        assert_eq!(detect(b"42[\"x\"]"), None);
    }
}
