//! What the first (in-order) pass learns, kept so that every later visit of a packet — `tshark -2`,
//! the GUI clicking around in any order — shows exactly the same: per connection (handshake,
//! direction, the core's message state) and per WebSocket frame (the core's outcome).
//!
//! Plain Rust maps behind one mutex, cleared by Wireshark's init/cleanup routines when a capture
//! file is opened or closed. Frames are keyed by (frame number, ordinal of the WebSocket frame
//! within that packet's dissection), which is the same on every visit of the packet.
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use once_cell::sync::Lazy;

use crate::core::anomaly::Anomaly;
use crate::core::closing::{CloseRole, Closing, End};
use crate::core::deflate::{self, InflateIssue, Inflater};
use crate::core::frame::FrameHeader;
use crate::core::message::{Config, Connection, Direction, FrameOutcome};

/// One side of a TCP connection: address type, address bytes and port.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Endpoint {
    pub addr_type: i32,
    pub addr: Vec<u8>,
    pub port: u32,
}

#[derive(Clone, Debug, Default)]
pub struct Handshake {
    pub key: Option<String>,
    pub accept: Option<String>,
    pub protocol: Option<String>,
    pub extensions: Option<String>,
    pub request_frame: Option<u32>,
    pub response_frame: Option<u32>,
}

pub struct ConnState {
    pub conn: Connection,
    /// permessage-deflate decompressors [client→server, server→client], made at first use.
    pub inflaters: Option<Box<[Inflater; 2]>>,
    pub hs: Handshake,
    pub client: Option<Endpoint>,
    pub server: Option<Endpoint>,
    pub closing: Closing,
    /// A data frame was seen from [client, server] (mid-stream: the first may continue a message).
    pub seen_data: [bool; 2],
}

#[derive(Debug)]
pub struct FrameRecord {
    pub outcome: FrameOutcome,
    pub request_frame: Option<u32>,
    pub response_frame: Option<u32>,
    /// On Close frames: first, answer, or a repeated one.
    pub close_role: Option<CloseRole>,
    /// On the frame that completes a compressed message: the inflated message.
    pub inflated: Option<Vec<u8>>,
    /// Anomalies found beyond the core's frame checks (inflate, UTF-8 of inflated text).
    pub extra: Vec<Anomaly>,
}

#[derive(Default)]
pub struct Store {
    pub conns: HashMap<u32, ConnState>,
    pub frames: HashMap<(u32, u32), Arc<FrameRecord>>,
    /// The first TCP FIN/RST of a WebSocket connection: (connection, how it ended).
    pub ends: HashMap<u32, (u32, End)>,
}

static STORE: Lazy<Mutex<Store>> = Lazy::new(|| Mutex::new(Store::default()));

/// The store; a panic elsewhere while it was held does not make it unusable.
pub fn store() -> MutexGuard<'static, Store> {
    STORE.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn config_for(hs: &Handshake, max_message: usize) -> Config {
    let mut allowed_rsv = 0u8;
    if let Some(ext) = &hs.extensions {
        for e in crate::core::handshake::parse_extensions(ext) {
            if e.name.eq_ignore_ascii_case("permessage-deflate") {
                allowed_rsv |= 0x4;
            } else {
                // An extension we do not know may use any RSV bit.
                allowed_rsv |= 0x7;
            }
        }
    }
    Config {
        handshake_known: hs.response_frame.is_some(),
        allowed_rsv,
        max_message,
    }
}

impl Store {
    pub fn conn(&mut self, conv: u32, max_message: usize) -> &mut ConnState {
        self.conns.entry(conv).or_insert_with(|| ConnState {
            conn: Connection::new(config_for(&Handshake::default(), max_message)),
            hs: Handshake::default(),
            inflaters: None,
            client: None,
            server: None,
            closing: Closing::default(),
            seen_data: [false, false],
        })
    }

