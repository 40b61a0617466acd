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

use crate::core::closing::{CloseRole, Closing, End};
use crate::core::frame::FrameHeader;
use crate::core::message::{Config, Connection, Direction, FrameOutcome};

/// One side of a TCP connection: address type, address bytes and port.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    pub hs: Handshake,
    pub client: Option<Endpoint>,
    pub server: Option<Endpoint>,
    pub closing: Closing,
}

#[derive(Debug)]
pub struct FrameRecord {
    pub outcome: FrameOutcome,
    pub request_frame: Option<u32>,
    pub response_frame: Option<u32>,
    /// On Close frames: first, answer, or a repeated one.
    pub close_role: Option<CloseRole>,
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
            client: None,
            server: None,
            closing: Closing::default(),
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
        let outcome = cs.conn.on_frame(dir, hdr, payload, complete);
        let close_role = outcome
            .close
            .as_ref()
            .map(|c| cs.closing.on_close(dir, key.0, c.code));
        let rec = Arc::new(FrameRecord {
            outcome,
            request_frame: cs.hs.request_frame,
            response_frame: cs.hs.response_frame,
            close_role,
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

fn clear() {
    let mut s = store();
    s.conns.clear();
    s.conns.shrink_to_fit();
    s.frames.clear();
    s.frames.shrink_to_fit();
    s.ends.clear();
    drop(s);
    super::keepalive::clear();
}

pub extern "C" fn init_routine() {
    super::guard::guard("init_routine", (), clear);
}

pub extern "C" fn cleanup_routine() {
    super::guard::guard("cleanup_routine", (), clear);
}
