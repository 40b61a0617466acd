//! Helpers shared by the core's unit tests and, through `#[path]`, by the tshark tests
//! (tests/common/mod.rs): a deterministic PRNG and the WebSocket frame builder.
#![allow(dead_code)]

/// Small deterministic PRNG (xorshift64*), no external crates.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A value in `0..n`, for indexing.
    pub fn index(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// One WebSocket frame (RFC 6455 §5.2), built by name and encoded by [`Frame::encode`]:
/// `Frame::text(b"fine").masked(key).fin(false).encode()`. The one frame encoder of the Rust tests:
/// the core's unit tests use it from here, the tshark tests (tests/common) include this file.
#[derive(Clone, Debug)]
pub struct Frame<'a> {
    opcode: u8,
    payload: &'a [u8],
    fin: bool,
    rsv: u8,
    mask: Option<[u8; 4]>,
    len: Option<u64>,
    form: LengthForm,
}

/// Which of the three length forms carries the payload length (§5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LengthForm {
    /// The smallest form that holds the length (what §5.2 requires).
    Minimal,
    /// 126 and a 16-bit length, whatever the length.
    Bits16,
    /// 127 and a 64-bit length, whatever the length.
    Bits64,
}

impl<'a> Frame<'a> {
    /// A final, unmasked frame with no RSV bits and the minimal length form.
    pub fn new(opcode: u8, payload: &'a [u8]) -> Self {
        Frame {
            opcode,
            payload,
            fin: true,
            rsv: 0,
            mask: None,
            len: None,
            form: LengthForm::Minimal,
        }
    }
    pub fn continuation(payload: &'a [u8]) -> Self {
        Self::new(0x0, payload)
    }
    pub fn text(payload: &'a [u8]) -> Self {
        Self::new(0x1, payload)
    }
    pub fn binary(payload: &'a [u8]) -> Self {
        Self::new(0x2, payload)
    }
    pub fn close(payload: &'a [u8]) -> Self {
        Self::new(0x8, payload)
    }
    pub fn ping(payload: &'a [u8]) -> Self {
        Self::new(0x9, payload)
    }
    pub fn pong(payload: &'a [u8]) -> Self {
        Self::new(0xA, payload)
    }
    /// The FIN bit (false: more frames of this message follow).
    pub fn fin(mut self, fin: bool) -> Self {
        self.fin = fin;
        self
    }
    /// The three RSV bits as a number: 4 is RSV1 (permessage-deflate), 2 RSV2, 1 RSV3.
    pub fn rsv(mut self, rsv: u8) -> Self {
        self.rsv = rsv & 7;
        self
    }
    /// RSV1 set: a compressed message's first frame (RFC 7692).
    pub fn compressed(self) -> Self {
        self.rsv(4)
    }
    /// Masked with `key` (what a client sends, §5.3).
    pub fn masked(self, key: [u8; 4]) -> Self {
        self.mask(Some(key))
    }
    /// Masked with the key when there is one.
    pub fn mask(mut self, key: Option<[u8; 4]>) -> Self {
        self.mask = key;
        self
    }
    /// A length field claiming `len` bytes, whatever the payload holds.
    pub fn claimed_len(mut self, len: u64) -> Self {
        self.len = Some(len);
        self
    }
    /// The length in this form (a non-minimal form is a §5.2 violation).
    pub fn length_form(mut self, form: LengthForm) -> Self {
        self.form = form;
        self
    }

    /// The header: first byte, mask bit and length, masking key.
    pub fn header(&self) -> Vec<u8> {
        let b0 = (u8::from(self.fin) << 7) | (self.rsv << 4) | (self.opcode & 0x0f);
        let len = self.len.unwrap_or(self.payload.len() as u64);
        let m = if self.mask.is_some() { 0x80 } else { 0 };
        let form = match self.form {
            LengthForm::Minimal if len > 0xFFFF => LengthForm::Bits64,
            LengthForm::Minimal if len > 125 => LengthForm::Bits16,
            f => f,
        };
        let mut v = vec![b0];
        match form {
            LengthForm::Minimal => v.push(m | len as u8),
            LengthForm::Bits16 => {
                v.push(m | 126);
                v.extend_from_slice(&(len as u16).to_be_bytes());
            }
            LengthForm::Bits64 => {
                v.push(m | 127);
                v.extend_from_slice(&len.to_be_bytes());
            }
        }
        if let Some(k) = self.mask {
            v.extend_from_slice(&k);
        }
        v
    }

    /// The whole frame: header, then the payload (masked when a key is set).
    pub fn encode(&self) -> Vec<u8> {
        let mut v = self.header();
        match self.mask {
            Some(k) => v.extend(self.payload.iter().enumerate().map(|(i, b)| b ^ k[i % 4])),
            None => v.extend_from_slice(self.payload),
        }
        v
    }
}

/// A frame header with first byte `b0` and the minimal length form for `len`; the masking key
/// follows when `mask` is given (for tests that take the header bits as a byte).
pub fn header(b0: u8, mask: Option<[u8; 4]>, len: u64) -> Vec<u8> {
    let mut f = Frame::new(b0 & 0x0f, &[])
        .fin(b0 & 0x80 != 0)
        .rsv((b0 >> 4) & 7)
        .mask(mask)
        .claimed_len(len)
        .header();
    f[0] = b0;
    f
}
