//! The plugin's field table, declared once as data. The glue registers exactly these fields with
//! Wireshark, and the README's field reference is generated from this table (`scripts/dev/fields-doc.sh`;
//! a test fails when it is stale), so the two cannot drift.
#![forbid(unsafe_code)]

/// Field types, mirroring Wireshark's `FT_*` (the glue maps them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ft {
    Boolean,
    Uint8,
    Uint16,
    Uint32,
    Uint64,
    Bytes,
    RelativeTime,
    String,
    FrameNum,
}

impl Ft {
    pub fn wireshark_name(self) -> &'static str {
        match self {
            Ft::Boolean => "FT_BOOLEAN",
            Ft::Uint8 => "FT_UINT8",
            Ft::Uint16 => "FT_UINT16",
            Ft::Uint32 => "FT_UINT32",
            Ft::Uint64 => "FT_UINT64",
            Ft::Bytes => "FT_BYTES",
            Ft::RelativeTime => "FT_RELATIVE_TIME",
            Ft::String => "FT_STRING",
            Ft::FrameNum => "FT_FRAMENUM",
        }
    }
}

/// How a field's value is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Display {
    /// The default for the type (BASE_NONE / BASE_DEC).
    Plain,
    /// A header bit: FT_BOOLEAN over 8 bits with this mask.
    Bit(u8),
    /// Opcode names from `core::opcode::OPCODE_NAMES`, optionally under a bitmask.
    Opcode(u8),
    /// Close code names from `core::close::CLOSE_CODE_RANGES`.
    CloseCode,
    /// Value names (an integer field).
    Names(&'static [(u32, &'static str)]),
}

#[derive(Clone, Copy, Debug)]
pub struct FieldDef {
    /// Position in its table (`F` or `K` as u16).
    pub id: u16,
    pub abbrev: &'static str,
    pub name: &'static str,
    pub ft: Ft,
    pub display: Display,
    pub blurb: &'static str,
}

/// Field identifiers: the index of each field in `FIELDS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum F {
    Fin,
    Rsv1,
    Rsv2,
    Rsv3,
    Opcode,
    Mask,
    Len,
    MaskingKey,
    Payload,
    MaskedPayload,
    PayloadText,
    Dir,
    MsgIndex,
    MsgType,
    MsgFragment,
    MsgLen,
    MsgFrames,
    MsgText,
    MsgData,
    CloseCode,
    CloseReason,
    HandshakeKey,
    HandshakeAccept,
    HandshakeProtocol,
    HandshakeExtensions,
    HandshakeAcceptValid,
    HandshakeRequestIn,
    HandshakeResponseIn,
    CloseInitiator,
    CloseReplyIn,
    CloseReplyTo,
    End,
    EndAbnormal,
    DetectedBy,
    MsgCompressed,
    MsgWireLen,
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

