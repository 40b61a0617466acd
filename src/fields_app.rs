//! The push-service protocols' field tables (Engine.IO, Socket.IO, STOMP, SignalR, GraphQL over
//! WebSocket), declared once as data like `crate::fields`: each protocol is registered with
//! exactly these fields, and the README's field reference includes them.
#![forbid(unsafe_code)]

use crate::core::app::{engineio, signalr, socketio};
use crate::fields::{Display, FieldDef, Ft};

/// One protocol: its names and fields.
pub struct AppProtocol {
    pub name: &'static str,
    pub short: &'static str,
    pub filter: &'static str,
    pub fields: &'static [FieldDef],
}

const fn f(
    id: u16,
    abbrev: &'static str,
    name: &'static str,
    ft: Ft,
    display: Display,
    blurb: &'static str,
) -> FieldDef {
    FieldDef {
        id,
        abbrev,
        name,
        ft,
        display,
        blurb,
    }
}

const P: Display = Display::Plain;

/// Engine.IO fields (index = position).
pub mod eio {
    pub const TYPE: usize = 0;
    pub const DATA: usize = 1;
    pub const BINARY: usize = 2;
    pub const SID: usize = 3;
    pub const UPGRADES: usize = 4;
    pub const PING_INTERVAL: usize = 5;
    pub const PING_TIMEOUT: usize = 6;
    pub const MAX_PAYLOAD: usize = 7;
    pub const DETECTED_BY: usize = 8;
}
pub static ENGINEIO_FIELDS: [FieldDef; 9] = [
    f(
        0,
        "engineio.type",
        "Packet type",
        Ft::Uint8,
        Display::Names(&engineio::TYPE_NAMES),
        "Engine.IO packet type (open, close, ping, pong, message, upgrade, noop)",
    ),
    f(
        1,
        "engineio.data",
        "Data",
        Ft::String,
        P,
        "The text after the packet type (e.g. probe)",
    ),
    f(
        2,
        "engineio.binary",
        "Binary",
        Ft::Boolean,
        P,
        "A binary message packet (Engine.IO v4: the WebSocket message is the data)",
    ),
    f(
        3,
        "engineio.sid",
        "Session id",
        Ft::String,
        P,
        "Open packet: sid",
    ),
    f(
        4,
        "engineio.upgrades",
        "Upgrades",
        Ft::String,
        P,
        "Open packet: the transports it may upgrade to",
    ),
    f(
        5,
        "engineio.ping_interval",
        "Ping interval (ms)",
        Ft::Uint32,
        P,
        "Open packet: pingInterval",
    ),
    f(
        6,
        "engineio.ping_timeout",
        "Ping timeout (ms)",
        Ft::Uint32,
        P,
        "Open packet: pingTimeout",
    ),
    f(
        7,
        "engineio.max_payload",
        "Max payload",
        Ft::Uint64,
        P,
        "Open packet: maxPayload (bytes)",
    ),
    f(
        8,
        "engineio.detected_by",
        "Detected by",
        Ft::String,
        P,
        "How the connection was recognised: subprotocol, path, content or decode-as",
    ),
];

pub mod sio {
    pub const TYPE: usize = 0;
    pub const NSP: usize = 1;
    pub const ACK_ID: usize = 2;
    pub const EVENT: usize = 3;
    pub const ARG: usize = 4;
    pub const DATA: usize = 5;
    pub const ERROR: usize = 6;
    pub const ATTACHMENTS: usize = 7;
    pub const ATTACHMENT_IN: usize = 8;
    pub const ATTACHMENT_OF: usize = 9;
    pub const ATTACHMENT_NUM: usize = 10;
}
pub static SOCKETIO_FIELDS: [FieldDef; 11] = [
    f(0, "socketio.type", "Packet type", Ft::Uint8, Display::Names(&socketio::TYPE_NAMES), "Socket.IO packet type (CONNECT, DISCONNECT, EVENT, ACK, CONNECT_ERROR, BINARY_EVENT, BINARY_ACK)"),
    f(1, "socketio.nsp", "Namespace", Ft::String, P, "Namespace (/ when the packet names none)"),
    f(2, "socketio.ack_id", "Ack id", Ft::Uint64, P, "Acknowledgement id (an EVENT asking for an ACK, and that ACK)"),
    f(3, "socketio.event", "Event", Ft::String, P, "EVENT/BINARY_EVENT: the event name"),
    f(4, "socketio.arg", "Argument", Ft::String, P, "One argument of an EVENT or ACK, as JSON"),
    f(5, "socketio.data", "Data", Ft::String, P, "The packet's JSON data"),
    f(6, "socketio.error", "Error", Ft::String, P, "CONNECT_ERROR: its message"),
    f(7, "socketio.attachments", "Binary attachments", Ft::Uint32, P, "BINARY_EVENT/BINARY_ACK: attachments that follow as binary messages"),
    f(8, "socketio.attachment_in", "Attachment in", Ft::FrameNum, P, "On a binary packet: the frame of each of its attachments"),
    f(9, "socketio.attachment_of", "Attachment of", Ft::FrameNum, P, "On a binary attachment: the frame of its packet"),
    f(10, "socketio.attachment_num", "Attachment number", Ft::Uint32, P, "On a binary attachment: its place (the placeholder's num)"),
];

