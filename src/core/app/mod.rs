//! Push-service protocols carried in WebSocket messages: Engine.IO v4 with Socket.IO v5, STOMP
//! 1.0-1.2, the SignalR JSON hub protocol, GraphQL over WebSocket (both protocols) and MQTT's
//! keep-alive. Each parser borrows one message and reports positions in it; none allocates in
//! proportion to hostile input beyond what it reports, and none recurses without a bound.

pub mod engineio;
pub mod graphql;
pub mod issue;
pub mod json;
pub mod label;
pub mod mqtt;
pub mod session;
pub mod signalr;
pub mod socketio;
pub mod stomp;

use graphql::Flavor;

/// The application protocol of a WebSocket connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum App {
    /// Engine.IO without Socket.IO above it.
    EngineIo,
    /// Socket.IO over Engine.IO.
    SocketIo,
    Stomp,
    SignalR,
    /// graphql-transport-ws.
    GraphqlTransportWs,
    /// graphql-ws (subscriptions-transport-ws).
    GraphqlWs,
    Mqtt,
}

impl App {
    /// The value of `keepalive.app` for this protocol's heartbeats.
    pub fn heartbeat_name(self) -> &'static str {
        match self {
            App::EngineIo | App::SocketIo => "engine.io",
            App::Stomp => "stomp",
            App::SignalR => "signalr",
            App::GraphqlTransportWs | App::GraphqlWs => "graphql",
            App::Mqtt => "mqtt",
        }
    }
    pub fn graphql_flavor(self) -> Option<Flavor> {
        match self {
            App::GraphqlTransportWs => Some(Flavor::TransportWs),
            App::GraphqlWs => Some(Flavor::LegacyWs),
            _ => None,
        }
    }
}

/// How a connection's protocol was decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Basis {
    Subprotocol,
    Path,
    Content,
    DecodeAs,
}

impl Basis {
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Subprotocol => "subprotocol",
            Basis::Path => "path",
            Basis::Content => "content",
            Basis::DecodeAs => "decode-as",
        }
    }
}

/// By the negotiated subprotocol (`Sec-WebSocket-Protocol` of the 101; the first one if a list).
pub fn by_subprotocol(p: &str) -> Option<App> {
    let p = p
        .split(',')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    Some(match p.as_str() {
        "v10.stomp" | "v11.stomp" | "v12.stomp" => App::Stomp,
        "graphql-transport-ws" => App::GraphqlTransportWs,
        "graphql-ws" => App::GraphqlWs,
        "mqtt" | "mqttv3.1" => App::Mqtt,
        _ => return None,
    })
}

/// A query parameter's value in a request target.
fn query_param<'a>(target: &'a str, name: &str) -> Option<&'a str> {
    let q = target.split_once('?')?.1;
    q.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == name).then_some(v)
    })
}

/// By the Upgrade request's target: Engine.IO's `EIO=4&transport=websocket` (Socket.IO when the
/// path is Socket.IO's `/socket.io/`), SignalR's connection token `id=` (or `access_token=`-less
/// hubs: only with the content check).
pub fn by_target(target: &str) -> Option<App> {
    let path = target.split('?').next().unwrap_or("");
    if query_param(target, "EIO").is_some_and(|v| v == "4" || v == "3")
        && query_param(target, "transport") == Some("websocket")
    {
        return Some(
            if path.ends_with("/socket.io/") || path.ends_with("/socket.io") {
                App::SocketIo
            } else {
                App::EngineIo
            },
        );
    }
    if query_param(target, "id").is_some_and(|v| !v.is_empty()) {
        return Some(App::SignalR);
    }
    None
}

/// By content, on one of the first messages of a connection whose handshake does not decide.
pub fn by_content(msg: &[u8], is_text: bool) -> Option<App> {
    if !is_text {
        return mqtt::looks_like(msg).then_some(App::Mqtt);
    }
    if engineio::looks_like(msg) {
        // A bare ping/pong could be raw Engine.IO; Socket.IO is by far the common user.
        return Some(App::SocketIo);
    }
    if stomp::looks_like(msg) {
        return Some(App::Stomp);
    }
    if signalr::looks_like(msg) {
        return Some(App::SignalR);
    }
    match graphql::detect(msg) {
        Some(Flavor::TransportWs) => Some(App::GraphqlTransportWs),
        Some(Flavor::LegacyWs) => Some(App::GraphqlWs),
        None => None,
    }
}

/// Messages of a connection looked at by content before giving up.
pub const CONTENT_CHECK_MESSAGES: u32 = 8;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispatch_rules() {
        assert_eq!(by_subprotocol("v12.stomp"), Some(App::Stomp));
        assert_eq!(by_subprotocol("V11.STOMP, v10.stomp"), Some(App::Stomp));
        assert_eq!(
            by_subprotocol("graphql-transport-ws"),
            Some(App::GraphqlTransportWs)
        );
        assert_eq!(by_subprotocol("graphql-ws"), Some(App::GraphqlWs));
        assert_eq!(by_subprotocol("mqtt"), Some(App::Mqtt));
        assert_eq!(by_subprotocol("chat"), None);
        assert_eq!(
            by_target("/socket.io/?EIO=4&transport=websocket"),
            Some(App::SocketIo)
        );
        assert_eq!(
            by_target("/engine.io/?EIO=4&transport=websocket&sid=x"),
            Some(App::EngineIo)
        );
        assert_eq!(by_target("/socket.io/?EIO=4&transport=polling"), None);
        assert_eq!(by_target("/chathub?id=AbC123"), Some(App::SignalR));
        assert_eq!(by_target("/chathub?id="), None);
        assert_eq!(by_target("/"), None);
    }

    #[test]
    fn content_rules() {
        assert_eq!(by_content(b"42[\"hi\"]", true), Some(App::SocketIo));
        assert_eq!(
            by_content(b"CONNECTED\nversion:1.2\n\n\0", true),
            Some(App::Stomp)
        );
        assert_eq!(
            by_content(b"{\"protocol\":\"json\",\"version\":1}\x1e", true),
            Some(App::SignalR)
        );
        assert_eq!(
            by_content(b"{\"type\":\"connection_ack\"}", true),
            Some(App::GraphqlTransportWs)
        );
        assert_eq!(by_content(b"{\"type\":\"ka\"}", true), Some(App::GraphqlWs));
        assert_eq!(by_content(b"hello", true), None);
        assert_eq!(by_content(b"{\"a\":1}", true), None);
        assert_eq!(by_content(b"\x00\x01", false), None);
    }
}
