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
use super::pkt::{conv_lookup, dst_endpoint, src_endpoint, visited, Addr, Pinfo};
use super::sys;
use super::zlib::Zlib;
use crate::core::anomaly::Anomaly;
use crate::core::app::session::{MsgCtx, Session};
use crate::core::backlog::{Backlog, Kind};
use crate::core::closing::{CloseRole, Closing};
use crate::core::deflate::{self, InflateIssue, Inflater};
use crate::core::frame::FrameHeader;
use crate::core::keepalive::{Event, Tracker};
use crate::core::message::{Config, Connection, Direction, FrameOutcome};
use crate::core::midstream::Detector;
use crate::core::resync::{Resync, SkipKind};

/// The maps of per-capture state: keys are small integers and tuples, hashed with [`FxHasher`].
pub type Map<K, V> = HashMap<K, V, FxBuild>;

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
    /// permessage-deflate decompressors [client→server, server→client], made at first use, and
    /// whether the handshake negotiated permessage-deflate (false: parameters guessed).
    pub inflaters: Option<Box<([Inflater; 2], bool)>>,
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

/// Per-frame results of the first pass, by (frame number, ordinal in the packet). Most frames are
/// a whole message of one frame with nothing wrong: those are kept as 32 bytes in a vector in
/// capture order (binary search); only the others keep their whole record. A revisit gets a
/// record equal to the one the first pass made.
#[derive(Default)]
pub struct FrameStore {
    small: Vec<SmallRecord>,
    full: Map<(u32, u32), Arc<FrameRecord>>,
    /// Where the last lookup found its record in `small`: a pass in capture order (tshark's
    /// second pass) finds the next one there or just after, without a search (a binary search
    /// over a large vector misses the cache on most of its steps).
    hint: std::cell::Cell<usize>,
}

#[derive(Clone, Copy, Debug)]
struct SmallRecord {
    frame: u32,
    ordinal: u32,
    msg_index: u32,
    /// The handshake's frames, 0 when none.
    request_frame: u32,
    response_frame: u32,
    /// Bits 0-7 the message type, 8 direction (1 = server), 9 a completed message, 10-11 its
    /// text validity (0 none, 1 valid, 2 not), 12-31 the fragment number.
    bits: u32,
    total_len: u64,
}

impl SmallRecord {
    /// The compact form of `r`, when it has one.
    fn of(key: (u32, u32), r: &FrameRecord) -> Option<SmallRecord> {
        let o = &r.outcome;
        let simple = o.close.is_none()
            && o.anomalies.is_empty()
            && !o.compressed
            && o.fragment < (1 << 20)
            && r.close_role.is_none()
            && r.inflated.is_none()
            && r.extra.is_empty()
            && r.request_frame != Some(0)
            && r.response_frame != Some(0);
        if !simple {
            return None;
        }
        let (completed, valid, total_len) = match &o.completes {
            None => (0, 0, 0),
            Some(c) if c.frames == 1 && c.data.is_none() && !c.truncated && !c.compressed => {
                let v = match c.text_valid {
                    None => 0,
                    Some(true) => 1,
                    Some(false) => 2,
                };
                (1, v, c.total_len)
            }
            Some(_) => return None,
        };
        let server = matches!(o.dir, Direction::Server) as u32;
        Some(SmallRecord {
            frame: key.0,
            ordinal: key.1,
            msg_index: o.msg_index,
            request_frame: r.request_frame.unwrap_or(0),
            response_frame: r.response_frame.unwrap_or(0),
            bits: u32::from(o.msg_type)
                | server << 8
                | completed << 9
                | valid << 10
                | o.fragment << 12,
            total_len,
        })
    }

    fn record(&self) -> FrameRecord {
        let b = self.bits;
        let completes = (b >> 9 & 1 == 1).then_some(crate::core::message::Completed {
            total_len: self.total_len,
            frames: 1,
            data: None,
            truncated: false,
            text_valid: match b >> 10 & 3 {
                1 => Some(true),
                2 => Some(false),
                _ => None,
            },
            compressed: false,
        });
        FrameRecord {
            outcome: FrameOutcome {
                dir: if b >> 8 & 1 == 1 {
                    Direction::Server
                } else {
                    Direction::Client
                },
                msg_index: self.msg_index,
                msg_type: (b & 0xff) as u8,
                fragment: b >> 12,
                completes,
                close: None,
                anomalies: Vec::new(),
                compressed: false,
            },
            request_frame: (self.request_frame != 0).then_some(self.request_frame),
            response_frame: (self.response_frame != 0).then_some(self.response_frame),
            close_role: None,
            inflated: None,
            extra: Vec::new(),
        }
    }
}

