//! What Follow Stream shows of one WebSocket message: a label line (`[Client.3 Text, 5 bytes]`)
//! and, for data messages, the message itself (unmasked, reassembled, inflated). Control frames
//! are one line: a ping's or pong's payload in hex, a Close's code and reason.
//!
//! Follow Stream prints whatever bytes a follower hands it (tshark's ascii, hex, raw and yaml
//! forms, the GUI's dialog), so the label is part of those bytes: one block per message.

use super::close::{close_code_name, ClosePayload};
use super::message::Direction;
use super::opcode::{Control, OpCode};

/// One completed message, as the first pass stored it.
#[derive(Clone, Debug)]
pub struct Message<'a> {
    pub dir: Direction,
    /// 1-based per direction (`ws.msg.index`).
    pub index: u32,
    /// Opcode of the message's first frame.
    pub msg_type: u8,
    /// The application's bytes: inflated when compressed, possibly cut (see `truncated`).
    pub data: &'a [u8],
    /// The message's length on the wire (sum of its frames' payload lengths).
    pub wire_len: u64,
    pub frames: u32,
    pub compressed: bool,
    /// Bytes are missing from `data` (a cap, or a frame not fully captured).
    pub truncated: bool,
    /// Close frames: the parsed payload.
    pub close: Option<&'a ClosePayload>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The label of a message, without brackets: `Client.3 Text, 5 bytes, 2 frames`.
pub fn label(m: &Message) -> String {
    let op = OpCode::from_u8(m.msg_type);
    let mut s = format!("{}.{} {}", m.dir.label(), m.index, op.name());
    if op == OpCode::Control(Control::Close) {
        match m.close {
            Some(ClosePayload {
                code: Some(code),
                reason,
                ..
            }) => {
                s.push_str(&format!(", code {code} ({})", close_code_name(*code)));
                if let Some(r) = reason {
                    s.push_str(&format!(", reason \"{}\"", String::from_utf8_lossy(r)));
                }
            }
            _ => s.push_str(", no status code"),
        }
        return s;
    }
    s.push_str(&format!(", {} bytes", m.data.len()));
    if m.frames > 1 {
        s.push_str(&format!(", {} frames", m.frames));
    }
    if m.compressed {
        s.push_str(&format!(", compressed: {} bytes on the wire", m.wire_len));
    }
    if m.truncated {
        s.push_str(", cut short");
    }
    if op.is_control() && !m.data.is_empty() {
        s.push_str(&format!(": {}", hex(m.data)));
    }
    s
}

/// The bytes Follow Stream shows for the message: `[label]\n`, then for Text, Binary (and
/// reserved data opcodes) the message and `\n`.
pub fn block(m: &Message) -> Vec<u8> {
    let mut out = format!("[{}]\n", label(m)).into_bytes();
    if !OpCode::from_u8(m.msg_type).is_control() && !m.data.is_empty() {
        out.extend_from_slice(m.data);
        out.push(b'\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::close::parse_close;

    fn msg(dir: Direction, index: u32, msg_type: u8, data: &[u8]) -> Message<'_> {
        Message {
            dir,
            index,
            msg_type,
            data,
            wire_len: data.len() as u64,
            frames: 1,
            compressed: false,
            truncated: false,
            close: None,
        }
    }

    #[test]
    fn text_message_is_label_then_text() {
        let m = msg(Direction::Client, 3, 1, b"hello");
        assert_eq!(block(&m), b"[Client.3 Text, 5 bytes]\nhello\n");
    }

    #[test]
    fn binary_keeps_its_bytes() {
        let m = msg(Direction::Server, 2, 2, &[0, 1, 0xff]);
        assert_eq!(block(&m), b"[Server.2 Binary, 3 bytes]\n\x00\x01\xff\n");
    }

    #[test]
    fn empty_message_is_label_only() {
        let m = msg(Direction::Server, 2, 2, b"");
        assert_eq!(block(&m), b"[Server.2 Binary, 0 bytes]\n");
    }

    #[test]
    fn fragmented_compressed_and_cut_are_said() {
        let mut m = msg(Direction::Client, 7, 1, b"abcabcabc");
        m.frames = 3;
        m.compressed = true;
        m.wire_len = 6;
        m.truncated = true;
        assert_eq!(
            label(&m),
            "Client.7 Text, 9 bytes, 3 frames, compressed: 6 bytes on the wire, cut short"
        );
    }

    #[test]
    fn ping_and_pong_show_their_payload_in_hex_on_one_line() {
        let m = msg(Direction::Client, 10, 9, b"ka1");
        assert_eq!(block(&m), b"[Client.10 Ping, 3 bytes: 6b6131]\n");
        let m = msg(Direction::Server, 10, 10, b"");
        assert_eq!(block(&m), b"[Server.10 Pong, 0 bytes]\n");
    }

    #[test]
    fn close_shows_code_name_and_reason() {
        let c = parse_close(b"\x03\xe8done");
        let mut m = msg(Direction::Server, 11, 8, b"\x03\xe8done");
        m.close = Some(&c);
        assert_eq!(
            block(&m),
            b"[Server.11 Close, code 1000 (Normal Closure), reason \"done\"]\n"
        );
        let c = parse_close(b"\x0f\xa0");
        m.close = Some(&c);
        assert_eq!(label(&m), "Server.11 Close, code 4000 (Private use)");
        let c = parse_close(b"");
        m.close = Some(&c);
        assert_eq!(label(&m), "Server.11 Close, no status code");
    }
}