    /// First pass: decide the direction, feed the core, remember the outcome.
    #[allow(clippy::too_many_arguments)]
    pub fn first_pass_frame(
        &mut self,
        conv: u32,
        key: (u32, u32),
        src: &Endpoint,
        hdr: &FrameHeader,
        payload: &[u8],
        complete: bool,
        max_message: usize,
        max_inflate: usize,
    ) -> Arc<FrameRecord> {
        let cs = self.conn(conv, max_message);
        let dir = match (&cs.client, &cs.server) {
            (Some(c), _) => {
                if c == src {
                    Direction::Client
                } else {
                    Direction::Server
                }
            }
            (None, Some(s)) => {
                if s == src {
                    Direction::Server
                } else {
                    Direction::Client
                }
            }
            // No handshake seen: only clients mask (RFC 6455 §5.1), so masking names the sides.
            (None, None) if hdr.masked => {
                cs.client = Some(src.clone());
                Direction::Client
            }
            (None, None) => {
                cs.server = Some(src.clone());
                Direction::Server
            }
        };
        let mut outcome = cs.conn.on_frame(dir, hdr, payload, complete);
        // Without the handshake (capture began mid-connection), a direction's first data frame may
        // continue a message begun before the capture.
        let d = dir as usize;
        if !hdr.opcode.is_control() {
            if cs.hs.response_frame.is_none() && !cs.seen_data[d] {
                outcome
                    .anomalies
                    .retain(|a| *a != Anomaly::ContinuationWithoutStart);
            }
            cs.seen_data[d] = true;
        }
        let close_role = outcome
            .close
            .as_ref()
            .map(|c| cs.closing.on_close(dir, key.0, c.code));
        let (inflated, extra) = match &outcome.completes {
            Some(c) if c.compressed => {
                let bytes = c.data.as_deref().unwrap_or(payload);
                inflate(cs, dir, bytes, max_inflate, outcome.msg_type == 1)
            }
            _ => (None, Vec::new()),
        };
        let rec = Arc::new(FrameRecord {
            outcome,
            request_frame: cs.hs.request_frame,
            response_frame: cs.hs.response_frame,
            close_role,
            inflated,
            extra,
        });
        self.frames.insert(key, rec.clone());
        rec
    }
}

impl Store {
    /// First pass: the first FIN or RST of a WebSocket connection (others are ignored).
    pub fn on_tcp_end(&mut self, conv: u32, frame: u32, src: &Endpoint, rst: bool) {
        let Some(cs) = self.conns.get_mut(&conv) else {
            return;
        };
        // Only a connection that became WebSocket (a 101, or frames seen); not a refused upgrade.
        if cs.hs.response_frame.is_none() && cs.conn.frames_seen() == 0 {
            return;
        }
        let by = match (&cs.client, &cs.server) {
            (Some(c), _) if c == src => Direction::Client,
            (Some(_), _) => Direction::Server,
            (None, Some(s)) if s == src => Direction::Server,
            (None, Some(_)) => Direction::Client,
            (None, None) => return,
        };
        if let Some(end) = cs.closing.on_tcp_end(by, rst) {
            self.ends.insert(frame, (conv, end));
        }
    }
}

/// Inflate a completed compressed message with its direction's decompressor (RFC 7692), made
/// from the negotiated parameters, or, when the handshake is unknown, as best it can.
fn inflate(
    cs: &mut ConnState,
    dir: Direction,
    compressed: &[u8],
    cap: usize,
    is_text: bool,
) -> (Option<Vec<u8>>, Vec<Anomaly>) {
    let params = cs.hs.extensions.as_deref().and_then(deflate::negotiated);
    let midstream = cs.hs.response_frame.is_none();
    let inflaters = cs.inflaters.get_or_insert_with(|| {
        let p = params.clone().unwrap_or_default();
        Box::new([
            Inflater::new(
                p.client_no_context_takeover,
                p.client_max_window_bits,
                midstream,
            ),
            Inflater::new(
                p.server_no_context_takeover,
                p.server_max_window_bits,
                midstream,
            ),
        ])
    });
    let inf = &mut inflaters[match dir {
        Direction::Client => 0,
        Direction::Server => 1,
    }];
    let out = inf.inflate_message(compressed, cap);
    let mut extra = Vec::new();
    if params.is_none() {
        extra.push(Anomaly::CompressedContextUnknown);
    }
    match out.issue {
        Some(InflateIssue::CapReached) => extra.push(Anomaly::DecompressionCapped),
        Some(InflateIssue::Corrupt) => extra.push(Anomaly::DecompressionFailed),
        Some(InflateIssue::NeedsUnknownContext) if params.is_some() => {
            extra.push(Anomaly::CompressedContextUnknown);
        }
        Some(InflateIssue::NeedsUnknownContext) | None => {}
    }
    // RFC 6455 §8.1 applies to the inflated text.
    if is_text && !crate::core::message::utf8_valid(&out.data, out.issue.is_some()) {
        extra.push(Anomaly::InvalidUtf8Text);
    }
    (Some(out.data), extra)
}

fn clear() {
    // Replace, not clear: the old maps' memory is freed (memcheck finds nothing at exit).
    *store() = Store::default();
    super::midstream::clear();
    super::keepalive::clear();
    super::resync::clear();
}

pub extern "C" fn init_routine() {
    super::guard::guard("init_routine", (), clear);
}

pub extern "C" fn cleanup_routine() {
    super::guard::guard("cleanup_routine", (), clear);
}
