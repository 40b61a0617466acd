//! Close frame payloads and status codes (RFC 6455 §5.5.1, §7.4).

use super::anomaly::Anomaly;

/// Close code ranges with names (RFC 6455 §7.4.1 and the IANA WebSocket Close
/// Code Number Registry). Sorted, non-overlapping, covering 0..=65535.
pub const CLOSE_CODE_RANGES: &[(u16, u16, &str)] = &[
    (0, 999, "Not used"),
    (1000, 1000, "Normal Closure"),
    (1001, 1001, "Going Away"),
    (1002, 1002, "Protocol error"),
    (1003, 1003, "Unsupported Data"),
    (1004, 1004, "Reserved"),
    (1005, 1005, "No Status Rcvd"),
    (1006, 1006, "Abnormal Closure"),
    (1007, 1007, "Invalid frame payload data"),
    (1008, 1008, "Policy Violation"),
    (1009, 1009, "Message Too Big"),
    (1010, 1010, "Mandatory Extension"),
    (1011, 1011, "Internal Error"),
    (1012, 1012, "Service Restart"),
    (1013, 1013, "Try Again Later"),
    (1014, 1014, "Bad Gateway"),
    (1015, 1015, "TLS handshake"),
    (1016, 2999, "Reserved for protocol (unassigned)"),
    (3000, 3999, "Registered (IANA, libraries/frameworks)"),
    (4000, 4999, "Private use"),
    (5000, 65535, "Invalid (out of range)"),
];

/// Name of a close code (never empty).
pub fn close_code_name(code: u16) -> &'static str {
    CLOSE_CODE_RANGES
        .iter()
        .find(|(lo, hi, _)| (*lo..=*hi).contains(&code))
        .map_or("Unknown", |(_, _, name)| name)
}

/// Codes that MUST NOT be sent on the wire (§7.4.1).
pub fn code_not_on_wire(code: u16) -> bool {
    matches!(code, 1005 | 1006 | 1015)
}

/// Codes that are unassigned, reserved or out of range (§7.4.1, §7.4.2).
pub fn code_invalid(code: u16) -> bool {
    matches!(code, 0..=999 | 1004 | 1016..=2999 | 5000..=u16::MAX)
}

/// A parsed Close payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClosePayload {
    pub code: Option<u16>,
    /// Bytes after the code, if any.
    pub reason: Option<Vec<u8>>,
    pub anomalies: Vec<Anomaly>,
}

impl ClosePayload {
    /// The reason decoded lossily as UTF-8.
    pub fn reason_lossy(&self) -> Option<String> {
        self.reason
            .as_deref()
            .map(|r| String::from_utf8_lossy(r).into_owned())
    }
}