impl FrameStore {
    pub fn get(&self, key: &(u32, u32)) -> Option<Arc<FrameRecord>> {
        // The first pass asks for each new frame, past the last one kept: no search then.
        let past_end = self
            .small
            .last()
            .is_none_or(|l| (l.frame, l.ordinal) < *key);
        if !past_end {
            let h = self.hint.get();
            let near = (h..self.small.len().min(h + 2))
                .find(|&j| (self.small[j].frame, self.small[j].ordinal) == *key);
            let found = near.or_else(|| {
                self.small
                    .binary_search_by(|r| (r.frame, r.ordinal).cmp(key))
                    .ok()
            });
            if let Some(i) = found {
                self.hint.set(i);
                return Some(Arc::new(self.small[i].record()));
            }
        }
        self.full.get(key).cloned()
    }

    pub fn insert(&mut self, key: (u32, u32), rec: &Arc<FrameRecord>) {
        match SmallRecord::of(key, rec) {
            Some(s) => match self.small.last() {
                // In capture order (the first pass): appended.
                Some(l) if (l.frame, l.ordinal) < key => self.small.push(s),
                None => self.small.push(s),
                _ => match self
                    .small
                    .binary_search_by(|r| (r.frame, r.ordinal).cmp(&key))
                {
                    Ok(i) => self.small[i] = s,
                    Err(i) => self.small.insert(i, s),
                },
            },
            None => {
                self.full.insert(key, rec.clone());
            }
        }
    }
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
    pub conns: Map<u32, ConnState>,
    pub frames: FrameStore,
    /// The first TCP FIN/RST of a WebSocket connection → its connection (the connection's
    /// `Closing` tells how it ended, as far as the capture has been read).
    pub ends: Map<u32, u32>,
    /// 101 responses: what their handshake item shows.
    pub handshakes: Map<u32, HandshakeShown>,
    /// The last frame whose handshake bytes were looked at (first pass, in order).
    pub learnt: u32,
}

/// Keep-alive state: one tracker per TCP connection, the events of each frame.
#[derive(Default)]
pub struct KaStore {
    pub trackers: Map<u32, Tracker>,
    /// Frame → (connection, events of that frame).
    pub events: Map<u32, (u32, Vec<Event>)>,
    /// The last frame whose TCP segment was fed (a frame may be offered twice: by the WebSocket
    /// dissector for a one-byte segment, and by the postdissector).
    pub last_fed: u32,
}

/// Mid-stream detection, after the decision: where a direction stands until TCP reassembly can
/// take over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    /// Not in sync yet: find the first frame header in the next segment.
    Unknown,
    /// This many bytes of a frame begun earlier (whose bytes were not kept) still come first.
    Remaining(u64),
    /// The next frame header is at this sequence number.
    At(u32),
    /// A frame begun before the decision is in progress: its first bytes and whole length.
    Open { bytes: Vec<u8>, total: u64 },
    /// Segments start where the previous one's frames left off (TCP reassembly does the rest).
    Synced,
}

pub struct MidConn {
    pub det: Detector,
    /// Endpoint of direction A (the sender of the first segment seen), and of B once it sent.
    pub a: Endpoint,
    pub b: Option<Endpoint>,
    /// What each direction sent while undecided (freed at the decision).
    pub backlog: [Backlog; 2],
    pub skip: [Skip; 2],
    pub claimed: bool,
    /// The frame whose segment decided (0 while undecided).
    pub claimed_at: u32,
    /// The last frame whose segment was fed (each is fed once: by TCP's heuristic, or by the
    /// postdissector when TCP gave it to another dissector or to none).
    pub last_fed: u32,
    /// On a port HTTP owns, a segment began an HTTP message (request or status line): never ours.
    pub http: bool,
}

impl MidConn {
    pub fn new(a: Endpoint, http: bool) -> MidConn {
        MidConn {
            det: Detector::new(),
            a,
            b: None,
            backlog: [Backlog::default(), Backlog::default()],
            skip: [Skip::Unknown, Skip::Unknown],
            claimed: false,
            claimed_at: 0,
            last_fed: 0,
            http,
        }
    }
}

