//! Per-connection message state machine (RFC 6455 §5.1-§5.5, §8.1).
//!
//! Frames are fed in stream order (first pass only); every frame yields a
//! [`FrameOutcome`] that the glue stores and shows on later passes.

use super::anomaly::Anomaly;
use super::close::{parse_close, ClosePayload};
use super::frame::FrameHeader;
use super::opcode::{Control, Data, OpCode};

/// Which endpoint sent a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    Client,
    Server,
}

impl Direction {
    /// "client" / "server"
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Client => "client",
            Direction::Server => "server",
        }
    }

    /// "Client" / "Server"
    pub fn label(self) -> &'static str {
        match self {
            Direction::Client => "Client",
            Direction::Server => "Server",
        }
    }
}

/// Per-connection settings (from the handshake, when seen).
#[derive(Clone, Debug)]
pub struct Config {
    /// If false, RSV checks are skipped (extensions unknown).
    pub handshake_known: bool,
    /// Allowed RSV bits: 0x4 = RSV1 (permessage-deflate), 0x2 = RSV2, 0x1 = RSV3.
    pub allowed_rsv: u8,
    /// Cap on bytes kept for a reassembled message.
    pub max_message: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            handshake_known: false,
            allowed_rsv: 0,
            max_message: 1 << 20,
        }
    }
}

/// What the state machine concluded about one frame.
#[derive(Clone, Debug)]
pub struct FrameOutcome {
    pub dir: Direction,
    /// 1-based per direction.
    pub msg_index: u32,
    /// Opcode of the message's first frame (0 for an orphan continuation).
    pub msg_type: u8,
    /// 1-based position of this frame within its message.
    pub fragment: u32,
    /// Some on the frame that completes a message.
    pub completes: Option<Completed>,
    /// On Close frames.
    pub close: Option<ClosePayload>,
    /// Everything wrong with this frame.
    pub anomalies: Vec<Anomaly>,
    /// The frame belongs to a compressed message (RFC 7692 §6: its payload is not the text).
    pub compressed: bool,
}

/// A completed message.
#[derive(Clone, Debug)]
pub struct Completed {
    /// Sum of payload_len of all frames of the message.
    pub total_len: u64,
    pub frames: u32,
    /// The whole (unmasked) message, only when frames > 1; capped.
    pub data: Option<Vec<u8>>,
    /// Bytes are missing from `data` (cap hit or a fragment not fully captured).
    pub truncated: bool,
    /// For Text messages: UTF-8 validity of the bytes we have (None when compressed: the glue
    /// checks the inflated text).
    pub text_valid: Option<bool>,
    /// The first frame had RSV1 set under permessage-deflate (RFC 7692 §6): `data` (or the single
    /// frame's payload) is compressed.
    pub compressed: bool,
}

/// UTF-8 validity; with `lenient_end`, an incomplete sequence at the very
/// end (cut by truncation) counts as valid.
pub fn utf8_valid(bytes: &[u8], lenient_end: bool) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => lenient_end && e.error_len().is_none(),
    }
}

/// A fragmented message in progress.
#[derive(Debug)]
struct OpenMessage {
    index: u32,
    msg_type: u8,
    frames: u32,
    total_len: u64,
    /// Always a true prefix of the message: appending stops at the cap or
    /// after a fragment that was not fully captured.
    buf: Vec<u8>,
    cap_hit: bool,
    gap: bool,
    compressed: bool,
}

#[derive(Debug, Default)]
struct DirState {
    last_index: u32,
    open: Option<OpenMessage>,
    close_seen: bool,
}

impl DirState {
    fn next_index(&mut self) -> u32 {
        self.last_index = self.last_index.saturating_add(1);
        self.last_index
    }
}

/// Per-connection state.
#[derive(Debug)]
pub struct Connection {
    cfg: Config,
    client: DirState,
    server: DirState,
}

/// Append at most `cap - msg.buf.len()` bytes of `payload`.
fn append_capped(msg: &mut OpenMessage, payload: &[u8], payload_complete: bool, cap: usize) {
    if msg.gap || msg.cap_hit {
        // Keep `buf` a true prefix: nothing after a hole or the cap.
        if !msg.gap && !payload.is_empty() {
            msg.cap_hit = true;
        }
        return;
    }
    let room = cap.saturating_sub(msg.buf.len());
    let take = payload.len().min(room);
    if let Some(part) = payload.get(..take) {
        msg.buf.extend_from_slice(part);
    }
    if take < payload.len() {
        msg.cap_hit = true;
    } else if !payload_complete {
        msg.gap = true;
    }
}

/// Control-frame checks shared by Close/Ping/Pong/reserved control opcodes.
fn control_checks(hdr: &FrameHeader, anomalies: &mut Vec<Anomaly>) {
    // §5.5: "All control frames MUST have a payload length of 125 bytes or
    // less and MUST NOT be fragmented."
    if hdr.payload_len > 125 {
        anomalies.push(Anomaly::ControlFrameTooBig);
    }
    if !hdr.fin {
        anomalies.push(Anomaly::ControlFrameFragmented);
    }
}