pub static FIELDS: [FieldDef; 36] = [
    f(
        F::Fin as u16,
        "ws.fin",
        "Fin",
        Ft::Boolean,
        Display::Bit(0x80),
        "Final frame of a message",
    ),
    f(
        F::Rsv1 as u16,
        "ws.rsv1",
        "Reserved 1",
        Ft::Boolean,
        Display::Bit(0x40),
        "RSV1 header bit (permessage-deflate: compressed message)",
    ),
    f(
        F::Rsv2 as u16,
        "ws.rsv2",
        "Reserved 2",
        Ft::Boolean,
        Display::Bit(0x20),
        "RSV2 header bit",
    ),
    f(
        F::Rsv3 as u16,
        "ws.rsv3",
        "Reserved 3",
        Ft::Boolean,
        Display::Bit(0x10),
        "RSV3 header bit",
    ),
    f(
        F::Opcode as u16,
        "ws.opcode",
        "Opcode",
        Ft::Uint8,
        Display::Opcode(0x0f),
        "Frame opcode",
    ),
    f(
        F::Mask as u16,
        "ws.mask",
        "Mask",
        Ft::Boolean,
        Display::Bit(0x80),
        "Payload is masked",
    ),
    f(
        F::Len as u16,
        "ws.len",
        "Payload length",
        Ft::Uint64,
        Display::Plain,
        "Payload length from the 7-bit, 16-bit or 64-bit length form",
    ),
    f(
        F::MaskingKey as u16,
        "ws.masking_key",
        "Masking key",
        Ft::Bytes,
        Display::Plain,
        "The 4-byte masking key",
    ),
    f(
        F::Payload as u16,
        "ws.payload",
        "Payload",
        Ft::Bytes,
        Display::Plain,
        "The frame's payload after unmasking",
    ),
    f(
        F::MaskedPayload as u16,
        "ws.masked_payload",
        "Masked payload",
        Ft::Bytes,
        Display::Plain,
        "The payload as on the wire (masked frames only)",
    ),
    f(
        F::PayloadText as u16,
        "ws.payload.text",
        "Payload text",
        Ft::String,
        Display::Plain,
        "The frame's payload as text (Text frames and their continuations)",
    ),
    f(
        F::Dir as u16,
        "ws.dir",
        "Direction",
        Ft::String,
        Display::Plain,
        "Who sent the frame: client or server",
    ),
    f(
        F::MsgIndex as u16,
        "ws.msg.index",
        "Message number",
        Ft::Uint32,
        Display::Plain,
        "1-based message number per direction; all frames of a message share it",
    ),
    f(
        F::MsgType as u16,
        "ws.msg.type",
        "Message type",
        Ft::Uint8,
        Display::Opcode(0),
        "Opcode of the message's first frame",
    ),
    f(
        F::MsgFragment as u16,
        "ws.msg.fragment",
        "Fragment number",
        Ft::Uint32,
        Display::Plain,
        "1-based position of this frame within its message",
    ),
    f(
        F::MsgLen as u16,
        "ws.msg.len",
        "Message length",
        Ft::Uint64,
        Display::Plain,
        "Total application length of the message (on the frame that completes it)",
    ),
    f(
        F::MsgFrames as u16,
        "ws.msg.frames",
        "Message frames",
        Ft::Uint32,
        Display::Plain,
        "Number of frames of the message (on the frame that completes it)",
    ),
    f(
        F::MsgText as u16,
        "ws.msg.text",
        "Message text",
        Ft::String,
        Display::Plain,
        "The whole text message (on the frame that completes it)",
    ),
    f(
        F::MsgData as u16,
        "ws.msg.data",
        "Message data",
        Ft::Bytes,
        Display::Plain,
        "The whole message bytes (on the frame that completes it)",
    ),
    f(
        F::CloseCode as u16,
        "ws.close.code",
        "Close code",
        Ft::Uint16,
        Display::CloseCode,
        "Status code of a Close frame (RFC 6455 section 7.4)",
    ),
    f(
        F::CloseReason as u16,
        "ws.close.reason",
        "Close reason",
        Ft::String,
        Display::Plain,
        "Reason text of a Close frame",
    ),
    f(
        F::HandshakeKey as u16,
        "ws.handshake.key",
        "Sec-WebSocket-Key",
        Ft::String,
        Display::Plain,
        "Key of the Upgrade request",
    ),
    f(
        F::HandshakeAccept as u16,
        "ws.handshake.accept",
        "Sec-WebSocket-Accept",
        Ft::String,
        Display::Plain,
        "Accept value of the 101 response",
    ),
    f(
        F::HandshakeProtocol as u16,
        "ws.handshake.protocol",
        "Sec-WebSocket-Protocol",
        Ft::String,
        Display::Plain,
        "Subprotocol offered (request) or chosen (response)",
    ),
    f(
        F::HandshakeExtensions as u16,
        "ws.handshake.extensions",
        "Sec-WebSocket-Extensions",
        Ft::String,
        Display::Plain,
        "Extensions offered (request) or negotiated (response)",
    ),
    f(
        F::HandshakeAcceptValid as u16,
        "ws.handshake.accept_valid",
        "Accept valid",
        Ft::Boolean,
        Display::Plain,
        "Sec-WebSocket-Accept = base64(SHA-1(key + GUID)) (RFC 6455 section 4.2.2)",
    ),
    f(
        F::HandshakeRequestIn as u16,
        "ws.handshake.request_in",
        "Upgrade request in",
        Ft::FrameNum,
        Display::Plain,
        "Frame of the connection's Upgrade request",
    ),
    f(
        F::HandshakeResponseIn as u16,
        "ws.handshake.response_in",
        "Upgrade response in",
        Ft::FrameNum,
        Display::Plain,
        "Frame of the connection's 101 response",
    ),
    f(
        F::CloseInitiator as u16,
        "ws.close.initiator",
        "Close initiated by",
        Ft::String,
        Display::Plain,
        "Who sent the connection's first Close: client or server",
    ),
    f(
        F::CloseReplyIn as u16,
        "ws.close.reply_in",
        "Close answered in",
        Ft::FrameNum,
        Display::Plain,
        "On the first Close: the frame of the peer's answering Close",
    ),
    f(
        F::CloseReplyTo as u16,
        "ws.close.reply_to",
        "Close answers",
        Ft::FrameNum,
        Display::Plain,
        "On the answering Close: the frame of the first Close",
    ),
    f(
        F::End as u16,
        "ws.end",
        "Connection end",
        Ft::String,
        Display::Plain,
        "On the first TCP FIN/RST of a WebSocket connection: how it ended",
    ),
    f(
        F::EndAbnormal as u16,
        "ws.end.abnormal",
        "Abnormal end",
        Ft::Boolean,
        Display::Plain,
        "The TCP connection ended without a complete Close handshake (1006)",
    ),
    f(
        F::DetectedBy as u16,
        "ws.detected_by",
        "Detected by",
        Ft::String,
        Display::Plain,
        "How the connection was recognised: handshake or midstream",
    ),
    f(
        F::MsgCompressed as u16,
        "ws.msg.compressed",
        "Message compressed",
        Ft::Boolean,
        Display::Plain,
        "The message was compressed (permessage-deflate, RFC 7692)",
    ),
    f(
        F::MsgWireLen as u16,
        "ws.msg.wire_len",
        "Message length on the wire",
        Ft::Uint64,
        Display::Plain,
        "Total payload length of the message's frames as sent (compressed)",
    ),
];

