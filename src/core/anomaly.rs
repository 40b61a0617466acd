//! Protocol anomalies; each variant maps onto exactly one Wireshark expert info.

/// Something wrong (or noteworthy) about a frame or message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Anomaly {
    /// §5.1: a client MUST mask all frames it sends to the server.
    UnmaskedFrameFromClient,
    /// §5.1: a server MUST NOT mask any frames it sends to the client.
    MaskedFrameFromServer,
    /// §5.2: RSV1-3 MUST be 0 unless an extension defining them was negotiated.
    RsvWithoutExtension,
    /// §5.2: reserved opcode received.
    ReservedOpcode,
    /// §5.5: control frames MUST have a payload length of 125 bytes or less.
    ControlFrameTooBig,
    /// §5.5: control frames MUST NOT be fragmented.
    ControlFrameFragmented,
    /// §5.4: continuation frame without a message in progress.
    ContinuationWithoutStart,
    /// §5.4: new Text/Binary frame while a fragmented message is still open.
    DataFrameWhileMessageUnfinished,
    /// §8.1: text message is not valid UTF-8.
    InvalidUtf8Text,
    /// §5.5.1: close reason is not valid UTF-8.
    InvalidUtf8CloseReason,
    /// §5.5.1: close payload of exactly one byte.
    ClosePayloadOneByte,
    /// §7.4.1: 1005/1006/1015 MUST NOT be sent in a Close frame.
    CloseCodeNotOnWire,
    /// §7.4.2: close code unassigned or out of range.
    CloseCodeInvalid,
    /// §5.5.1: data frame after this endpoint sent Close.
    DataAfterClose,
    /// §4.1/§4.2.2: Sec-WebSocket-Accept does not match the key.
    AcceptMismatch,
    /// §5.2: payload length not encoded in the minimal number of bytes.
    LengthNotMinimal,
    /// §5.2: most significant bit of the 64-bit length set.
    Length64MsbSet,
    /// The capture holds fewer bytes than the frame (not an RFC violation).
    PayloadTruncated,
    /// The reassembled message exceeded the cap and was cut.
    MessageTruncated,
    /// The unmasked payload shown was cut at the preference's cap.
    UnmaskCapped,
    /// The frame's length is beyond what is reassembled (a 64-bit length can say 2^63).
    FrameTooLarge,
    /// §7.1.5/§7.4.1: the TCP connection ended without a Close handshake; the application sees
    /// 1006 (abnormal closure).
    ClosedWithoutHandshake,
    /// §5.5.1/§7.1.2: a Close that the peer never answered with its own Close.
    CloseUnanswered,
    /// RFC 7692: inflating stopped at the decompression cap (a possible deflate bomb).
    DecompressionCapped,
    /// RFC 7692: the compressed message does not inflate.
    DecompressionFailed,
    /// RFC 7692: compressed, but the extension parameters or the earlier context are unknown
    /// (the capture began mid-connection).
    CompressedContextUnknown,
    /// Bytes of this direction are missing from the capture before this segment; the frame
    /// structure is lost until it is found again.
    CaptureGap,
    /// The frame structure was found again after a gap; the bytes before it were skipped.
    Resynchronized,
}

/// Expert-info severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Note,
    Warning,
    Error,
}

/// Expert-info group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    Malformed,
    Protocol,
    Undecoded,
    Reassemble,
    Sequence,
}

impl Anomaly {
    /// Every variant, in declaration order.
    pub const ALL: [Anomaly; 28] = [
        Anomaly::UnmaskedFrameFromClient,
        Anomaly::MaskedFrameFromServer,
        Anomaly::RsvWithoutExtension,
        Anomaly::ReservedOpcode,
        Anomaly::ControlFrameTooBig,
        Anomaly::ControlFrameFragmented,
        Anomaly::ContinuationWithoutStart,
        Anomaly::DataFrameWhileMessageUnfinished,
        Anomaly::InvalidUtf8Text,
        Anomaly::InvalidUtf8CloseReason,
        Anomaly::ClosePayloadOneByte,
        Anomaly::CloseCodeNotOnWire,
        Anomaly::CloseCodeInvalid,
        Anomaly::DataAfterClose,
        Anomaly::AcceptMismatch,
        Anomaly::LengthNotMinimal,
        Anomaly::Length64MsbSet,
        Anomaly::PayloadTruncated,
        Anomaly::MessageTruncated,
        Anomaly::UnmaskCapped,
        Anomaly::FrameTooLarge,
        Anomaly::ClosedWithoutHandshake,
        Anomaly::CloseUnanswered,
        Anomaly::DecompressionCapped,
        Anomaly::DecompressionFailed,
        Anomaly::CompressedContextUnknown,
        Anomaly::CaptureGap,
        Anomaly::Resynchronized,
    ];