/// parse_close, ignoring problems that only come from capture truncation.
fn close_for(hdr: &FrameHeader, payload: &[u8], payload_complete: bool) -> ClosePayload {
    let mut c = parse_close(payload);
    if !payload_complete {
        let reason_cut_only = c.reason.as_deref().is_none_or(|r| utf8_valid(r, true));
        c.anomalies.retain(|a| match a {
            Anomaly::ClosePayloadOneByte => hdr.payload_len == 1,
            Anomaly::InvalidUtf8CloseReason => !reason_cut_only,
            _ => true,
        });
    }
    c
}

impl Connection {
    pub fn new(cfg: Config) -> Connection {
        Connection {
            cfg,
            client: DirState::default(),
            server: DirState::default(),
        }
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// Handshake info may arrive after creation.
    pub fn set_config(&mut self, cfg: Config) {
        self.cfg = cfg;
    }

    /// True once `dir` has sent a Close frame.
    /// Messages begun so far, both directions (0: no frame seen yet).
    pub fn frames_seen(&self) -> u32 {
        self.client
            .last_index
            .saturating_add(self.server.last_index)
    }

    pub fn close_seen(&self, dir: Direction) -> bool {
        match dir {
            Direction::Client => self.client.close_seen,
            Direction::Server => self.server.close_seen,
        }
    }

    /// Feed one frame. `payload` is the unmasked payload bytes that were
    /// captured (shorter than `hdr.payload_len` when `payload_complete` is
    /// false).
    pub fn on_frame(
        &mut self,
        dir: Direction,
        hdr: &FrameHeader,
        payload: &[u8],
        payload_complete: bool,
    ) -> FrameOutcome {
        let cfg = self.cfg.clone();
        let st = match dir {
            Direction::Client => &mut self.client,
            Direction::Server => &mut self.server,
        };
        let mut anomalies = hdr.header_anomalies();

        // §5.1: "a client MUST mask all frames that it sends to the server"
        if dir == Direction::Client && !hdr.masked {
            anomalies.push(Anomaly::UnmaskedFrameFromClient);
        }
        // §5.1: "A server MUST NOT mask any frames that it sends to the client."
        if dir == Direction::Server && hdr.masked {
            anomalies.push(Anomaly::MaskedFrameFromServer);
        }
        if cfg.handshake_known {
            let rsv = hdr.rsv_bits();
            // §5.2: RSV1-3 "MUST be 0 unless an extension is negotiated that
            // defines meanings for non-zero values."
            let undefined = rsv & !cfg.allowed_rsv != 0;
            // RFC 7692 §6: "An endpoint MUST NOT set the 'Per-Message
            // Compressed' bit of control frames and non-first fragments of a
            // data message."
            let rsv1_misplaced = hdr.rsv1
                && cfg.allowed_rsv & 0x4 != 0
                && matches!(
                    hdr.opcode,
                    OpCode::Control(_) | OpCode::Data(Data::Continue)
                );
            if undefined || rsv1_misplaced {
                anomalies.push(Anomaly::RsvWithoutExtension);
            }
        }
        if !payload_complete {
            anomalies.push(Anomaly::PayloadTruncated);
        }
        // RFC 7692 §6: RSV1 on the first frame of a data message marks it compressed; without a
        // handshake (capture began mid-connection) RSV1 can only mean that, too.
        let compressed = hdr.rsv1
            && matches!(hdr.opcode, OpCode::Data(Data::Text | Data::Binary))
            && (cfg.allowed_rsv & 0x4 != 0 || !cfg.handshake_known);
        let single = |text_valid: Option<bool>| Completed {
            total_len: hdr.payload_len,
            frames: 1,
            data: None,
            truncated: !payload_complete,
            text_valid,
            compressed,
        };

        match hdr.opcode {
            OpCode::Control(ctl) => {
                if matches!(ctl, Control::Reserved(_)) {
                    // §5.2: %xB-F "are reserved for further control frames";
                    // "If an unknown opcode is received, the receiving endpoint
                    // MUST _Fail the WebSocket Connection_."
                    anomalies.push(Anomaly::ReservedOpcode);
                }
                control_checks(hdr, &mut anomalies);
                let close = if ctl == Control::Close {
                    let c = close_for(hdr, payload, payload_complete);
                    anomalies.extend(c.anomalies.iter().copied());
                    st.close_seen = true;
                    Some(c)
                } else {
                    None
                };
                // §5.4: "Control frames MAY be injected in the middle of a
                // fragmented message" — the open message is left untouched.
                FrameOutcome {
                    dir,
                    msg_index: st.next_index(),
                    msg_type: hdr.opcode_raw,
                    fragment: 1,
                    completes: Some(single(None)),
                    close,
                    anomalies,
                    compressed: false,
                }
            }
            OpCode::Data(data) => {
                // §5.5.1: "The application MUST NOT send any more data frames
                // after sending a Close frame."
                if st.close_seen {
                    anomalies.push(Anomaly::DataAfterClose);
                }
                match data {
                    Data::Reserved(_) => {
                        // §5.2: %x3-7 "are reserved for further non-control
                        // frames"; "If an unknown opcode is received, the
                        // receiving endpoint MUST _Fail the WebSocket
                        // Connection_."
                        anomalies.push(Anomaly::ReservedOpcode);
                        FrameOutcome {
                            dir,
                            msg_index: st.next_index(),
                            msg_type: hdr.opcode_raw,
                            fragment: 1,
                            completes: Some(single(None)),
                            close: None,
                            anomalies,
                            compressed: false,
                        }
                    }
                    Data::Continue => {
                        Self::continuation(st, &cfg, dir, hdr, payload, payload_complete, anomalies)
                    }
                    Data::Text | Data::Binary => {
                        // §5.4: "the fragments of one message MUST NOT be
                        // interleaved between the fragments of another
                        // message unless an extension has been negotiated"
                        if st.open.take().is_some() {
                            anomalies.push(Anomaly::DataFrameWhileMessageUnfinished);
                        }
                        let is_text = data == Data::Text;
                        let msg_index = st.next_index();
                        let completes = if hdr.fin {
                            let text_valid = (is_text && !compressed)
                                .then(|| utf8_valid(payload, !payload_complete));
                            if text_valid == Some(false) {
                                // §8.1: invalid UTF-8 in a text message:
                                // the endpoint "MUST _Fail the WebSocket
                                // Connection_".
                                anomalies.push(Anomaly::InvalidUtf8Text);
                            }
                            Some(single(text_valid))
                        } else {
                            let mut msg = OpenMessage {
                                index: msg_index,
                                msg_type: hdr.opcode_raw,
                                frames: 1,
                                total_len: hdr.payload_len,
                                buf: Vec::new(),
                                cap_hit: false,
                                gap: false,
                                compressed,
                            };
                            append_capped(&mut msg, payload, payload_complete, cfg.max_message);
                            st.open = Some(msg);
                            None
                        };
                        FrameOutcome {
                            dir,
                            msg_index,
                            msg_type: hdr.opcode_raw,
                            fragment: 1,
                            completes,
                            close: None,
                            anomalies,
                            compressed,
                        }
                    }
                }
            }
        }
    }

    fn continuation(
        st: &mut DirState,
        cfg: &Config,
        dir: Direction,
        hdr: &FrameHeader,
        payload: &[u8],
        payload_complete: bool,
        mut anomalies: Vec<Anomaly>,
    ) -> FrameOutcome {
        let mut msg = match st.open.take() {
            Some(m) => m,
            None => {
                // §5.4: a fragmented message "consists of a single frame with
                // the FIN bit clear and an opcode other than 0, followed by
                // zero or more frames with the FIN bit clear and the opcode
                // set to 0, and terminated by a single frame with the FIN bit
                // set and an opcode of 0."
                anomalies.push(Anomaly::ContinuationWithoutStart);
                OpenMessage {
                    index: st.next_index(),
                    msg_type: 0,
                    frames: 0,
                    total_len: 0,
                    buf: Vec::new(),
                    cap_hit: false,
                    gap: false,
                    compressed: false,
                }
            }
        };
        msg.frames = msg.frames.saturating_add(1);
        msg.total_len = msg.total_len.saturating_add(hdr.payload_len);
        append_capped(&mut msg, payload, payload_complete, cfg.max_message);
        let msg_index = msg.index;
        let msg_type = msg.msg_type;
        let fragment = msg.frames;
        let compressed = msg.compressed;
        let completes = if hdr.fin {
            Some(Self::finish(msg, payload_complete, &mut anomalies))
        } else {
            st.open = Some(msg);
            None
        };
        FrameOutcome {
            dir,
            msg_index,
            msg_type,
            fragment,
            completes,
            close: None,
            anomalies,
            compressed,
        }
    }

    fn finish(msg: OpenMessage, payload_complete: bool, anomalies: &mut Vec<Anomaly>) -> Completed {
        if msg.frames <= 1 {
            // Orphan single continuation: the glue shows the frame payload.
            return Completed {
                total_len: msg.total_len,
                frames: msg.frames,
                data: None,
                truncated: !payload_complete,
                text_valid: None,
                compressed: msg.compressed,
            };
        }
        let truncated = msg.cap_hit || msg.gap;
        if msg.cap_hit {
            anomalies.push(Anomaly::MessageTruncated);
        }
        let text_valid =
            (msg.msg_type == 0x1 && !msg.compressed).then(|| utf8_valid(&msg.buf, truncated));
        if text_valid == Some(false) {
            // §8.1: invalid UTF-8 in a text message MUST _Fail the WebSocket
            // Connection_.
            anomalies.push(Anomaly::InvalidUtf8Text);
        }
        Completed {
            total_len: msg.total_len,
            frames: msg.frames,
            data: Some(msg.buf),
            truncated,
            text_valid,
            compressed: msg.compressed,
        }
    }
}

#[cfg(test)]
mod tests;