pub mod st {
    pub const COMMAND: usize = 0;
    pub const HEADER: usize = 1;
    pub const HEADER_NAME: usize = 2;
    pub const HEADER_VALUE: usize = 3;
    pub const DESTINATION: usize = 4;
    pub const ID: usize = 5;
    pub const SUBSCRIPTION: usize = 6;
    pub const MESSAGE_ID: usize = 7;
    pub const RECEIPT: usize = 8;
    pub const RECEIPT_ID: usize = 9;
    pub const VERSION: usize = 10;
    pub const HEART_BEAT: usize = 11;
    pub const CONTENT_TYPE: usize = 12;
    pub const CONTENT_LENGTH: usize = 13;
    pub const BODY: usize = 14;
    pub const BODY_TEXT: usize = 15;
    pub const EOL_HEARTBEAT: usize = 16;
    pub const HB_C2S: usize = 17;
    pub const HB_S2C: usize = 18;
    pub const DETECTED_BY: usize = 19;
}
pub static STOMP_FIELDS: [FieldDef; 20] = [
    f(
        0,
        "stomp.command",
        "Command",
        Ft::String,
        P,
        "The frame's command",
    ),
    f(
        1,
        "stomp.header",
        "Header",
        Ft::String,
        P,
        "One header line as sent",
    ),
    f(
        2,
        "stomp.header.name",
        "Header name",
        Ft::String,
        P,
        "Header name (decoded)",
    ),
    f(
        3,
        "stomp.header.value",
        "Header value",
        Ft::String,
        P,
        "Header value (decoded: STOMP 1.1/1.2 escapes, not in CONNECT/CONNECTED)",
    ),
    f(
        4,
        "stomp.destination",
        "Destination",
        Ft::String,
        P,
        "destination header",
    ),
    f(
        5,
        "stomp.id",
        "Subscription id",
        Ft::String,
        P,
        "id header (SUBSCRIBE, UNSUBSCRIBE, ACK, NACK)",
    ),
    f(
        6,
        "stomp.subscription",
        "Subscription",
        Ft::String,
        P,
        "subscription header (MESSAGE)",
    ),
    f(
        7,
        "stomp.message_id",
        "Message id",
        Ft::String,
        P,
        "message-id header",
    ),
    f(
        8,
        "stomp.receipt",
        "Receipt",
        Ft::String,
        P,
        "receipt header (asks for a RECEIPT)",
    ),
    f(
        9,
        "stomp.receipt_id",
        "Receipt id",
        Ft::String,
        P,
        "receipt-id header (RECEIPT)",
    ),
    f(
        10,
        "stomp.version",
        "Version",
        Ft::String,
        P,
        "version (CONNECTED) or accept-version (CONNECT) header",
    ),
    f(
        11,
        "stomp.heart_beat",
        "Heart-beat header",
        Ft::String,
        P,
        "heart-beat header: <cx>,<cy> (CONNECT) or <sx>,<sy> (CONNECTED), ms",
    ),
    f(
        12,
        "stomp.content_type",
        "Content type",
        Ft::String,
        P,
        "content-type header",
    ),
    f(
        13,
        "stomp.content_length",
        "Content length",
        Ft::Uint32,
        P,
        "content-length header",
    ),
    f(14, "stomp.body", "Body", Ft::Bytes, P, "The frame's body"),
    f(
        15,
        "stomp.body.text",
        "Body text",
        Ft::String,
        P,
        "The body as text (when it is UTF-8)",
    ),
    f(
        16,
        "stomp.eol_heartbeat",
        "Heart-beat EOL",
        Ft::Boolean,
        P,
        "An EOL sent as heart-beat",
    ),
    f(
        17,
        "stomp.heart_beat.client_to_server",
        "Client heart-beats every (ms)",
        Ft::Uint32,
        P,
        "CONNECTED: negotiated client-to-server heart-beat period (0 = none)",
    ),
    f(
        18,
        "stomp.heart_beat.server_to_client",
        "Server heart-beats every (ms)",
        Ft::Uint32,
        P,
        "CONNECTED: negotiated server-to-client heart-beat period (0 = none)",
    ),
    f(
        19,
        "stomp.detected_by",
        "Detected by",
        Ft::String,
        P,
        "How the connection was recognised: subprotocol, path, content or decode-as",
    ),
];