    /// Raised by the glue or by other core modules than `message` (handshake, connection end,
    /// caps, inflate), not by `Connection::on_frame`.
    pub fn raised_outside_message(self) -> bool {
        matches!(
            self,
            Anomaly::AcceptMismatch
                | Anomaly::UnmaskCapped
                | Anomaly::FrameTooLarge
                | Anomaly::ClosedWithoutHandshake
                | Anomaly::CloseUnanswered
                | Anomaly::DecompressionCapped
                | Anomaly::DecompressionFailed
                | Anomaly::CompressedContextUnknown
                | Anomaly::CaptureGap
                | Anomaly::Resynchronized
        )
    }

    /// Stable snake_case expert name suffix.
    pub fn key(self) -> &'static str {
        match self {
            Anomaly::UnmaskedFrameFromClient => "unmasked_client_frame",
            Anomaly::MaskedFrameFromServer => "masked_server_frame",
            Anomaly::RsvWithoutExtension => "rsv_without_extension",
            Anomaly::ReservedOpcode => "reserved_opcode",
            Anomaly::ControlFrameTooBig => "control_frame_too_big",
            Anomaly::ControlFrameFragmented => "control_frame_fragmented",
            Anomaly::ContinuationWithoutStart => "continuation_without_start",
            Anomaly::DataFrameWhileMessageUnfinished => "data_frame_in_unfinished_message",
            Anomaly::InvalidUtf8Text => "invalid_utf8_text",
            Anomaly::InvalidUtf8CloseReason => "invalid_utf8_close_reason",
            Anomaly::ClosePayloadOneByte => "close_payload_one_byte",
            Anomaly::CloseCodeNotOnWire => "close_code_not_on_wire",
            Anomaly::CloseCodeInvalid => "close_code_invalid",
            Anomaly::DataAfterClose => "data_after_close",
            Anomaly::AcceptMismatch => "accept_mismatch",
            Anomaly::LengthNotMinimal => "length_not_minimal",
            Anomaly::Length64MsbSet => "length_msb_set",
            Anomaly::PayloadTruncated => "payload_truncated",
            Anomaly::MessageTruncated => "message_truncated",
            Anomaly::UnmaskCapped => "unmask_capped",
            Anomaly::FrameTooLarge => "frame_too_large",
            Anomaly::ClosedWithoutHandshake => "closed_without_close",
            Anomaly::CloseUnanswered => "close_unanswered",
            Anomaly::DecompressionCapped => "decompression_capped",
            Anomaly::DecompressionFailed => "decompression_failed",
            Anomaly::CompressedContextUnknown => "compressed_context_unknown",
            Anomaly::CaptureGap => "capture_gap",
            Anomaly::Resynchronized => "resynchronized",
        }
    }

    /// One-line expert text citing the RFC section.
    pub fn summary(self) -> &'static str {
        match self {
            Anomaly::UnmaskedFrameFromClient => {
                "Client frame not masked (RFC 6455 §5.1: a client MUST mask every frame)"
            }
            Anomaly::MaskedFrameFromServer => {
                "Server frame masked (RFC 6455 §5.1: a server MUST NOT mask any frame)"
            }
            Anomaly::RsvWithoutExtension => {
                "RSV bit set without a negotiated extension (RFC 6455 §5.2: RSV1-3 MUST be 0 unless an extension defines them)"
            }
            Anomaly::ReservedOpcode => "Reserved opcode (RFC 6455 §5.2: opcodes 0x3-0x7 and 0xB-0xF are reserved)",
            Anomaly::ControlFrameTooBig => {
                "Control frame payload longer than 125 bytes (RFC 6455 §5.5: control frames MUST have a payload length of 125 bytes or less)"
            }
            Anomaly::ControlFrameFragmented => {
                "Control frame without FIN (RFC 6455 §5.5: control frames MUST NOT be fragmented)"
            }
            Anomaly::ContinuationWithoutStart => {
                "Continuation frame without a message in progress (RFC 6455 §5.4)"
            }
            Anomaly::DataFrameWhileMessageUnfinished => {
                "New data frame while a fragmented message is unfinished (RFC 6455 §5.4: fragments of one message MUST NOT be interleaved with another)"
            }
            Anomaly::InvalidUtf8Text => "Text message is not valid UTF-8 (RFC 6455 §8.1)",
            Anomaly::InvalidUtf8CloseReason => {
                "Close reason is not valid UTF-8 (RFC 6455 §5.5.1)"
            }
            Anomaly::ClosePayloadOneByte => {
                "Close payload of one byte (RFC 6455 §5.5.1: a body MUST begin with a 2-byte status code)"
            }
            Anomaly::CloseCodeNotOnWire => {
                "Close code 1005/1006/1015 sent on the wire (RFC 6455 §7.4.1: MUST NOT be set as a status code in a Close frame)"
            }
            Anomaly::CloseCodeInvalid => "Close code unassigned or out of range (RFC 6455 §7.4.2)",
            Anomaly::DataAfterClose => {
                "Data frame after Close (RFC 6455 §5.5.1: an endpoint MUST NOT send data frames after sending Close)"
            }
            Anomaly::AcceptMismatch => {
                "Sec-WebSocket-Accept does not match Sec-WebSocket-Key (RFC 6455 §4.1, §4.2.2)"
            }
            Anomaly::LengthNotMinimal => {
                "Payload length not minimally encoded (RFC 6455 §5.2: the minimal number of bytes MUST be used)"
            }
            Anomaly::Length64MsbSet => {
                "Most significant bit of 64-bit payload length set (RFC 6455 §5.2: it MUST be 0)"
            }
            Anomaly::PayloadTruncated => "Frame payload truncated in the capture",
            Anomaly::MessageTruncated => "Reassembled message truncated at the size limit",
            Anomaly::UnmaskCapped => "Unmasked payload cut at the size limit (preference ws.max_unmask)",
            Anomaly::FrameTooLarge => {
                "Frame length is beyond what is reassembled; only this segment's bytes are shown"
            }
            Anomaly::ClosedWithoutHandshake => {
                "TCP connection ended without a Close handshake (the application sees 1006, RFC 6455 §7.1.5)"
            }
            Anomaly::CloseUnanswered => {
                "Close never answered by the peer's Close (RFC 6455 §5.5.1)"
            }
            Anomaly::DecompressionCapped => {
                "Decompressed message cut at the size limit (preference ws.max_inflate)"
            }
            Anomaly::DecompressionFailed => "Compressed message does not inflate (RFC 7692)",
            Anomaly::CompressedContextUnknown => {
                "Compressed message, extension parameters or earlier context unknown (capture began mid-connection)"
            }
            Anomaly::CaptureGap => {
                "Bytes missing from the capture before this segment; frames are skipped until the frame structure is found again"
            }
            Anomaly::Resynchronized => {
                "Frame structure found again after a gap in the capture; the bytes before this frame were skipped"
            }
        }
    }

    /// Expert severity.
    pub fn severity(self) -> Severity {
        match self {
            Anomaly::UnmaskedFrameFromClient
            | Anomaly::MaskedFrameFromServer
            | Anomaly::RsvWithoutExtension
            | Anomaly::ReservedOpcode
            | Anomaly::ControlFrameTooBig
            | Anomaly::ControlFrameFragmented
            | Anomaly::InvalidUtf8Text
            | Anomaly::InvalidUtf8CloseReason
            | Anomaly::ClosePayloadOneByte
            | Anomaly::CloseCodeNotOnWire
            | Anomaly::Length64MsbSet => Severity::Error,
            Anomaly::ContinuationWithoutStart
            | Anomaly::DataFrameWhileMessageUnfinished
            | Anomaly::DataAfterClose
            | Anomaly::CloseCodeInvalid
            | Anomaly::AcceptMismatch
            | Anomaly::LengthNotMinimal => Severity::Warning,
            Anomaly::PayloadTruncated
            | Anomaly::MessageTruncated
            | Anomaly::UnmaskCapped
            | Anomaly::CompressedContextUnknown
            | Anomaly::Resynchronized => Severity::Note,
            Anomaly::FrameTooLarge
            | Anomaly::ClosedWithoutHandshake
            | Anomaly::CloseUnanswered
            | Anomaly::DecompressionCapped
            | Anomaly::CaptureGap => Severity::Warning,
            Anomaly::DecompressionFailed => Severity::Error,
        }
    }

    /// Expert group.
    pub fn group(self) -> Group {
        // README.developer: PI_PROTOCOL for a peer that breaks the specification, PI_MALFORMED
        // only for bytes that cannot be dissected. A frame that breaks an RFC 6455 rule is still
        // a well-formed, fully dissected frame.
        match self {
            Anomaly::RsvWithoutExtension
            | Anomaly::ReservedOpcode
            | Anomaly::ControlFrameTooBig
            | Anomaly::ControlFrameFragmented
            | Anomaly::InvalidUtf8Text
            | Anomaly::InvalidUtf8CloseReason
            | Anomaly::ClosePayloadOneByte
            | Anomaly::CloseCodeNotOnWire
            | Anomaly::CloseCodeInvalid
            | Anomaly::LengthNotMinimal
            | Anomaly::Length64MsbSet
            | Anomaly::UnmaskedFrameFromClient
            | Anomaly::MaskedFrameFromServer
            | Anomaly::ContinuationWithoutStart
            | Anomaly::DataFrameWhileMessageUnfinished
            | Anomaly::DataAfterClose
            | Anomaly::AcceptMismatch => Group::Protocol,
            Anomaly::PayloadTruncated
            | Anomaly::UnmaskCapped
            | Anomaly::CompressedContextUnknown
            | Anomaly::DecompressionCapped => Group::Undecoded,
            Anomaly::MessageTruncated | Anomaly::FrameTooLarge => Group::Reassemble,
            // Compressed bytes that do not inflate: the message cannot be dissected.
            Anomaly::DecompressionFailed => Group::Malformed,
            Anomaly::ClosedWithoutHandshake
            | Anomaly::CloseUnanswered
            | Anomaly::CaptureGap
            | Anomaly::Resynchronized => Group::Sequence,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn keys_unique_and_snake_case() {
        let mut seen = HashSet::new();
        for a in Anomaly::ALL {
            let k = a.key();
            assert!(seen.insert(k), "duplicate key {k}");
            assert!(k
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit()));
            assert!(!a.summary().is_empty());
        }
        let all: HashSet<Anomaly> = Anomaly::ALL.into_iter().collect();
        assert_eq!(all.len(), Anomaly::ALL.len());
    }

    #[test]
    fn severities_and_groups() {
        assert_eq!(Anomaly::MaskedFrameFromServer.severity(), Severity::Error);
        assert_eq!(Anomaly::LengthNotMinimal.severity(), Severity::Warning);
        assert_eq!(Anomaly::PayloadTruncated.severity(), Severity::Note);
        assert_eq!(Anomaly::PayloadTruncated.group(), Group::Undecoded);
        assert_eq!(Anomaly::MessageTruncated.group(), Group::Reassemble);
        assert_eq!(Anomaly::AcceptMismatch.group(), Group::Protocol);
        assert_eq!(Anomaly::Length64MsbSet.group(), Group::Protocol);
        assert_eq!(Anomaly::ControlFrameTooBig.group(), Group::Protocol);
        assert_eq!(Anomaly::LengthNotMinimal.group(), Group::Protocol);
        assert_eq!(Anomaly::DecompressionFailed.group(), Group::Malformed);
        // Only bytes that cannot be dissected are Malformed.
        let malformed: Vec<Anomaly> = Anomaly::ALL
            .into_iter()
            .filter(|a| a.group() == Group::Malformed)
            .collect();
        assert_eq!(malformed, vec![Anomaly::DecompressionFailed]);
        assert!(Anomaly::UnmaskedFrameFromClient.summary().contains("§5.1"));
    }
}
