//! Frame header parsing (RFC 6455 §5.2).

use super::anomaly::Anomaly;
use super::opcode::OpCode;

/// How the payload length was encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LengthForm {
    /// 7-bit length in the second byte (0-125).
    Short,
    /// 126 followed by a 16-bit length.
    Extended16,
    /// 127 followed by a 64-bit length.
    Extended64,
}

/// A decoded frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameHeader {
    pub fin: bool,
    pub rsv1: bool,
    pub rsv2: bool,
    pub rsv3: bool,
    pub opcode: OpCode,
    pub opcode_raw: u8,
    pub masked: bool,
    pub mask: Option<[u8; 4]>,
    pub payload_len: u64,
    pub length_form: LengthForm,
    /// 2..=14
    pub header_len: usize,
}

impl FrameHeader {
    /// header_len + payload_len, saturating.
    pub fn frame_len(&self) -> u64 {
        (self.header_len as u64).saturating_add(self.payload_len)
    }

    /// RSV bits as a 3-bit mask: 0x4 = RSV1, 0x2 = RSV2, 0x1 = RSV3.
    pub fn rsv_bits(&self) -> u8 {
        (u8::from(self.rsv1) << 2) | (u8::from(self.rsv2) << 1) | u8::from(self.rsv3)
    }

    /// Violations visible in the header alone.
    pub fn header_anomalies(&self) -> Vec<Anomaly> {
        let mut out = Vec::new();
        // §5.2: "In all cases, the minimal number of bytes MUST be used to
        // encode the length"
        let not_minimal = match self.length_form {
            LengthForm::Short => false,
            LengthForm::Extended16 => self.payload_len < 126,
            LengthForm::Extended64 => self.payload_len <= 0xFFFF,
        };
        if not_minimal {
            out.push(Anomaly::LengthNotMinimal);
        }
        // §5.2: "If 127, the following 8 bytes interpreted as a 64-bit
        // unsigned integer (the most significant bit MUST be 0) are the
        // payload length."
        if self.length_form == LengthForm::Extended64 && self.payload_len >> 63 != 0 {
            out.push(Anomaly::Length64MsbSet);
        }
        out
    }
}

/// Result of an incremental parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status<T> {
    Complete(T),
    Partial,
}

