//! A minimal pcap writer for hand-made captures: Ethernet/IPv4/TCP with real checksums and
//! consistent sequence numbers, so that Wireshark's TCP analysis and reassembly treat them as real.
//! The WebSocket frames inside are built with [`super::Frame`].

pub struct Pcap {
    buf: Vec<u8>,
    pub count: u32,
    t_us: u64,
}

impl Default for Pcap {
    fn default() -> Self {
        Self::new()
    }
}

fn csum(data: &[u8], init: u32) -> u16 {
    let mut s = init;
    for ch in data.chunks(2) {
        let w = if ch.len() == 2 {
            u16::from_be_bytes([ch[0], ch[1]])
        } else {
            u16::from_be_bytes([ch[0], 0])
        };
        s += w as u32;
    }
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

impl Pcap {
    pub fn new() -> Self {
        let mut buf = Vec::new();
        buf.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
        buf.extend_from_slice(&2u16.to_le_bytes());
        buf.extend_from_slice(&4u16.to_le_bytes());
        buf.extend_from_slice(&0i32.to_le_bytes());
        buf.extend_from_slice(&0u32.to_le_bytes());
        buf.extend_from_slice(&262144u32.to_le_bytes());
        buf.extend_from_slice(&1u32.to_le_bytes()); // Ethernet
        Pcap {
            buf,
            count: 0,
            t_us: 1_700_000_000_000_000,
        }
    }

    /// Append a packet; `caplen` cuts the captured bytes (a truncated capture). Returns its number.
    pub fn packet(&mut self, frame: &[u8], caplen: Option<usize>) -> u32 {
        self.t_us += 1000;
        let incl = caplen.unwrap_or(frame.len()).min(frame.len());
        self.buf
            .extend_from_slice(&((self.t_us / 1_000_000) as u32).to_le_bytes());
        self.buf
            .extend_from_slice(&((self.t_us % 1_000_000) as u32).to_le_bytes());
        self.buf.extend_from_slice(&(incl as u32).to_le_bytes());
        self.buf
            .extend_from_slice(&(frame.len() as u32).to_le_bytes());
        self.buf.extend_from_slice(&frame[..incl]);
        self.count += 1;
        self.count
    }

    pub fn advance_us(&mut self, us: u64) {
        self.t_us += us;
    }

    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }
}

/// One TCP connection between a client and a server, written into a Pcap.
pub struct Conn {
    pub cli: ([u8; 4], u16),
    pub srv: ([u8; 4], u16),
    cseq: u32,
    sseq: u32,
}

pub const SYN: u8 = 0x02;
pub const ACK: u8 = 0x10;
pub const PSH: u8 = 0x08;
pub const FIN: u8 = 0x01;
pub const RST: u8 = 0x04;

impl Conn {
    /// A connection with its three-way handshake written to `p`.
    pub fn open(p: &mut Pcap, cli_port: u16, srv_port: u16) -> Conn {
        let mut c = Conn {
            cli: ([10, 0, 0, 1], cli_port),
            srv: ([10, 0, 0, 2], srv_port),
            cseq: 1000,
            sseq: 5000,
        };
        c.seg(p, true, SYN, &[], None);
        c.cseq += 1;
        c.seg(p, false, SYN | ACK, &[], None);
        c.sseq += 1;
        c.seg(p, true, ACK, &[], None);
        c
    }