pub mod sr {
    pub const HANDSHAKE: usize = 0;
    pub const PROTOCOL: usize = 1;
    pub const VERSION: usize = 2;
    pub const TYPE: usize = 3;
    pub const TARGET: usize = 4;
    pub const INVOCATION_ID: usize = 5;
    pub const ARGUMENTS: usize = 6;
    pub const ARG: usize = 7;
    pub const ITEM: usize = 8;
    pub const RESULT: usize = 9;
    pub const ERROR: usize = 10;
    pub const STREAM_ID: usize = 11;
    pub const ALLOW_RECONNECT: usize = 12;
    pub const DETECTED_BY: usize = 13;
}
pub static SIGNALR_FIELDS: [FieldDef; 14] = [
    f(
        0,
        "signalr.handshake",
        "Handshake",
        Ft::String,
        P,
        "request or response: the first record of each side",
    ),
    f(
        1,
        "signalr.protocol",
        "Protocol",
        Ft::String,
        P,
        "Handshake request: the hub protocol (json)",
    ),
    f(
        2,
        "signalr.version",
        "Version",
        Ft::Uint32,
        P,
        "Handshake request: the protocol version",
    ),
    f(
        3,
        "signalr.type",
        "Message type",
        Ft::Uint8,
        Display::Names(&signalr::TYPE_NAMES),
        "Hub message type",
    ),
    f(
        4,
        "signalr.target",
        "Target",
        Ft::String,
        P,
        "Invocation/StreamInvocation: the hub method",
    ),
    f(
        5,
        "signalr.invocation_id",
        "Invocation id",
        Ft::String,
        P,
        "invocationId",
    ),
    f(
        6,
        "signalr.arguments",
        "Arguments",
        Ft::String,
        P,
        "The arguments array, as JSON",
    ),
    f(
        7,
        "signalr.arg",
        "Argument",
        Ft::String,
        P,
        "One argument, as JSON",
    ),
    f(
        8,
        "signalr.item",
        "Item",
        Ft::String,
        P,
        "StreamItem: the item, as JSON",
    ),
    f(
        9,
        "signalr.result",
        "Result",
        Ft::String,
        P,
        "Completion: the result, as JSON",
    ),
    f(
        10,
        "signalr.error",
        "Error",
        Ft::String,
        P,
        "Completion, Close or handshake response: the error",
    ),
    f(
        11,
        "signalr.stream_id",
        "Stream id",
        Ft::String,
        P,
        "One of streamIds",
    ),
    f(
        12,
        "signalr.allow_reconnect",
        "Allow reconnect",
        Ft::Boolean,
        P,
        "Close: allowReconnect",
    ),
    f(
        13,
        "signalr.detected_by",
        "Detected by",
        Ft::String,
        P,
        "How the connection was recognised: subprotocol, path, content or decode-as",
    ),
];