/// A unit of a segment that is not a frame read from the tvb: see `core::backlog::Kind`.
#[derive(Clone, Debug)]
pub struct MidUnit {
    pub off: u32,
    pub len: u32,
    pub kind: Kind,
    /// `Stored`: the whole frame's bytes (kept from the earlier segments and this one).
    pub bytes: Option<Arc<Vec<u8>>>,
}

#[derive(Default)]
pub struct MidStore {
    pub conns: Map<u32, MidConn>,
    /// Frame → its units, by ordinal (before the decision, and before a direction's sync was
    /// confirmed after it: every unit of the segment; after that: the first unit only, when it
    /// is not a frame read from the tvb).
    pub units: Map<u32, Vec<MidUnit>>,
}

/// Gap tracking: one [`Resync`] per direction of each connection.
#[derive(Default)]
pub struct ResyncStore {
    pub dirs: Map<(u32, Endpoint), Resync>,
    /// (frame, sequence number of the tvb) → bytes at its start that are not frames, and why.
    pub skips: Map<(u32, u32), (u32, SkipKind)>,
    /// The tvb being dissected on the first pass: (frame, its sequence number, its direction).
    pub current: Option<(u32, u32, (u32, Endpoint))>,
    /// The skip unit the length callback returned last: (frame, tvb seq, length, kind).
    pub handed: Option<(u32, u32, u32, SkipKind)>,
}

/// Application protocols above WebSocket (Engine.IO/Socket.IO, STOMP, SignalR, GraphQL, MQTT).
#[derive(Default)]
pub struct AppStore {
    pub sessions: Map<u32, Session>,
    /// (frame, ordinal in the packet of the WebSocket frame that completes the message) → what
    /// the first pass decided.
    pub msgs: Map<(u32, u32), MsgCtx>,
    /// A Socket.IO binary packet's message → the frames of its attachments.
    pub attachments: Map<(u32, u32), Vec<u32>>,
    /// Connections decided to speak none of them, with the ports Decode As was looked up for.
    /// Their first pass stored no message, so a revisit looks nothing up.
    pub given_up: Map<u32, [u32; 3]>,
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

/// Which of the postdissector's items the first pass stored for a frame.
#[derive(Clone, Copy, Debug, Default)]
pub struct Shown {
    /// How a WebSocket connection ended (its first FIN/RST).
    pub end: bool,
    /// The handshake (a 101 response).
    pub handshake: bool,
    /// Keep-alive events or a verdict.
    pub keepalive: bool,
}

impl Capture {
    /// What the postdissector shows on `frame`: one look for all three (most frames have none).
    pub fn shown(&self, frame: u32) -> Shown {
        Shown {
            end: self.ws.ends.contains_key(&frame),
            handshake: self.ws.handshakes.contains_key(&frame),
            keepalive: self.ka.events.contains_key(&frame),
        }
    }
}

static CAPTURE: Lazy<Mutex<Capture>> = Lazy::new(|| Mutex::new(Capture::default()));

/// Whether any connection of this capture is watched mid-stream (has a `MidConn`): lets the
/// postdissector pass every packet by without the lock while none is.
pub static MID_WATCHING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

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
        self.frames.insert(key, &rec);
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
    let midstream = cs.hs.response_frame.is_none();
    let extensions = cs.hs.extensions.as_deref();
    let state = cs.inflaters.get_or_insert_with(|| {
        let params = extensions.and_then(deflate::negotiated);
        let known = params.is_some();
        let p = params.unwrap_or_default();
        Box::new((
            [
                Inflater::with_backend(
                    Box::new(Zlib::new()),
                    p.client_no_context_takeover,
                    p.client_max_window_bits,
                    midstream,
                ),
                Inflater::with_backend(
                    Box::new(Zlib::new()),
                    p.server_no_context_takeover,
                    p.server_max_window_bits,
                    midstream,
                ),
            ],
            known,
        ))
    });
    let negotiated = state.1;
    let inf = &mut state.0[match dir {
        Direction::Client => 0,
        Direction::Server => 1,
    }];
    let out = inf.inflate_message(compressed, cap);
    let mut extra = Vec::new();
    if !negotiated {
        extra.push(Anomaly::CompressedContextUnknown);
    }
    match out.issue {
        Some(InflateIssue::CapReached) => extra.push(Anomaly::DecompressionCapped),
        Some(InflateIssue::Corrupt) => extra.push(Anomaly::DecompressionFailed),
        Some(InflateIssue::NeedsUnknownContext) if negotiated => {
            extra.push(Anomaly::CompressedContextUnknown);
        }
        Some(InflateIssue::NeedsUnknownContext) | None => {}
    }
    // RFC 6455 §8.1 applies to the inflated text.
    if is_text && !crate::core::message::utf8_valid(&out.data, out.issue.is_some()) {
        extra.push(Anomaly::InvalidUtf8Text);
    }
    // Kept for the whole capture: no spare capacity.
    let mut data = out.data;
    data.shrink_to_fit();
    (Some(data), extra)
}