/// Parse a frame header at the start of `buf`. `Partial` means more bytes
/// are needed; any 2+ bytes form a header, but the extended length and the
/// masking key must be present for `Complete`.
pub fn parse_header(buf: &[u8]) -> Status<FrameHeader> {
    let (b0, b1) = match buf {
        [b0, b1, ..] => (*b0, *b1),
        _ => return Status::Partial,
    };
    let masked = b1 & 0x80 != 0;
    let len7 = b1 & 0x7F;
    let (length_form, ext_len) = match len7 {
        126 => (LengthForm::Extended16, 2usize),
        127 => (LengthForm::Extended64, 8usize),
        _ => (LengthForm::Short, 0usize),
    };
    let mask_len = if masked { 4 } else { 0 };
    let header_len = 2 + ext_len + mask_len;
    let Some(hdr) = buf.get(..header_len) else {
        return Status::Partial;
    };
    let ext = hdr.get(2..2 + ext_len).unwrap_or(&[]);
    let payload_len = match length_form {
        LengthForm::Short => u64::from(len7),
        LengthForm::Extended16 | LengthForm::Extended64 => {
            ext.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
        }
    };
    let mask = if masked {
        match hdr.get(2 + ext_len..header_len) {
            Some([a, b, c, d]) => Some([*a, *b, *c, *d]),
            _ => return Status::Partial,
        }
    } else {
        None
    };
    let opcode_raw = b0 & 0x0F;
    Status::Complete(FrameHeader {
        fin: b0 & 0x80 != 0,
        rsv1: b0 & 0x40 != 0,
        rsv2: b0 & 0x20 != 0,
        rsv3: b0 & 0x10 != 0,
        opcode: OpCode::from_u8(opcode_raw),
        opcode_raw,
        masked,
        mask,
        payload_len,
        length_form,
        header_len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::opcode::{Control, Data};

    fn complete(buf: &[u8]) -> FrameHeader {
        match parse_header(buf) {
            Status::Complete(h) => h,
            Status::Partial => panic!("expected Complete for {buf:02x?}"),
        }
    }

    /// Every strict prefix shorter than the header is Partial; the exact
    /// header and anything longer are Complete with the same header.
    fn check_split(buf: &[u8], expect_header_len: usize) {
        for cut in 0..buf.len() {
            let r = parse_header(&buf[..cut]);
            if cut < expect_header_len {
                assert_eq!(r, Status::Partial, "cut {cut}");
            } else {
                assert_eq!(r, Status::Complete(complete(buf)), "cut {cut}");
            }
        }
    }

    #[test]
    fn rfc_single_unmasked_text() {
        let f = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
        let h = complete(&f);
        assert!(h.fin && !h.rsv1 && !h.rsv2 && !h.rsv3);
        assert_eq!(h.opcode, OpCode::Data(Data::Text));
        assert_eq!(h.opcode_raw, 1);
        assert!(!h.masked);
        assert_eq!(h.mask, None);
        assert_eq!(h.payload_len, 5);
        assert_eq!(h.length_form, LengthForm::Short);
        assert_eq!(h.header_len, 2);
        assert_eq!(h.frame_len(), 7);
        assert!(h.header_anomalies().is_empty());
        check_split(&f, 2);
    }

    #[test]
    fn rfc_single_masked_text() {
        let f = [
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ];
        let h = complete(&f);
        assert!(h.fin && h.masked);
        assert_eq!(h.mask, Some([0x37, 0xfa, 0x21, 0x3d]));
        assert_eq!(h.payload_len, 5);
        assert_eq!(h.header_len, 6);
        assert_eq!(h.opcode, OpCode::Data(Data::Text));
        check_split(&f, 6);
    }

    #[test]
    fn rfc_fragmented_unmasked_text() {
        let f1 = [0x01, 0x03, 0x48, 0x65, 0x6c];
        let f2 = [0x80, 0x02, 0x6c, 0x6f];
        let h1 = complete(&f1);
        assert!(!h1.fin);
        assert_eq!(h1.opcode, OpCode::Data(Data::Text));
        assert_eq!(h1.payload_len, 3);
        let h2 = complete(&f2);
        assert!(h2.fin);
        assert_eq!(h2.opcode, OpCode::Data(Data::Continue));
        assert_eq!(h2.payload_len, 2);
        check_split(&f1, 2);
        check_split(&f2, 2);
    }

    #[test]
    fn rfc_ping_and_pong() {
        let ping = [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
        let h = complete(&ping);
        assert_eq!(h.opcode, OpCode::Control(Control::Ping));
        assert!(h.fin && !h.masked);
        assert_eq!(h.payload_len, 5);
        check_split(&ping, 2);
        let pong = [
            0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ];
        let h = complete(&pong);
        assert_eq!(h.opcode, OpCode::Control(Control::Pong));
        assert!(h.fin && h.masked);
        assert_eq!(h.mask, Some([0x37, 0xfa, 0x21, 0x3d]));
        assert_eq!(h.header_len, 6);
        check_split(&pong, 6);
    }

    #[test]
    fn rfc_256_binary() {
        let mut f = vec![0x82, 0x7E, 0x01, 0x00];
        f.extend(std::iter::repeat_n(0xAB, 256));
        let h = complete(&f);
        assert_eq!(h.opcode, OpCode::Data(Data::Binary));
        assert_eq!(h.payload_len, 256);
        assert_eq!(h.length_form, LengthForm::Extended16);
        assert_eq!(h.header_len, 4);
        assert_eq!(h.frame_len(), 260);
        assert!(h.header_anomalies().is_empty());
        check_split(&f[..10], 4);
    }

    #[test]
    fn rfc_64k_binary() {
        let f = [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0, 0xEE, 0xEE];
        let h = complete(&f);
        assert_eq!(h.payload_len, 65536);
        assert_eq!(h.length_form, LengthForm::Extended64);
        assert_eq!(h.header_len, 10);
        assert!(h.header_anomalies().is_empty());
        check_split(&f, 10);
    }

    /// A Binary frame header claiming `len` bytes in `form`, from the tests' frame builder.
    fn encode(len: u64, form: LengthForm, mask: Option<[u8; 4]>) -> Vec<u8> {
        use crate::core::testutil::{Frame, LengthForm as Form};
        let form = match form {
            LengthForm::Short => Form::Minimal,
            LengthForm::Extended16 => Form::Bits16,
            LengthForm::Extended64 => Form::Bits64,
        };
        Frame::binary(&[])
            .claimed_len(len)
            .length_form(form)
            .mask(mask)
            .header()
    }

    #[test]
    fn length_forms_and_boundaries() {
        let cases = [
            (0u64, LengthForm::Short, 2usize),
            (125, LengthForm::Short, 2),
            (126, LengthForm::Extended16, 4),
            (65535, LengthForm::Extended16, 4),
            (65536, LengthForm::Extended64, 10),
            ((1u64 << 63) - 1, LengthForm::Extended64, 10),
        ];
        for (len, form, hl) in cases {
            for mask in [None, Some([1, 2, 3, 4])] {
                let buf = encode(len, form, mask);
                let h = complete(&buf);
                assert_eq!(h.payload_len, len);
                assert_eq!(h.length_form, form);
                let extra = if mask.is_some() { 4 } else { 0 };
                assert_eq!(h.header_len, hl + extra);
                assert_eq!(h.mask, mask);
                assert!(h.header_anomalies().is_empty(), "len {len}");
                check_split(&buf, hl + extra);
            }
        }
    }

    #[test]
    fn length_not_minimal() {
        for (len, form) in [
            (0u64, LengthForm::Extended16),
            (125, LengthForm::Extended16),
            (0, LengthForm::Extended64),
            (125, LengthForm::Extended64),
            (126, LengthForm::Extended64),
            (65535, LengthForm::Extended64),
        ] {
            let h = complete(&encode(len, form, None));
            assert_eq!(h.payload_len, len);
            assert_eq!(h.header_anomalies(), vec![Anomaly::LengthNotMinimal]);
        }
    }

    #[test]
    fn length_msb_set() {
        let h = complete(&encode(1u64 << 63, LengthForm::Extended64, None));
        assert_eq!(h.header_anomalies(), vec![Anomaly::Length64MsbSet]);
        let h = complete(&encode(u64::MAX, LengthForm::Extended64, Some([0; 4])));
        assert_eq!(h.payload_len, u64::MAX);
        assert_eq!(h.frame_len(), u64::MAX);
        assert_eq!(h.header_anomalies(), vec![Anomaly::Length64MsbSet]);
    }

    #[test]
    fn flags_and_reserved() {
        let h = complete(&[0x7B, 0x00]);
        assert!(!h.fin && h.rsv1 && h.rsv2 && h.rsv3);
        assert_eq!(h.rsv_bits(), 7);
        assert_eq!(h.opcode, OpCode::Control(Control::Reserved(0xB)));
        assert_eq!(h.opcode_raw, 0xB);
        let h = complete(&[0x43, 0x00]);
        assert_eq!(h.rsv_bits(), 4);
        assert_eq!(h.opcode, OpCode::Data(Data::Reserved(3)));
    }

    use crate::core::testutil::Rng;

    #[test]
    fn property_prefix_monotonic() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..5000 {
            let n = (rng.next() % 20) as usize;
            let mut buf: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            // Bias the length byte towards the interesting values.
            if let Some(b) = buf.get_mut(1) {
                match rng.next() % 4 {
                    0 => *b = (*b & 0x80) | 126,
                    1 => *b = (*b & 0x80) | 127,
                    _ => {}
                }
            }
            let mut first: Option<FrameHeader> = None;
            for cut in 0..=buf.len() {
                match parse_header(&buf[..cut]) {
                    Status::Complete(h) => {
                        assert!((2..=14).contains(&h.header_len));
                        assert!(h.header_len <= cut);
                        let _ = h.header_anomalies();
                        let _ = h.frame_len();
                        match first {
                            None => {
                                assert_eq!(h.header_len, cut, "completes exactly at header_len");
                                first = Some(h);
                            }
                            Some(f) => assert_eq!(f, h),
                        }
                    }
                    Status::Partial => assert!(first.is_none(), "Complete became Partial"),
                }
            }
        }
    }
}