pub mod gq {
    pub const SUBPROTOCOL: usize = 0;
    pub const TYPE: usize = 1;
    pub const ID: usize = 2;
    pub const OPERATION_NAME: usize = 3;
    pub const QUERY: usize = 4;
    pub const PAYLOAD: usize = 5;
    pub const DETECTED_BY: usize = 6;
}
pub static GRAPHQL_FIELDS: [FieldDef; 7] = [
    f(
        0,
        "graphql_ws.subprotocol",
        "Protocol",
        Ft::String,
        P,
        "graphql-transport-ws (the graphql-ws library) or graphql-ws (subscriptions-transport-ws)",
    ),
    f(
        1,
        "graphql_ws.type",
        "Message type",
        Ft::String,
        P,
        "The message's type",
    ),
    f(
        2,
        "graphql_ws.id",
        "Operation id",
        Ft::String,
        P,
        "The message's id",
    ),
    f(
        3,
        "graphql_ws.operation_name",
        "Operation name",
        Ft::String,
        P,
        "payload.operationName",
    ),
    f(
        4,
        "graphql_ws.query",
        "Query",
        Ft::String,
        P,
        "payload.query",
    ),
    f(
        5,
        "graphql_ws.payload",
        "Payload",
        Ft::String,
        P,
        "The payload, as JSON",
    ),
    f(
        6,
        "graphql_ws.detected_by",
        "Detected by",
        Ft::String,
        P,
        "How the connection was recognised: subprotocol, path, content or decode-as",
    ),
];

/// Index of each protocol in [`APP_PROTOCOLS`].
pub const ENGINEIO: usize = 0;
pub const SOCKETIO: usize = 1;
pub const STOMP: usize = 2;
pub const SIGNALR: usize = 3;
pub const GRAPHQL: usize = 4;

pub static APP_PROTOCOLS: [AppProtocol; 5] = [
    AppProtocol {
        name: "Engine.IO (ws-keepalive)",
        short: "Engine.IO",
        filter: "engineio",
        fields: &ENGINEIO_FIELDS,
    },
    AppProtocol {
        name: "Socket.IO (ws-keepalive)",
        short: "Socket.IO",
        filter: "socketio",
        fields: &SOCKETIO_FIELDS,
    },
    AppProtocol {
        name: "STOMP (ws-keepalive)",
        short: "STOMP",
        filter: "stomp",
        fields: &STOMP_FIELDS,
    },
    AppProtocol {
        name: "SignalR JSON hub protocol (ws-keepalive)",
        short: "SignalR",
        filter: "signalr",
        fields: &SIGNALR_FIELDS,
    },
    AppProtocol {
        name: "GraphQL over WebSocket (ws-keepalive)",
        short: "GraphQL-WS",
        filter: "graphql_ws",
        fields: &GRAPHQL_FIELDS,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_positions_and_namespaces() {
        let mut seen = std::collections::HashSet::new();
        for p in APP_PROTOCOLS.iter() {
            for (i, d) in p.fields.iter().enumerate() {
                assert_eq!(d.id as usize, i, "{}", d.abbrev);
                assert!(
                    d.abbrev.starts_with(&format!("{}.", p.filter)),
                    "{}",
                    d.abbrev
                );
                assert!(seen.insert(d.abbrev), "duplicate {}", d.abbrev);
            }
        }
        assert_eq!(
            ENGINEIO_FIELDS[eio::DETECTED_BY].abbrev,
            "engineio.detected_by"
        );
        assert_eq!(
            SOCKETIO_FIELDS[sio::ATTACHMENT_NUM].abbrev,
            "socketio.attachment_num"
        );
        assert_eq!(STOMP_FIELDS[st::DETECTED_BY].abbrev, "stomp.detected_by");
        assert_eq!(
            SIGNALR_FIELDS[sr::DETECTED_BY].abbrev,
            "signalr.detected_by"
        );
        assert_eq!(
            GRAPHQL_FIELDS[gq::DETECTED_BY].abbrev,
            "graphql_ws.detected_by"
        );
        assert_eq!(APP_PROTOCOLS[SOCKETIO].filter, "socketio");
        assert_eq!(APP_PROTOCOLS[GRAPHQL].filter, "graphql_ws");
        assert_eq!(
            (
                APP_PROTOCOLS[ENGINEIO].filter,
                APP_PROTOCOLS[STOMP].filter,
                APP_PROTOCOLS[SIGNALR].filter
            ),
            ("engineio", "stomp", "signalr")
        );
    }
}