/// Forget everything (a capture file is opened, closed, or dissected again from scratch).
pub fn clear() {
    // Replace, not clear: the old maps' memory is freed (memcheck finds nothing at exit).
    *capture() = Capture::default();
    MID_WATCHING.store(false, std::sync::atomic::Ordering::Relaxed);
    *convs() = Convs::default();
    // SAFETY: clears the shim's per-port cache; no packet is being dissected in init/cleanup.
    unsafe { sys::wsk_http_ports_forget() };
}

// ------------------------------------------------------------------ conversation indexes
//
// Every feature keys its state by Wireshark's conversation index, which costs a conversation
// table lookup (~1,000 instructions) per call, several per WebSocket frame and one per TCP packet.
// The index of a TCP connection changes only when TCP starts a new conversation on a SYN that
// reuses the addresses and ports; so it is remembered per address/port pair as a list of epochs
// (first frame, index), learnt on the first pass in capture order: a lookup on the first sight of
// the pair, and again on every SYN (`conv_after_syn`). A revisit finds the epoch that holds its
// frame, so every pass gets the same index for a frame. This table has its own lock: a leaf, taken
// alone and never while `capture()` is held (the two are never nested).

/// The two endpoints of a TCP connection, in a canonical order.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct ConvKey {
    lo: (Addr, u32),
    hi: (Addr, u32),
}

#[derive(Default)]
pub struct Convs {
    epochs: HashMap<ConvKey, Vec<(u32, u32)>, FxBuild>,
    /// The last answer from `epochs`: (key, first frame, first frame after, index) of the epoch.
    /// Consecutive packets are mostly of one connection; forgotten whenever `epochs` changes.
    last: Option<(ConvKey, u32, u32, u32)>,
}

static CONVS: Lazy<Mutex<Convs>> = Lazy::new(|| Mutex::new(Convs::default()));

fn convs() -> MutexGuard<'static, Convs> {
    CONVS.lock().unwrap_or_else(|e| e.into_inner())
}

unsafe fn conv_key(pinfo: Pinfo) -> ConvKey {
    // SAFETY: the caller's contract: the live packet.
    let (a, b) = unsafe { (src_endpoint(pinfo), dst_endpoint(pinfo)) };
    let (a, b) = ((a.addr, a.port), (b.addr, b.port));
    if (a.0.rank(), a.1) <= (b.0.rank(), b.1) {
        ConvKey { lo: a, hi: b }
    } else {
        ConvKey { lo: b, hi: a }
    }
}

impl Convs {
    /// The index of the epoch that holds `frame`, from what the first pass learnt.
    fn find(&mut self, key: &ConvKey, frame: u32) -> Option<u32> {
        if let Some((k, from, until, idx)) = &self.last {
            if k == key && *from <= frame && frame < *until {
                return Some(*idx);
            }
        }
        let ep = self.epochs.get(key)?;
        let i = ep.iter().rposition(|(first, _)| *first <= frame)?;
        // Later epochs begin later (the first pass appends in capture order); `min` keeps the
        // answer right even if one did not.
        let until = ep[i + 1..].iter().map(|e| e.0).min().unwrap_or(u32::MAX);
        let (from, idx) = ep[i];
        self.last = Some((*key, from, until, idx));
        Some(idx)
    }

    /// The epochs of `key`, to be changed (the remembered answer is forgotten).
    fn epochs_mut(&mut self, key: ConvKey) -> &mut Vec<(u32, u32)> {
        self.last = None;
        self.epochs.entry(key).or_default()
    }
}

