//! The one owner of per-capture state: what the first (in-order) pass learns, kept so that every
//! later visit of a packet — `tshark -2`, the GUI or sharkd clicking around in any order — shows
//! exactly the same.
//!
//! Lifecycle: [`Capture`] is empty when a capture file is opened (Wireshark's init routine) and
//! dropped when it is closed or re-dissected from scratch (cleanup routine, then init again).
//! During the first pass every packet is fed in capture order (`fd->visited` is false) and the
//! features store per connection (handshake, directions, message state, close state, keep-alive
//! tracker, mid-stream detector, gap tracker) and per frame (what to show). A revisit only looks
//! up what the first pass stored for that frame; it never recomputes from other dissectors' trees
//! or from the order of clicks.
//!
//! One mutex, taken once per callback section and never nested (callers copy what they need and
//! drop the guard before calling into Wireshark).
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use once_cell::sync::Lazy;

pub use super::pkt::Endpoint;
use crate::core::anomaly::Anomaly;
use crate::core::app::session::{MsgCtx, Session};
use crate::core::closing::{CloseRole, Closing};
use crate::core::deflate::{self, InflateIssue, Inflater};
use crate::core::frame::FrameHeader;
use crate::core::keepalive::{Event, Tracker};
use crate::core::message::{Config, Connection, Direction, FrameOutcome};
use crate::core::midstream::Detector;
use crate::core::resync::{Resync, SkipKind};

#[derive(Clone, Debug, Default)]
pub struct Handshake {
    pub key: Option<String>,
    pub accept: Option<String>,
    pub protocol: Option<String>,
    pub extensions: Option<String>,
    /// The Upgrade request's target (path and query).
    pub target: Option<String>,
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

/// What the 101 response of a connection shows (stored on the first pass, keyed by its frame).
#[derive(Clone, Debug)]
pub struct HandshakeShown {
    pub request_frame: Option<u32>,
    pub key: Option<String>,
    /// None: the 101 carried no readable Sec-WebSocket-Accept.
    pub accept: Option<String>,
    pub protocol: Option<String>,
    pub extensions: Option<String>,
}

/// WebSocket state: per connection, per frame.
#[derive(Default)]
pub struct Store {
    pub conns: HashMap<u32, ConnState>,
    pub frames: HashMap<(u32, u32), Arc<FrameRecord>>,
    /// The first TCP FIN/RST of a WebSocket connection → its connection (the connection's
    /// `Closing` tells how it ended, as far as the capture has been read).
    pub ends: HashMap<u32, u32>,
    /// 101 responses: what their handshake item shows.
    pub handshakes: HashMap<u32, HandshakeShown>,
    /// The last frame whose handshake bytes were looked at (first pass, in order).
    pub learnt: u32,
}

/// Keep-alive state: one tracker per TCP connection, the events of each frame.
#[derive(Default)]
pub struct KaStore {
    pub trackers: HashMap<u32, Tracker>,
    /// Frame → (connection, events of that frame).
    pub events: HashMap<u32, (u32, Vec<Event>)>,
    /// The last frame whose TCP segment was fed (a frame may be offered twice: by the WebSocket
    /// dissector for a one-byte segment, and by the postdissector).
    pub last_fed: u32,
}

/// Mid-stream detection: where a direction stands before its frame structure is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    /// Not in sync yet: find the first frame header in the next segment.
    Unknown,
    /// This many bytes of a frame begun earlier still come first.
    Remaining(u64),
    /// Segments start where the previous one's frames left off (TCP reassembly does the rest).
    Synced,
}

pub struct MidConn {
    pub det: Detector,
    /// Endpoint of direction A (the sender of the first segment seen).
    pub a: Endpoint,
    pub skip: [Skip; 2],
    pub claimed: bool,
}

#[derive(Default)]
pub struct MidStore {
    pub conns: HashMap<u32, MidConn>,
    /// Frame → bytes at the start of its segment that belong to a frame begun before the capture.
    pub skips: HashMap<u32, u32>,
}

/// Gap tracking: one [`Resync`] per direction of each connection.
#[derive(Default)]
pub struct ResyncStore {
    pub dirs: HashMap<(u32, Endpoint), Resync>,
    /// (frame, sequence number of the tvb) → bytes at its start that are not frames, and why.
    pub skips: HashMap<(u32, u32), (u32, SkipKind)>,
    /// The tvb being dissected on the first pass: (frame, its sequence number, its direction).
    pub current: Option<(u32, u32, (u32, Endpoint))>,
    /// The skip unit the length callback returned last: (frame, tvb seq, length, kind).
    pub handed: Option<(u32, u32, u32, SkipKind)>,
}

/// Application protocols above WebSocket (Engine.IO/Socket.IO, STOMP, SignalR, GraphQL, MQTT).
#[derive(Default)]
pub struct AppStore {
    pub sessions: HashMap<u32, Session>,
    /// (frame, ordinal of the message in the packet) → what the first pass decided.
    pub msgs: HashMap<(u32, u32), MsgCtx>,
    /// A Socket.IO binary packet's message → the frames of its attachments.
    pub attachments: HashMap<(u32, u32), Vec<u32>>,
}

/// Everything the plugin keeps about one capture file.
#[derive(Default)]
pub struct Capture {
    pub ws: Store,
    pub ka: KaStore,
    pub app: AppStore,
    pub mid: MidStore,
    pub resync: ResyncStore,
}

static CAPTURE: Lazy<Mutex<Capture>> = Lazy::new(|| Mutex::new(Capture::default()));

/// The capture's state; a panic elsewhere while it was held does not make it unusable. Never
/// call this while holding its guard (the mutex is not re-entrant).
pub fn capture() -> MutexGuard<'static, Capture> {
    CAPTURE.lock().unwrap_or_else(|e| e.into_inner())
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
    /// First pass: a FIN or RST of a WebSocket connection. The first one carries `ws.end`; later
    /// segments (the peer's Close after a half-close, its FIN) can still settle how it ended.
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
        if cs.closing.on_tcp_end_in(frame, by, rst).is_some() {
            self.ends.insert(frame, conv);
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

/// Forget everything (a capture file is opened, closed, or dissected again from scratch).
pub fn clear() {
    // Replace, not clear: the old maps' memory is freed (memcheck finds nothing at exit).
    *capture() = Capture::default();
}
