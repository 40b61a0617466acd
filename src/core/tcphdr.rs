//! The IPv4/IPv6 and TCP headers of one packet (RFC 791, RFC 8200, RFC 9293 §3.1), read from the
//! captured bytes: what keep-alive analysis needs of every TCP segment (sequence and
//! acknowledgement numbers, flags, payload length) and where the payload starts, without asking
//! Wireshark for a protocol tree.

/// One TCP segment's header facts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpHeader {
    pub src_port: u16,
    pub dst_port: u16,
    /// Raw sequence and acknowledgement numbers.
    pub seq: u32,
    pub ack: u32,
    /// The 9 flag bits (NS..FIN).
    pub flags: u16,
    /// Offset of the TCP payload from the start of the IP header.
    pub payload_offset: usize,
    /// Payload length as the IP header gives it (not what was captured).
    pub payload_len: u32,
}

fn u16_at(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]))
}

/// `ip` starts with an IP header (version 4 or 6) and holds at least its headers and the TCP
/// header (more is fine). `captured` is how many bytes of the IP packet the capture holds, used
/// when the length fields say 0 (segmentation offload, jumbograms). `None` when it is not an
/// unfragmented TCP segment whose headers are all in `ip`.
pub fn parse(ip: &[u8], captured: usize) -> Option<TcpHeader> {
    let (tcp_off, ip_payload_len) = match ip.first()? >> 4 {
        4 => {
            // The fixed header, bounds-checked once (shorter bytes cannot hold a TCP header).
            let h: &[u8; 20] = ip.get(..20)?.try_into().ok()?;
            let ihl = (h[0] & 0x0f) as usize * 4;
            let total = u16::from_be_bytes([h[2], h[3]]) as usize;
            let frag = u16::from_be_bytes([h[6], h[7]]);
            // RFC 791: a fragment (MF set or an offset) does not start with our TCP header.
            if ihl < 20 || h[9] != 6 || frag & 0x3fff != 0 {
                return None;
            }
            // Total length 0: a segment captured before segmentation offload split it.
            let total = if total == 0 { captured } else { total };
            (ihl, total.checked_sub(ihl)?)
        }
        6 => {
            let payload = u16_at(ip, 4)? as usize;
            let payload = if payload == 0 {
                captured.checked_sub(40)?
            } else {
                payload
            };
            let mut next = *ip.get(6)?;
            let mut off = 40usize;
            loop {
                match next {
                    6 => break,
                    // Hop-by-hop, routing, destination options (RFC 8200 §4.3-§4.6).
                    0 | 43 | 60 => {
                        next = *ip.get(off)?;
                        off += (*ip.get(off + 1)? as usize + 1) * 8;
                    }
                    // Fragment header: only an unfragmented "atomic fragment" carries TCP here.
                    44 => {
                        if u16_at(ip, off + 2)? & 0xfff9 != 0 {
                            return None;
                        }
                        next = *ip.get(off)?;
                        off += 8;
                    }
                    // Authentication header (RFC 4302 §2.2).
                    51 => {
                        next = *ip.get(off)?;
                        off += (*ip.get(off + 1)? as usize + 2) * 4;
                    }
                    _ => return None,
                }
            }
            (off, (40 + payload).checked_sub(off)?)
        }
        _ => return None,
    };
    // The fixed TCP header, bounds-checked once.
    let t: &[u8; 20] = ip.get(tcp_off..)?.get(..20)?.try_into().ok()?;
    let doff = (t[12] >> 4) as usize * 4;
    if doff < 20 {
        return None;
    }
    let u32_at = |i: usize| u32::from_be_bytes([t[i], t[i + 1], t[i + 2], t[i + 3]]);
    Some(TcpHeader {
        src_port: u16::from_be_bytes([t[0], t[1]]),
        dst_port: u16::from_be_bytes([t[2], t[3]]),
        seq: u32_at(4),
        ack: u32_at(8),
        flags: (u16::from(t[12] & 1) << 8) | u16::from(t[13]),
        payload_offset: tcp_off + doff,
        payload_len: ip_payload_len.checked_sub(doff)? as u32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(seq: u32, ack: u32, flags: u8, opts: usize) -> Vec<u8> {
        let mut t = vec![0u8; 20 + opts];
        t[0..2].copy_from_slice(&40000u16.to_be_bytes());
        t[2..4].copy_from_slice(&8080u16.to_be_bytes());
        t[4..8].copy_from_slice(&seq.to_be_bytes());
        t[8..12].copy_from_slice(&ack.to_be_bytes());
        t[12] = (((20 + opts) / 4) as u8) << 4;
        t[13] = flags;
        t
    }

    fn v4(tcp: &[u8], payload: usize, frag: u16) -> Vec<u8> {
        let mut ip = vec![0u8; 20];
        ip[0] = 0x45;
        ip[2..4].copy_from_slice(&((20 + tcp.len() + payload) as u16).to_be_bytes());
        ip[6..8].copy_from_slice(&frag.to_be_bytes());
        ip[9] = 6;
        ip.extend_from_slice(tcp);
        ip.extend(std::iter::repeat_n(0xaa, payload));
        ip
    }

    #[test]
    fn ipv4_segment() {
        let ip = v4(&tcp(1000, 2000, 0x18, 12), 5, 0x4000);
        // Ethernet padding after the packet must not count as payload.
        let mut padded = ip.clone();
        padded.extend_from_slice(&[0; 6]);
        let h = parse(&padded, padded.len()).unwrap();
        assert_eq!((h.seq, h.ack, h.flags), (1000, 2000, 0x18));
        assert_eq!((h.src_port, h.dst_port), (40000, 8080));
        assert_eq!((h.payload_offset, h.payload_len), (52, 5));
        // A zero-byte keep-alive probe.
        let ip = v4(&tcp(999, 2000, 0x10, 0), 0, 0);
        assert_eq!(parse(&ip, ip.len()).unwrap().payload_len, 0);
    }

    #[test]
    fn ipv4_not_ours() {
        let ip = v4(&tcp(1, 2, 0x10, 0), 10, 0x2000); // MF: a first fragment
        assert_eq!(parse(&ip, ip.len()), None);
        let mut udp = v4(&tcp(1, 2, 0x10, 0), 0, 0);
        udp[9] = 17;
        assert_eq!(parse(&udp, udp.len()), None);
        let ip = v4(&tcp(1, 2, 0x10, 0), 0, 0);
        assert_eq!(parse(&ip[..30], 30), None, "TCP header cut");
        assert_eq!(parse(&[], 0), None);
    }

    #[test]
    fn ipv6_with_extension_headers() {
        let t = tcp(7, 8, 0x11, 0);
        let mut ip = vec![0u8; 40];
        ip[0] = 0x60;
        ip[6] = 0; // hop-by-hop
        let hbh = [60u8, 0, 0, 0, 0, 0, 0, 0]; // -> destination options
        let dst = [44u8, 0, 0, 0, 0, 0, 0, 0]; // -> fragment
        let frag = [6u8, 0, 0, 0, 0, 0, 0, 1]; // atomic fragment -> TCP
        let plen = hbh.len() + dst.len() + frag.len() + t.len() + 3;
        ip[4..6].copy_from_slice(&(plen as u16).to_be_bytes());
        ip.extend_from_slice(&hbh);
        ip.extend_from_slice(&dst);
        ip.extend_from_slice(&frag);
        ip.extend_from_slice(&t);
        ip.extend_from_slice(b"abc");
        let h = parse(&ip, ip.len()).unwrap();
        assert_eq!((h.seq, h.ack, h.flags), (7, 8, 0x11));
        assert_eq!((h.payload_offset, h.payload_len), (84, 3));
        // A real fragment is not parsed.
        ip[40 + 16 + 2..40 + 16 + 4].copy_from_slice(&0x0009u16.to_be_bytes());
        assert_eq!(parse(&ip, ip.len()), None);
    }

    #[test]
    fn never_panics_on_garbage() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for n in 0..20_000usize {
            let len = n % 97;
            let b: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x >> 24) as u8
                })
                .collect();
            let _ = parse(&b, (x as usize) % 200);
        }
    }
}
