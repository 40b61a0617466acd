//! Engine.IO protocol v4 over WebSocket (socket.io/engine.io-protocol, "Protocol v4"): one packet
//! per WebSocket message. A text message is `<type digit><data>`; a binary message is a message
//! packet's raw data (v4 dropped v3's leading type byte on WebSocket).

use super::issue::Issue;
use super::json;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PacketType {
    Open = 0,
    Close = 1,
    Ping = 2,
    Pong = 3,
    Message = 4,
    Upgrade = 5,
    Noop = 6,
}

pub const TYPE_NAMES: [(u32, &str); 7] = [
    (0, "open"),
    (1, "close"),
    (2, "ping"),
    (3, "pong"),
    (4, "message"),
    (5, "upgrade"),
    (6, "noop"),
];

impl PacketType {
    pub fn name(self) -> &'static str {
        TYPE_NAMES[self as usize].1
    }
    fn from_digit(b: u8) -> Option<PacketType> {
        use PacketType::*;
        Some(match b {
            b'0' => Open,
            b'1' => Close,
            b'2' => Ping,
            b'3' => Pong,
            b'4' => Message,
            b'5' => Upgrade,
            b'6' => Noop,
            _ => return None,
        })
    }
}

/// The open packet's handshake data.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Open {
    pub sid: Option<String>,
    pub upgrades: Vec<String>,
    /// Milliseconds.
    pub ping_interval: Option<u64>,
    /// Milliseconds.
    pub ping_timeout: Option<u64>,
    pub max_payload: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    pub ptype: PacketType,
    /// Offset of the data in the message (1 for text, 0 for binary).
    pub data_at: usize,
    pub binary: bool,
    /// Open packets: what their JSON says.
    pub open: Option<Open>,
}

/// Parse one WebSocket message as an Engine.IO packet.
pub fn parse(msg: &[u8], binary: bool) -> Result<Packet, Issue> {
    if binary {
        return Ok(Packet {
            ptype: PacketType::Message,
            data_at: 0,
            binary: true,
            open: None,
        });
    }
    let first = *msg.first().ok_or(Issue::EioEmpty)?;
    let ptype = PacketType::from_digit(first).ok_or(Issue::EioUnknownType)?;
    let open = if ptype == PacketType::Open {
        Some(parse_open(&msg[1..])?)
    } else {
        None
    };
    Ok(Packet {
        ptype,
        data_at: 1,
        binary: false,
        open,
    })
}

/// The open packet's JSON: `{"sid":..,"upgrades":[..],"pingInterval":..,"pingTimeout":..,"maxPayload":..}`.
pub fn parse_open(data: &[u8]) -> Result<Open, Issue> {
    let v = json::parse(data).map_err(|_| Issue::EioBadOpen)?;
    if v.kind != json::Kind::Object {
        return Err(Issue::EioBadOpen);
    }
    let open = Open {
        sid: v
            .get("sid")
            .and_then(|s| s.as_str())
            .map(|s| s.into_owned()),
        upgrades: v
            .get("upgrades")
            .map(|u| {
                u.elements()
                    .filter_map(|e| e.as_str().map(|s| s.into_owned()))
                    .collect()
            })
            .unwrap_or_default(),
        ping_interval: v.get("pingInterval").and_then(|n| n.as_u64()),
        ping_timeout: v.get("pingTimeout").and_then(|n| n.as_u64()),
        max_payload: v.get("maxPayload").and_then(|n| n.as_u64()),
    };
    if open.sid.is_none() || open.ping_interval.is_none() || open.ping_timeout.is_none() {
        return Err(Issue::EioBadOpen);
    }
    Ok(open)
}

/// Strict content check for a connection whose handshake is not in the capture: an open packet,
/// a bare ping/pong (or the upgrade probe), or a message packet whose data is a Socket.IO packet.
pub fn looks_like(msg: &[u8]) -> bool {
    match msg {
        b"2" | b"3" | b"2probe" | b"3probe" | b"6" => true,
        [b'0', rest @ ..] => parse_open(rest).is_ok(),
        [b'4', rest @ ..] => super::socketio::looks_like(rest),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_packet() {
        let m = br#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
        let p = parse(m, false).unwrap();
        assert_eq!(p.ptype, PacketType::Open);
        let o = p.open.unwrap();
        assert_eq!(o.sid.as_deref(), Some("lv_VI97HAXpY6yYWAAAC"));
        assert_eq!(
            (o.ping_interval, o.ping_timeout, o.max_payload),
            (Some(25000), Some(20000), Some(1_000_000))
        );
        assert!(o.upgrades.is_empty());
    }

    #[test]
    fn every_type() {
        for (i, t) in [b"1", b"2", b"3", b"4", b"5", b"6"].iter().enumerate() {
            let p = parse(&t[..], false).unwrap();
            assert_eq!(p.ptype as usize, i + 1);
            assert_eq!(p.ptype.name(), TYPE_NAMES[i + 1].1);
        }
        assert_eq!(parse(b"2probe", false).unwrap().ptype, PacketType::Ping);
        assert_eq!(parse(b"\x00\x01", true).unwrap().ptype, PacketType::Message);
    }

    #[test]
    fn bad_input() {
        assert_eq!(parse(b"", false), Err(Issue::EioEmpty));
        assert_eq!(parse(b"7", false), Err(Issue::EioUnknownType));
        assert_eq!(parse(b"x", false), Err(Issue::EioUnknownType));
        assert_eq!(parse(b"0", false), Err(Issue::EioBadOpen));
        assert_eq!(parse(b"0{\"sid\":\"a\"}", false), Err(Issue::EioBadOpen));
        assert_eq!(
            parse(b"0{\"sid\":1,\"pingInterval\":1,\"pingTimeout\":1}", false),
            Err(Issue::EioBadOpen)
        );
        assert_eq!(
            parse(
                b"0{\"sid\":\"a\",\"pingInterval\":99999999999999999999,\"pingTimeout\":1}",
                false
            ),
            Err(Issue::EioBadOpen)
        );
        let deep = format!("0{}", "[".repeat(10_000));
        assert_eq!(parse(deep.as_bytes(), false), Err(Issue::EioBadOpen));
    }

    #[test]
    fn content_check_is_strict() {
        assert!(looks_like(b"2"));
        assert!(looks_like(b"42[\"chat\",\"hi\"]"));
        assert!(looks_like(b"40"));
        assert!(!looks_like(b"hello"));
        assert!(!looks_like(b"4hello"));
        assert!(!looks_like(b"22"));
        assert!(!looks_like(b"0{}"));
    }
}