    fn seg(
        &mut self,
        p: &mut Pcap,
        from_client: bool,
        flags: u8,
        payload: &[u8],
        caplen: Option<usize>,
    ) -> u32 {
        let (src, dst, seq, ack) = if from_client {
            (
                self.cli,
                self.srv,
                self.cseq,
                if flags & SYN != 0 && flags & ACK == 0 {
                    0
                } else {
                    self.sseq
                },
            )
        } else {
            (self.srv, self.cli, self.sseq, self.cseq)
        };
        let mut tcp = Vec::with_capacity(20 + payload.len());
        tcp.extend_from_slice(&src.1.to_be_bytes());
        tcp.extend_from_slice(&dst.1.to_be_bytes());
        tcp.extend_from_slice(&seq.to_be_bytes());
        tcp.extend_from_slice(&ack.to_be_bytes());
        tcp.push(5 << 4);
        tcp.push(flags);
        tcp.extend_from_slice(&65535u16.to_be_bytes());
        tcp.extend_from_slice(&[0, 0, 0, 0]);
        tcp.extend_from_slice(payload);
        let mut pseudo = Vec::new();
        pseudo.extend_from_slice(&src.0);
        pseudo.extend_from_slice(&dst.0);
        pseudo.extend_from_slice(&[0, 6]);
        pseudo.extend_from_slice(&(tcp.len() as u16).to_be_bytes());
        pseudo.extend_from_slice(&tcp);
        let c = csum(&pseudo, 0);
        tcp[16..18].copy_from_slice(&c.to_be_bytes());
        let mut ip = vec![0x45, 0];
        ip.extend_from_slice(&((20 + tcp.len()) as u16).to_be_bytes());
        ip.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
        ip.extend_from_slice(&src.0);
        ip.extend_from_slice(&dst.0);
        let c = csum(&ip, 0);
        ip[10..12].copy_from_slice(&c.to_be_bytes());
        let mut eth = vec![
            2,
            0,
            0,
            0,
            0,
            if from_client { 2 } else { 1 },
            2,
            0,
            0,
            0,
            0,
            if from_client { 1 } else { 2 },
            8,
            0,
        ];
        eth.extend_from_slice(&ip);
        eth.extend_from_slice(&tcp);
        let n = p.packet(&eth, caplen.map(|c| 14 + 20 + 20 + c));
        if from_client {
            self.cseq = self.cseq.wrapping_add(payload.len() as u32);
        } else {
            self.sseq = self.sseq.wrapping_add(payload.len() as u32);
        }
        n
    }

    /// A connection already open when the capture starts (no handshake written).
    pub fn midstream(cli_port: u16, srv_port: u16, cseq: u32, sseq: u32) -> Conn {
        Conn {
            cli: ([10, 0, 0, 1], cli_port),
            srv: ([10, 0, 0, 2], srv_port),
            cseq,
            sseq,
        }
    }

    /// Next sequence numbers (client, server).
    pub fn next_seqs(&self) -> (u32, u32) {
        (self.cseq, self.sseq)
    }

    /// A segment with an explicit sequence number (keep-alive probes: next - 1); does not move
    /// the sender's next sequence number.
    pub fn raw(
        &mut self,
        p: &mut Pcap,
        from_client: bool,
        seq: u32,
        flags: u8,
        payload: &[u8],
    ) -> u32 {
        let saved = if from_client {
            std::mem::replace(&mut self.cseq, seq)
        } else {
            std::mem::replace(&mut self.sseq, seq)
        };
        let n = self.seg(p, from_client, flags, payload, None);
        if from_client {
            self.cseq = saved;
        } else {
            self.sseq = saved;
        }
        n
    }

    /// Advance the capture clock (an idle period).
    pub fn idle(p: &mut Pcap, secs: u64) {
        p.advance_us(secs * 1_000_000);
    }

    pub fn client(&mut self, p: &mut Pcap, payload: &[u8]) -> u32 {
        self.seg(p, true, PSH | ACK, payload, None)
    }
    pub fn server(&mut self, p: &mut Pcap, payload: &[u8]) -> u32 {
        self.seg(p, false, PSH | ACK, payload, None)
    }
    /// A segment whose capture keeps only `keep` payload bytes.
    pub fn client_cut(&mut self, p: &mut Pcap, payload: &[u8], keep: usize) -> u32 {
        self.seg(p, true, PSH | ACK, payload, Some(keep))
    }
    pub fn server_cut(&mut self, p: &mut Pcap, payload: &[u8], keep: usize) -> u32 {
        self.seg(p, false, PSH | ACK, payload, Some(keep))
    }

    /// Send `bytes` from the server in MSS-sized segments; returns the last frame number.
    pub fn server_stream(&mut self, p: &mut Pcap, bytes: &[u8]) -> u32 {
        let mut last = 0;
        for chunk in bytes.chunks(1448) {
            last = self.server(p, chunk);
        }
        last
    }

    /// The handshake with a negotiated Sec-WebSocket-Extensions value.
    pub fn ws_handshake_ext(&mut self, p: &mut Pcap, extensions: &str) -> (u32, u32) {
        let req = format!(
            "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Extensions: {extensions}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        let resp = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Extensions: {extensions}\r\n\r\n"
        );
        (
            self.client(p, req.as_bytes()),
            self.server(p, resp.as_bytes()),
        )
    }

    /// The RFC 6455 §1.2 handshake; `accept` overrides the (correct) accept value.
    pub fn ws_handshake(&mut self, p: &mut Pcap, accept: Option<&str>) -> (u32, u32) {
        let req = "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        let resp = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
            accept.unwrap_or("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        );
        (
            self.client(p, req.as_bytes()),
            self.server(p, resp.as_bytes()),
        )
    }
}
