//! Just enough MQTT (3.1.1 and 5, OASIS) to see its keep-alive: the control packets of a binary
//! WebSocket message (PINGREQ, PINGRESP) and CONNECT's Keep Alive. Wireshark's MQTT dissector
//! shows the packets themselves.

pub const CONNECT: u8 = 1;
pub const PINGREQ: u8 = 12;
pub const PINGRESP: u8 = 13;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Control {
    /// Packet type (upper nibble of the first byte).
    pub ptype: u8,
    /// Offset of the packet in the message and its total length (as far as the message goes).
    pub at: usize,
    /// CONNECT: the Keep Alive in seconds (0 = off).
    pub keep_alive: Option<u16>,
}

/// The control packets of one message, at most `max` (a packet cut by the end of the message is
/// kept only when its header is complete).
pub fn packets(s: &[u8], max: usize) -> Vec<Control> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() && out.len() < max {
        let ptype = s[i] >> 4;
        // Remaining Length: a variable byte integer of at most 4 bytes (MQTT 3.1.1 §2.2.3).
        let mut len: usize = 0;
        let mut j = i + 1;
        let mut shift = 0;
        loop {
            let Some(&b) = s.get(j) else { return out };
            len |= usize::from(b & 0x7f) << shift;
            j += 1;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
            if shift > 21 {
                return out;
            }
        }
        let body = j;
        let keep_alive = (ptype == CONNECT)
            .then(|| connect_keep_alive(&s[body..]))
            .flatten();
        out.push(Control {
            ptype,
            at: i,
            keep_alive,
        });
        i = body.saturating_add(len);
    }
    out
}

fn connect_keep_alive(v: &[u8]) -> Option<u16> {
    // Protocol Name (2-byte length + bytes), Level, Flags, Keep Alive (2 bytes).
    let n = usize::from(u16::from_be_bytes([*v.first()?, *v.get(1)?]));
    let at = 2 + n + 2;
    Some(u16::from_be_bytes([*v.get(at)?, *v.get(at + 1)?]))
}

/// Content check: a CONNECT with protocol name "MQTT" (3.1.1, 5) or "MQIsdp" (3.1).
pub fn looks_like(s: &[u8]) -> bool {
    let Some(p) = packets(s, 1).first().copied() else {
        return false;
    };
    if p.ptype != CONNECT || p.keep_alive.is_none() {
        return false;
    }
    let body = &s[1..];
    let skip = body
        .iter()
        .take(4)
        .position(|b| b & 0x80 == 0)
        .map_or(0, |k| k + 1);
    let v = &body[skip..];
    v.len() >= 8 && (v[2..].starts_with(b"MQTT") || v[2..].starts_with(b"MQIsdp"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_and_pings() {
        let connect = [
            0x10, 0x10, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x02, 0x00, 0x3c, 0x00, 0x04,
            b'p', b'a', b'h', b'o',
        ];
        let p = packets(&connect, 8);
        assert_eq!(
            p,
            [Control {
                ptype: CONNECT,
                at: 0,
                keep_alive: Some(60)
            }]
        );
        assert!(looks_like(&connect));
        let two = [0xc0, 0x00, 0xd0, 0x00];
        let p = packets(&two, 8);
        assert_eq!((p[0].ptype, p[1].ptype, p[1].at), (PINGREQ, PINGRESP, 2));
    }

    #[test]
    fn hostile() {
        assert!(packets(&[0x30, 0xff, 0xff, 0xff, 0xff, 0x01], 8).is_empty());
        assert!(packets(&[0x30], 8).is_empty());
        assert_eq!(packets(&[0xc0, 0x00].repeat(100), 8).len(), 8);
        assert!(!looks_like(&[0x10, 0x02, 0x00, 0x04]));
        assert!(!looks_like(b"GET / HTTP/1.1"));
        assert_eq!(packets(&[0x10, 0x7f, 0x00], 8)[0].keep_alive, None);
    }
}