/// Keep-alive field identifiers: the index of each field in `KA_FIELDS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum K {
    Layer,
    Kind,
    Style,
    Num,
    Idle,
    Interval,
    ReplyIn,
    ReplyTo,
    Rtt,
    Unanswered,
    Unsolicited,
    Verdict,
    App,
}

/// The `keepalive` protocol's fields (all generated annotations).
pub static KA_FIELDS: [FieldDef; 13] = [
    f(K::Layer as u16, "keepalive.layer", "Layer", Ft::String, Display::Plain, "tcp, ws, or app (an application protocol's own heartbeat)"),
    f(K::Kind as u16, "keepalive.kind", "Kind", Ft::String, Display::Plain, "probe, ack, reset (the peer answered a probe with RST), ping, pong, or heartbeat (one-way application heartbeat)"),
    f(K::Style as u16, "keepalive.style", "Probe style", Ft::String, Display::Plain, "TCP probes: zero-byte or one-byte"),
    f(K::Num as u16, "keepalive.num", "Number in idle run", Ft::Uint32, Display::Plain, "1-based number of this probe/ping in the current idle run of its sender (resets when data flows)"),
    f(K::Idle as u16, "keepalive.idle", "Idle time", Ft::RelativeTime, Display::Plain, "Time since the last data on the connection, either direction"),
    f(K::Interval as u16, "keepalive.interval", "Interval", Ft::RelativeTime, Display::Plain, "Time since the previous probe/ping of the same sender"),
    f(K::ReplyIn as u16, "keepalive.reply_in", "Answered in", Ft::FrameNum, Display::Plain, "On a probe/ping: the frame that answered it"),
    f(K::ReplyTo as u16, "keepalive.reply_to", "Answer to", Ft::FrameNum, Display::Plain, "On an ack/reset/pong: the frame it answers"),
    f(K::Rtt as u16, "keepalive.rtt", "Round-trip time", Ft::RelativeTime, Display::Plain, "On an ack/reset/pong: time since the probe/ping"),
    f(K::Unanswered as u16, "keepalive.unanswered", "Unanswered", Ft::Boolean, Display::Plain, "On a probe/ping that got no answer"),
    f(K::Unsolicited as u16, "keepalive.unsolicited", "Unsolicited", Ft::Boolean, Display::Plain, "On a pong that answers no ping"),
    f(K::Verdict as u16, "keepalive.verdict", "Verdict", Ft::String, Display::Plain, "On a probe answered by the peer's RST and that RST, on the last probe of an unanswered run, or the RST/FIN after it; on an application heartbeat later than its protocol allows"),
    f(K::App as u16, "keepalive.app", "Application protocol", Ft::String, Display::Plain, "Layer app: the protocol whose heartbeat this is (engine.io, stomp, signalr, mqtt, graphql)"),
];

/// The README's field reference, as a Markdown table.
pub fn markdown_reference() -> String {
    let mut s = String::from("| field | type | description |\n|---|---|---|\n");
    for d in FIELDS.iter().chain(KA_FIELDS.iter()).chain(
        crate::fields_app::APP_PROTOCOLS
            .iter()
            .flat_map(|p| p.fields.iter()),
    ) {
        s.push_str(&format!(
            "| `{}` | {} | {} |\n",
            d.abbrev,
            d.ft.wireshark_name(),
            d.blurb
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_match_positions() {
        for (i, d) in FIELDS.iter().enumerate() {
            assert_eq!(d.id as usize, i, "{} is out of place", d.abbrev);
        }
        for (i, d) in KA_FIELDS.iter().enumerate() {
            assert_eq!(d.id as usize, i, "{} is out of place", d.abbrev);
        }
    }

    #[test]
    fn names_are_unique_and_in_the_ws_namespace() {
        let mut seen = std::collections::HashSet::new();
        for d in FIELDS.iter() {
            assert!(d.abbrev.starts_with("ws."), "{}", d.abbrev);
            assert!(seen.insert(d.abbrev), "duplicate {}", d.abbrev);
        }
        for d in KA_FIELDS.iter() {
            assert!(d.abbrev.starts_with("keepalive."), "{}", d.abbrev);
            assert!(seen.insert(d.abbrev), "duplicate {}", d.abbrev);
        }
    }

    #[test]
    #[ignore = "prints the reference for scripts/dev/fields-doc.sh"]
    fn print_reference() {
        println!("{}", markdown_reference());
    }

    #[test]
    fn readme_reference_is_generated_from_the_table() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
            .expect("README.md");
        assert!(
            readme.contains(&markdown_reference()),
            "README field reference is stale: run scripts/dev/fields-doc.sh"
        );
    }
}
