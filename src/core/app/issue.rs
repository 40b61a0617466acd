//! Every violation the push-service parsers report: one variant each, and each becomes exactly one
//! Wireshark expert info (`<protocol>.expert.<key>`) of the protocol named by [`Issue::app`].

use super::App;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Issue {
    /// An Engine.IO message that is empty (no packet type).
    EioEmpty,
    /// An Engine.IO packet type outside 0-6.
    EioUnknownType,
    /// The open packet's data is not a JSON object with sid, pingInterval and pingTimeout.
    EioBadOpen,
    /// A Socket.IO packet that cannot be parsed (type, attachment count, namespace, ack id).
    SioBadPacket,
    /// A Socket.IO packet's data is not JSON.
    SioBadJson,
    /// An EVENT whose data is not an array starting with the event name (a string).
    SioBadEvent,
    /// A binary attachment announced but not seen before the next packet.
    SioMissingAttachment,
    /// A binary WebSocket message where no attachment was announced.
    SioUnexpectedBinary,
    /// A STOMP frame with an unknown command.
    StompUnknownCommand,
    /// A header line without a colon.
    StompBadHeader,
    /// An escape sequence that STOMP 1.2 does not define (a fatal error, §Value Encoding).
    StompBadEscape,
    /// The frame ends before its NUL (or before content-length bytes and the NUL).
    StompTruncated,
    /// content-length is not a number.
    StompBadContentLength,
    /// Bytes after a frame that are neither EOLs nor another frame.
    StompTrailing,
    /// A SignalR record that is not a JSON object.
    SignalrBadJson,
    /// A record without the 0x1E terminator.
    SignalrUnterminated,
    /// A message type that the JSON hub protocol does not define, or a missing `type`.
    SignalrUnknownType,
    /// A field the message type requires is missing or of the wrong kind.
    SignalrMissingField,
    /// A graphql-ws message that is not a JSON object with a string `type`.
    GqlBadMessage,
    /// A `type` that the negotiated GraphQL over WebSocket protocol does not define.
    GqlUnknownType,
    /// A message type that requires an `id` without one.
    GqlMissingId,
}

pub enum Group {
    Malformed,
    Protocol,
}

impl Issue {
    pub const ALL: [Issue; 21] = [
        Issue::EioEmpty,
        Issue::EioUnknownType,
        Issue::EioBadOpen,
        Issue::SioBadPacket,
        Issue::SioBadJson,
        Issue::SioBadEvent,
        Issue::SioMissingAttachment,
        Issue::SioUnexpectedBinary,
        Issue::StompUnknownCommand,
        Issue::StompBadHeader,
        Issue::StompBadEscape,
        Issue::StompTruncated,
        Issue::StompBadContentLength,
        Issue::StompTrailing,
        Issue::SignalrBadJson,
        Issue::SignalrUnterminated,
        Issue::SignalrUnknownType,
        Issue::SignalrMissingField,
        Issue::GqlBadMessage,
        Issue::GqlUnknownType,
        Issue::GqlMissingId,
    ];

    pub fn app(self) -> App {
        use Issue::*;
        match self {
            EioEmpty | EioUnknownType | EioBadOpen => App::EngineIo,
            SioBadPacket | SioBadJson | SioBadEvent | SioMissingAttachment
            | SioUnexpectedBinary => App::SocketIo,
            StompUnknownCommand
            | StompBadHeader
            | StompBadEscape
            | StompTruncated
            | StompBadContentLength
            | StompTrailing => App::Stomp,
            SignalrBadJson | SignalrUnterminated | SignalrUnknownType | SignalrMissingField => {
                App::SignalR
            }
            GqlBadMessage | GqlUnknownType | GqlMissingId => App::GraphqlTransportWs,
        }
    }

    /// PI_MALFORMED: bytes that cannot be dissected; PI_PROTOCOL: a peer breaking the spec.
    pub fn group(self) -> Group {
        use Issue::*;
        match self {
            EioEmpty
            | EioBadOpen
            | SioBadPacket
            | SioBadJson
            | StompBadHeader
            | StompTruncated
            | StompBadContentLength
            | SignalrBadJson
            | SignalrUnterminated
            | GqlBadMessage => Group::Malformed,
            _ => Group::Protocol,
        }
    }

    pub fn key(self) -> &'static str {
        use Issue::*;
        match self {
            EioEmpty => "empty",
            EioUnknownType => "unknown_type",
            EioBadOpen => "bad_open",
            SioBadPacket => "bad_packet",
            SioBadJson => "bad_json",
            SioBadEvent => "bad_event",
            SioMissingAttachment => "missing_attachment",
            SioUnexpectedBinary => "unexpected_binary",
            StompUnknownCommand => "unknown_command",
            StompBadHeader => "bad_header",
            StompBadEscape => "bad_escape",
            StompTruncated => "truncated",
            StompBadContentLength => "bad_content_length",
            StompTrailing => "trailing",
            SignalrBadJson => "bad_json",
            SignalrUnterminated => "unterminated",
            SignalrUnknownType => "unknown_type",
            SignalrMissingField => "missing_field",
            GqlBadMessage => "bad_message",
            GqlUnknownType => "unknown_type",
            GqlMissingId => "missing_id",
        }
    }

    pub fn summary(self) -> &'static str {
        use Issue::*;
        match self {
            EioEmpty => "Empty Engine.IO message (no packet type)",
            EioUnknownType => "Unknown Engine.IO packet type (0-6 are defined)",
            EioBadOpen => "Engine.IO open packet without a JSON object holding sid, pingInterval and pingTimeout",
            SioBadPacket => "Socket.IO packet that cannot be parsed",
            SioBadJson => "Socket.IO packet data is not JSON",
            SioBadEvent => "Socket.IO EVENT data is not an array starting with the event name",
            SioMissingAttachment => "Socket.IO binary attachment announced but not received before the next packet",
            SioUnexpectedBinary => "Binary message where no Socket.IO attachment was announced",
            StompUnknownCommand => "Unknown STOMP command",
            StompBadHeader => "STOMP header line without a colon",
            StompBadEscape => "Undefined escape sequence in a STOMP 1.2 header (a fatal protocol error)",
            StompTruncated => "STOMP frame ends before its NUL terminator",
            StompBadContentLength => "STOMP content-length is not a number",
            StompTrailing => "Bytes after a STOMP frame that are neither EOLs nor a frame",
            SignalrBadJson => "SignalR record is not a JSON object",
            SignalrUnterminated => "SignalR record without its 0x1E record separator",
            SignalrUnknownType => "SignalR message type missing or not defined by the JSON hub protocol",
            SignalrMissingField => "SignalR message lacks a field its type requires",
            GqlBadMessage => "GraphQL over WebSocket message is not a JSON object with a string type",
            GqlUnknownType => "Message type not defined by the negotiated GraphQL over WebSocket protocol",
            GqlMissingId => "GraphQL over WebSocket message type requires an id",
        }
    }
}
