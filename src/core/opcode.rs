//! WebSocket opcodes (RFC 6455 §5.2, §11.8).

/// Data-frame opcodes (0x0-0x7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Data {
    /// 0x0: continuation of a fragmented message.
    Continue,
    /// 0x1: text frame (UTF-8).
    Text,
    /// 0x2: binary frame.
    Binary,
    /// 0x3-0x7: reserved for further non-control frames.
    Reserved(u8),
}

/// Control-frame opcodes (0x8-0xF).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// 0x8: connection close.
    Close,
    /// 0x9: ping.
    Ping,
    /// 0xA: pong.
    Pong,
    /// 0xB-0xF: reserved for further control frames.
    Reserved(u8),
}

/// A frame opcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpCode {
    Data(Data),
    Control(Control),
}

impl OpCode {
    /// Decode the low four bits of `v`.
    pub fn from_u8(v: u8) -> OpCode {
        let v = v & 0x0F;
        match v {
            0x0 => OpCode::Data(Data::Continue),
            0x1 => OpCode::Data(Data::Text),
            0x2 => OpCode::Data(Data::Binary),
            0x3..=0x7 => OpCode::Data(Data::Reserved(v)),
            0x8 => OpCode::Control(Control::Close),
            0x9 => OpCode::Control(Control::Ping),
            0xA => OpCode::Control(Control::Pong),
            _ => OpCode::Control(Control::Reserved(v)),
        }
    }

    /// The 4-bit wire value.
    pub fn to_u8(self) -> u8 {
        match self {
            OpCode::Data(Data::Continue) => 0x0,
            OpCode::Data(Data::Text) => 0x1,
            OpCode::Data(Data::Binary) => 0x2,
            OpCode::Data(Data::Reserved(v)) => v & 0x0F,
            OpCode::Control(Control::Close) => 0x8,
            OpCode::Control(Control::Ping) => 0x9,
            OpCode::Control(Control::Pong) => 0xA,
            OpCode::Control(Control::Reserved(v)) => v & 0x0F,
        }
    }

    /// Control frames have the most significant opcode bit set (§5.5).
    pub fn is_control(self) -> bool {
        matches!(self, OpCode::Control(_))
    }

    /// True for 0x3-0x7 and 0xB-0xF.
    pub fn is_reserved(self) -> bool {
        matches!(
            self,
            OpCode::Data(Data::Reserved(_)) | OpCode::Control(Control::Reserved(_))
        )
    }

    /// Human-readable name.
    pub fn name(self) -> &'static str {
        match self {
            OpCode::Data(Data::Continue) => "Continuation",
            OpCode::Data(Data::Text) => "Text",
            OpCode::Data(Data::Binary) => "Binary",
            OpCode::Control(Control::Close) => "Close",
            OpCode::Control(Control::Ping) => "Ping",
            OpCode::Control(Control::Pong) => "Pong",
            OpCode::Data(Data::Reserved(_)) | OpCode::Control(Control::Reserved(_)) => "Reserved",
        }
    }
}

/// (value, name) pairs for all 16 opcodes.
pub const OPCODE_NAMES: [(u8, &str); 16] = [
    (0x0, "Continuation"),
    (0x1, "Text"),
    (0x2, "Binary"),
    (0x3, "Reserved"),
    (0x4, "Reserved"),
    (0x5, "Reserved"),
    (0x6, "Reserved"),
    (0x7, "Reserved"),
    (0x8, "Close"),
    (0x9, "Ping"),
    (0xA, "Pong"),
    (0xB, "Reserved"),
    (0xC, "Reserved"),
    (0xD, "Reserved"),
    (0xE, "Reserved"),
    (0xF, "Reserved"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_all() {
        for v in 0u8..=255 {
            let op = OpCode::from_u8(v);
            assert_eq!(op.to_u8(), v & 0x0F);
            assert_eq!(op.is_control(), v & 0x08 != 0);
            assert_eq!(op.name(), OPCODE_NAMES[usize::from(v & 0x0F)].1);
        }
    }

    #[test]
    fn table_values() {
        for (i, (v, _)) in OPCODE_NAMES.iter().enumerate() {
            assert_eq!(usize::from(*v), i);
        }
        assert_eq!(OpCode::from_u8(1), OpCode::Data(Data::Text));
        assert_eq!(OpCode::from_u8(0x8), OpCode::Control(Control::Close));
        assert_eq!(
            OpCode::from_u8(0xB),
            OpCode::Control(Control::Reserved(0xB))
        );
        assert_eq!(OpCode::from_u8(0x3), OpCode::Data(Data::Reserved(3)));
        assert!(OpCode::from_u8(0x3).is_reserved());
        assert!(!OpCode::from_u8(0xA).is_reserved());
        assert_eq!(OpCode::from_u8(0x0).name(), "Continuation");
    }
}