/// The conversation index of this packet (see above); a table lookup only for packets that are not
/// TCP, the first packet of a connection, and frames before what the first pass learnt.
pub unsafe fn conv_index(pinfo: Pinfo, create: bool) -> Option<u32> {
    // SAFETY: the caller's contract: the pointers are the live packet's.
    unsafe {
        if (*pinfo).ptype != sys::port_type_PT_TCP {
            return conv_lookup(pinfo, create);
        }
        let key = conv_key(pinfo);
        let frame = (*pinfo).num;
        if let Some(idx) = convs().find(&key, frame) {
            return Some(idx);
        }
        let idx = conv_lookup(pinfo, create)?;
        if !visited(pinfo) {
            let mut c = convs();
            let ep = c.epochs_mut(key);
            if ep.last().is_none_or(|&(_, last)| last != idx) {
                ep.push((frame, idx));
            }
        }
        Some(idx)
    }
}

/// First pass, a TCP segment with SYN set: TCP may have started a new conversation for these
/// addresses and ports. Returns this packet's index; later frames get it from the table. (This
/// frame itself keeps the earlier index for anyone who asked before, on every pass alike.)
pub unsafe fn conv_after_syn(pinfo: Pinfo) -> Option<u32> {
    // SAFETY: the caller's contract: the pointers are the live packet's.
    unsafe {
        let idx = conv_lookup(pinfo, false)?;
        if visited(pinfo) || (*pinfo).ptype != sys::port_type_PT_TCP {
            return Some(idx);
        }
        let key = conv_key(pinfo);
        let frame = (*pinfo).num;
        let mut c = convs();
        let ep = c.epochs_mut(key);
        match ep.last() {
            Some(&(_, last)) if last == idx => {}
            Some(_) => ep.push((frame.saturating_add(1), idx)),
            None => ep.push((frame, idx)),
        }
        Some(idx)
    }
}

/// A fast hasher for small fixed keys (the Fx hash: multiply and rotate per word). Keys here come
/// from packet headers; a hostile capture can at worst make its own lookups slower.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for c in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..c.len()].copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(w));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }
    fn write_i32(&mut self, i: i32) {
        self.write_u64(i as u32 as u64);
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

pub type FxBuild = std::hash::BuildHasherDefault<FxHasher>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::message::{Completed, Direction, FrameOutcome};

    fn rec(frame: u32) -> Arc<FrameRecord> {
        Arc::new(FrameRecord {
            outcome: FrameOutcome {
                dir: if frame.is_multiple_of(2) {
                    Direction::Client
                } else {
                    Direction::Server
                },
                msg_index: frame,
                msg_type: 1,
                fragment: 1,
                completes: Some(Completed {
                    total_len: u64::from(frame) * 3,
                    frames: 1,
                    data: None,
                    truncated: false,
                    text_valid: Some(true),
                    compressed: false,
                }),
                close: None,
                anomalies: Vec::new(),
                compressed: false,
            },
            request_frame: Some(1),
            response_frame: Some(2),
            close_role: None,
            inflated: None,
            extra: Vec::new(),
        })
    }

    /// Lookups in capture order, backwards, repeated and at random find each frame's own record
    /// (the hint only spares the search), and nothing for frames never stored.
    #[test]
    fn lookups_in_any_order_find_the_stored_record() {
        let mut st = FrameStore::default();
        let keys: Vec<(u32, u32)> = (0..3000u32)
            .flat_map(|f| (0..1 + f % 3).map(move |o| (10 + 2 * f, o)))
            .collect();
        for &k in &keys {
            st.insert(k, &rec(k.0 + k.1));
        }
        assert_eq!(st.small.len(), keys.len(), "kept in the compact form");
        let check = |st: &FrameStore, k: (u32, u32)| {
            let r = st.get(&k).expect("stored");
            assert_eq!(r.outcome.msg_index, k.0 + k.1, "{k:?}");
            assert_eq!(
                r.outcome.completes.as_ref().map(|c| c.total_len),
                Some(u64::from(k.0 + k.1) * 3)
            );
        };
        for &k in &keys {
            check(&st, k);
            check(&st, k);
        }
        for &k in keys.iter().rev() {
            check(&st, k);
        }
        let mut x = 12345u32;
        for _ in 0..5000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            check(&st, keys[(x >> 8) as usize % keys.len()]);
            assert!(st.get(&(11 + 2 * (x % 3000), 0)).is_none());
        }
    }
}