/// Parse an (unmasked) Close payload.
pub fn parse_close(payload: &[u8]) -> ClosePayload {
    let mut anomalies = Vec::new();
    let (code, reason) = match payload {
        [] => (None, None),
        [_] => {
            // §5.5.1: "If there is a body, the first two bytes of the body
            // MUST be a 2-byte unsigned integer (in network byte order)
            // representing a status code"
            anomalies.push(Anomaly::ClosePayloadOneByte);
            (None, None)
        }
        [hi, lo, rest @ ..] => {
            let code = u16::from_be_bytes([*hi, *lo]);
            // §7.4.1: 1005, 1006 and 1015 are "designated for use in
            // applications expecting a status code to indicate" ... and
            // "MUST NOT be set as a status code in a Close control frame by
            // an endpoint."
            if code_not_on_wire(code) {
                anomalies.push(Anomaly::CloseCodeNotOnWire);
            } else if code_invalid(code) {
                // §7.4.2: "Status codes in the range 0-999 are not used";
                // 1000-2999 are reserved for this protocol and its
                // extensions (1004 is reserved, 1016+ unassigned);
                // 5000 and above are outside every defined range.
                anomalies.push(Anomaly::CloseCodeInvalid);
            }
            let reason = if rest.is_empty() {
                None
            } else {
                // §5.5.1: "Following the 2-byte integer, the body MAY contain
                // UTF-8-encoded data with value /reason/"; §8.1: an endpoint
                // that finds such a byte stream is not valid UTF-8 "MUST
                // _Fail the WebSocket Connection_".
                if std::str::from_utf8(rest).is_err() {
                    anomalies.push(Anomaly::InvalidUtf8CloseReason);
                }
                Some(rest.to_vec())
            };
            (Some(code), reason)
        }
    };
    ClosePayload {
        code,
        reason,
        anomalies,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_everything() {
        let mut next: u32 = 0;
        for (lo, hi, name) in CLOSE_CODE_RANGES {
            assert_eq!(u32::from(*lo), next, "gap or overlap at {lo}");
            assert!(lo <= hi);
            assert!(!name.is_empty());
            next = u32::from(*hi) + 1;
        }
        assert_eq!(next, 65536);
    }

    #[test]
    fn names() {
        assert_eq!(close_code_name(0), "Not used");
        assert_eq!(close_code_name(999), "Not used");
        assert_eq!(close_code_name(1000), "Normal Closure");
        assert_eq!(close_code_name(1001), "Going Away");
        assert_eq!(close_code_name(1002), "Protocol error");
        assert_eq!(close_code_name(1003), "Unsupported Data");
        assert_eq!(close_code_name(1004), "Reserved");
        assert_eq!(close_code_name(1005), "No Status Rcvd");
        assert_eq!(close_code_name(1006), "Abnormal Closure");
        assert_eq!(close_code_name(1007), "Invalid frame payload data");
        assert_eq!(close_code_name(1008), "Policy Violation");
        assert_eq!(close_code_name(1009), "Message Too Big");
        assert_eq!(close_code_name(1010), "Mandatory Extension");
        assert_eq!(close_code_name(1011), "Internal Error");
        assert_eq!(close_code_name(1012), "Service Restart");
        assert_eq!(close_code_name(1013), "Try Again Later");
        assert_eq!(close_code_name(1014), "Bad Gateway");
        assert_eq!(close_code_name(1015), "TLS handshake");
        assert_eq!(close_code_name(1016), "Reserved for protocol (unassigned)");
        assert_eq!(close_code_name(2999), "Reserved for protocol (unassigned)");
        assert_eq!(
            close_code_name(3000),
            "Registered (IANA, libraries/frameworks)"
        );
        assert_eq!(close_code_name(4000), "Private use");
        assert_eq!(close_code_name(4999), "Private use");
        assert_eq!(close_code_name(5000), "Invalid (out of range)");
        assert_eq!(close_code_name(65535), "Invalid (out of range)");
    }

    #[test]
    fn empty_and_one_byte() {
        let c = parse_close(&[]);
        assert_eq!(c.code, None);
        assert_eq!(c.reason, None);
        assert!(c.anomalies.is_empty());
        let c = parse_close(&[0x03]);
        assert_eq!(c.code, None);
        assert_eq!(c.anomalies, vec![Anomaly::ClosePayloadOneByte]);
    }

    #[test]
    fn code_and_reason() {
        let c = parse_close(&[0x03, 0xE8]);
        assert_eq!(c.code, Some(1000));
        assert_eq!(c.reason, None);
        assert!(c.anomalies.is_empty());
        let c = parse_close(b"\x03\xe9bye");
        assert_eq!(c.code, Some(1001));
        assert_eq!(c.reason.as_deref(), Some(&b"bye"[..]));
        assert_eq!(c.reason_lossy().as_deref(), Some("bye"));
        assert!(c.anomalies.is_empty());
    }

    #[test]
    fn bad_codes() {
        for code in [1005u16, 1006, 1015] {
            let c = parse_close(&code.to_be_bytes());
            assert_eq!(c.anomalies, vec![Anomaly::CloseCodeNotOnWire], "{code}");
        }
        for code in [0u16, 999, 1004, 1016, 2999, 5000, 65535] {
            let c = parse_close(&code.to_be_bytes());
            assert_eq!(c.anomalies, vec![Anomaly::CloseCodeInvalid], "{code}");
        }
        for code in [
            1000u16, 1003, 1007, 1011, 1012, 1014, 3000, 3999, 4000, 4999,
        ] {
            let c = parse_close(&code.to_be_bytes());
            assert!(c.anomalies.is_empty(), "{code}");
        }
    }

    #[test]
    fn invalid_utf8_reason() {
        let c = parse_close(b"\x03\xe8ok\xff");
        assert_eq!(c.code, Some(1000));
        assert_eq!(c.anomalies, vec![Anomaly::InvalidUtf8CloseReason]);
        let c = parse_close(b"\x00\x00\xc3");
        assert_eq!(
            c.anomalies,
            vec![Anomaly::CloseCodeInvalid, Anomaly::InvalidUtf8CloseReason]
        );
    }
}
