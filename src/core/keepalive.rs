//! Keep-alive analysis: TCP keep-alive probes and their ACKs (RFC 1122
//! §4.2.3.6) and WebSocket Ping/Pong pairing (RFC 6455 §5.5.2-§5.5.3).
//!
//! One [`Tracker`] per TCP connection. The glue feeds every TCP segment
//! ([`Tracker::on_tcp`]) and every WebSocket control/data frame
//! ([`Tracker::on_ws_control`], [`Tracker::on_ws_data`]) in capture order on
//! the first pass and stores the returned [`Event`]s. Results that depend on
//! later frames ([`Tracker::reply_in`], [`Tracker::unanswered`],
//! [`Tracker::verdict`]) are asked of the tracker afterwards.
//!
//! A TCP keep-alive probe has three outcomes (RFC 1122 §4.2.3.6; Stevens, UNIX
//! Network Programming vol. 1, SO_KEEPALIVE):
//! - an ACK from the peer: it is alive ([`Kind::Ack`]);
//! - a RST from the peer: it restarted or otherwise forgot the connection, and
//!   the prober's application gets ECONNRESET ([`Kind::Reset`]: the RST answers
//!   the probe);
//! - nothing: after `tcp_keepalive_probes` unanswered probes the prober's kernel
//!   gives up (ETIMEDOUT) and sends a RST itself (a verdict on that RST and on
//!   the last probe, "reset after N unanswered probes").
//!
//! Which RST is which is told by who sends it: the prober's peer, or the prober.
//!
//! Sequence numbers are raw 32-bit values; every comparison is done with
//! wrapping arithmetic (RFC 793 style).

use std::collections::{HashMap, VecDeque};

/// Side of a TCP connection: 0 = the side that sent the first segment the
/// tracker saw, 1 = the other.
pub type Side = u8;

/// TCP flag bits (as in the TCP header).
pub const F_FIN: u8 = 0x01;
pub const F_SYN: u8 = 0x02;
pub const F_RST: u8 = 0x04;
pub const F_ACK: u8 = 0x10;

/// Outstanding pings kept per side; older ones are dropped (and stay
/// unanswered).
pub const MAX_PENDING_PINGS: usize = 64;

/// Payload bytes stored verbatim per outstanding ping (the RFC 6455 limit
/// for control frames); longer payloads are compared by length + hash too.
const PING_HEAD: usize = 125;

/// One TCP segment, as far as keep-alive analysis needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    pub frame: u32,
    /// Nanoseconds since an arbitrary epoch (absolute capture time).
    pub time_ns: i64,
    pub from: Side,
    /// Raw (absolute) sequence number.
    pub seq: u32,
    /// Raw (absolute) acknowledgement number; meaningful with [`F_ACK`].
    pub ack: u32,
    /// TCP payload length.
    pub len: u32,
    /// TCP flags ([`F_FIN`], [`F_SYN`], [`F_RST`], [`F_ACK`], ...).
    pub flags: u8,
}

/// Which layer a keep-alive event belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layer {
    Tcp,
    Ws,
    /// An application protocol's own heartbeat (Engine.IO, STOMP, SignalR, MQTT, GraphQL).
    App,
}

/// What a keep-alive frame is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Probe,
    /// The peer's ACK of a probe: it is alive.
    Ack,
    Ping,
    Pong,
    /// A RST from the prober's peer after a probe and before any ACK of it: the
    /// peer answers that it has no such connection (it restarted or forgot it).
    Reset,
    /// A one-way application heartbeat (STOMP heart-beat, SignalR Ping, graphql-ws `ka`): no
    /// answer is expected.
    Heartbeat,
}

/// TCP probe style.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// No payload (Linux).
    ZeroByte,
    /// One garbage byte (Windows/BSD style).
    OneByte,
}

impl Layer {
    /// "tcp" / "ws"
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Tcp => "tcp",
            Layer::Ws => "ws",
            Layer::App => "app",
        }
    }
}

impl Kind {
    /// "probe" / "ack" / "ping" / "pong" / "reset"
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Probe => "probe",
            Kind::Ack => "ack",
            Kind::Ping => "ping",
            Kind::Pong => "pong",
            Kind::Reset => "reset",
            Kind::Heartbeat => "heartbeat",
        }
    }
}

impl Style {
    /// "zero-byte" / "one-byte"
    pub fn as_str(self) -> &'static str {
        match self {
            Style::ZeroByte => "zero-byte",
            Style::OneByte => "one-byte",
        }
    }
}

/// What one frame is, as far as keep-alive goes. Fields that need the future
/// (reply_in, unanswered, verdict) are not here: ask the [`Tracker`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub frame: u32,
    pub layer: Layer,
    pub kind: Kind,
    pub from: Side,
    /// TCP probes only.
    pub style: Option<Style>,
    /// Probes/pings: 1-based number in the sender's current idle run.
    pub num: Option<u32>,
    /// Probes/pings: time since the last data on the connection (either
    /// direction), or since the first thing the tracker saw.
    pub idle_ns: Option<i64>,
    /// Probes/pings: time since the previous probe (ping) of the same sender.
    pub interval_ns: Option<i64>,
    /// Acks/pongs/resets: the probe/ping frame answered.
    pub reply_to: Option<u32>,
    /// Acks/pongs/resets: time since that probe/ping.
    pub rtt_ns: Option<i64>,
    /// Pongs matching no outstanding ping.
    pub unsolicited: bool,
    /// Application heartbeats: the protocol (`engine.io`, `stomp`, `signalr`, `mqtt`, `graphql`).
    pub app: Option<&'static str>,
    /// Later than the protocol's negotiated cadence allows (known when the event is seen).
    pub late: Option<String>,
}

impl Event {
    fn new(frame: u32, layer: Layer, kind: Kind, from: Side) -> Event {
        Event {
            frame,
            layer,
            kind,
            from,
            style: None,
            num: None,
            idle_ns: None,
            interval_ns: None,
            reply_to: None,
            rtt_ns: None,
            unsolicited: false,
            app: None,
            late: None,
        }
    }
}

/// `a - b` as a signed 32-bit distance (sequence-space comparison).
fn seq_diff(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}

/// The later of two sequence numbers (either may be absent).
fn seq_max(a: Option<u32>, b: Option<u32>) -> Option<u32> {
    match (a, b) {
        (Some(x), Some(y)) => Some(if seq_diff(y, x) > 0 { y } else { x }),
        (x, None) => x,
        (None, y) => y,
    }
}

fn idx(side: Side) -> usize {
    usize::from(side != 0)
}

fn plural(n: u32, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn unresponsive(n: u32) -> String {
    format!("peer unresponsive after {}", plural(n, "probe"))
}

/// Verdict on a probe answered by the peer's RST.
const PROBE_RESET: &str = "peer reset the connection (it restarted or forgot it)";

/// Verdict on the peer's RST that answers probe #`num`.
fn reset_answer(num: u32) -> String {
    format!("answers probe #{num}: {PROBE_RESET}")
}

/// A probe waiting for its ACK.
#[derive(Clone, Copy, Debug, Default)]
struct Probe {
    frame: u32,
    seq: u32,
    time_ns: i64,
    /// Its number in the sender's idle run.
    num: u32,
}

/// Per-side TCP state.
#[derive(Clone, Debug, Default)]
struct TcpSide {
    /// Highest seq+len (+SYN/FIN) this side sent.
    max_end: Option<u32>,
    /// Highest ack number this side sent (with the ACK flag).
    max_ack: Option<u32>,
    /// Probes in the current idle run (reset by data).
    run_num: u32,
    /// Time of this side's previous probe.
    last_probe_ns: Option<i64>,
    /// The most recent probe, while unanswered.
    outstanding: Option<Probe>,
    /// Unanswered probes since the last answer / data (0 = none).
    unanswered_run: u32,
    /// Frame of the last probe of that unanswered run.
    unanswered_last: u32,
}

impl TcpSide {
    fn clear_run(&mut self) {
        self.outstanding = None;
        self.unanswered_run = 0;
    }
}

/// An outstanding ping.
#[derive(Clone, Debug)]
struct PendingPing {
    frame: u32,
    time_ns: i64,
    len: usize,
    hash: u64,
    head: Vec<u8>,
}

impl PendingPing {
    fn matches(&self, payload: &[u8]) -> bool {
        self.len == payload.len()
            && self.head[..] == payload[..payload.len().min(PING_HEAD)]
            && (self.len <= PING_HEAD || self.hash == fnv1a(payload))
    }
}

fn fnv1a(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Per-side WebSocket state.
#[derive(Clone, Debug, Default)]
struct WsSide {
    run_num: u32,
    last_ping_ns: Option<i64>,
    pending: VecDeque<PendingPing>,
    /// The sender's ping cadence, to tell a late ping.
    cadence: cadence::Cadence,
}

/// Probe/ping frames: how many asks the frame holds and which got answered.
#[derive(Clone, Copy, Debug, Default)]
struct Ask {
    count: u16,
    answered: u16,
    reply: Option<u32>,
}

/// Per-connection keep-alive state.
#[derive(Default)]
pub struct Tracker {
    first_ns: Option<i64>,
    tcp_last_data_ns: Option<i64>,
    ws_last_data_ns: Option<i64>,
    tcp: [TcpSide; 2],
    ws: [WsSide; 2],
    endpoints: Vec<(Vec<u8>, u32)>,
    asks: HashMap<u32, Ask>,
    verdicts: HashMap<u32, String>,
    /// Application heartbeats (made at the first one).
    app: Option<Box<app::AppState>>,
}

impl Tracker {
    pub fn new() -> Tracker {
        Tracker::default()
    }

    fn saw(&mut self, time_ns: i64) {
        if self.first_ns.is_none() {
            self.first_ns = Some(time_ns);
        }
    }

    fn idle(&self, last_data: Option<i64>, now: i64) -> Option<i64> {
        last_data.or(self.first_ns).map(|t| now.saturating_sub(t))
    }

    fn add_ask(&mut self, frame: u32) {
        let a = self.asks.entry(frame).or_default();
        a.count = a.count.saturating_add(1);
    }

    fn answer(&mut self, asked: u32, reply: u32) {
        let a = self.asks.entry(asked).or_default();
        a.answered = a.answered.saturating_add(1).min(a.count.max(1));
        if a.reply.is_none() {
            a.reply = Some(reply);
        }
    }

    /// Is `seg` a keep-alive probe (decided before `seg` updates the state)?
    fn is_probe(&self, seg: &Segment, me: usize) -> bool {
        if seg.flags & (F_SYN | F_FIN | F_RST) != 0 || seg.len > 1 {
            return false;
        }
        // Our next sequence number: what we sent, or what the peer acked if
        // that is further (segments missed, or a capture begun mid-way).
        match seq_max(self.tcp[me].max_end, self.tcp[1 - me].max_ack) {
            Some(next) => seg.seq == next.wrapping_sub(1),
            None => false,
        }
    }

    /// Feed every TCP segment of the connection in capture order (first
    /// pass). Returns the keep-alive events for this frame (normally 0 or 1;
    /// 2 when a probe also answers the peer's probe).
    pub fn on_tcp(&mut self, seg: &Segment) -> Vec<Event> {
        self.saw(seg.time_ns);
        let me = idx(seg.from);
        let peer = 1 - me;
        let mut events = Vec::new();

        // 1. Does it answer the peer's outstanding probe? A RST from the
        // prober's peer does, whatever its ACK field (a host that lost the
        // connection sends RST without ACK, seq = the probe's ack, RFC 793
        // "Reset Generation"); otherwise an ACK that covers the probe.
        let mut answered_by_reset = false;
        if let Some(p) = self.tcp[peer].outstanding {
            let rst = seg.flags & F_RST != 0;
            let covers = seg.flags & F_ACK != 0 && seq_diff(seg.ack, p.seq.wrapping_add(1)) >= 0;
            if rst || covers {
                self.tcp[peer].clear_run();
                self.answer(p.frame, seg.frame);
                let kind = if rst { Kind::Reset } else { Kind::Ack };
                let mut ev = Event::new(seg.frame, Layer::Tcp, kind, seg.from);
                ev.reply_to = Some(p.frame);
                ev.rtt_ns = Some(seg.time_ns.saturating_sub(p.time_ns));
                events.push(ev);
                if rst {
                    self.verdicts.insert(p.frame, PROBE_RESET.to_string());
                    self.verdicts.insert(seg.frame, reset_answer(p.num));
                    answered_by_reset = true;
                }
            }
        }

        // 2. Is it a probe?
        let probe = self.is_probe(seg, me);
        if probe {
            let idle = self.idle(self.tcp_last_data_ns, seg.time_ns);
            let side = &mut self.tcp[me];
            side.run_num = side.run_num.saturating_add(1);
            let mut ev = Event::new(seg.frame, Layer::Tcp, Kind::Probe, seg.from);
            ev.style = Some(if seg.len == 0 {
                Style::ZeroByte
            } else {
                Style::OneByte
            });
            ev.num = Some(side.run_num);
            ev.idle_ns = idle;
            ev.interval_ns = side.last_probe_ns.map(|t| seg.time_ns.saturating_sub(t));
            side.last_probe_ns = Some(seg.time_ns);
            side.outstanding = Some(Probe {
                frame: seg.frame,
                seq: seg.seq,
                time_ns: seg.time_ns,
                num: side.run_num,
            });
            side.unanswered_run = side.unanswered_run.saturating_add(1);
            side.unanswered_last = seg.frame;
            self.add_ask(seg.frame);
            events.push(ev);
        }

        // 3. RST/FIN ending an unanswered run (the prober giving up, or a FIN
        // that does not answer the probe). A RST that answered the peer's
        // probe keeps that verdict.
        if seg.flags & (F_RST | F_FIN) != 0 && !answered_by_reset {
            self.close_verdict(seg, me);
        }

        // 4. Data resets the idle clock and both sides' runs.
        if seg.len > 0 && !probe {
            self.tcp_last_data_ns = Some(seg.time_ns);
            for s in self.tcp.iter_mut() {
                s.run_num = 0;
                s.clear_run();
            }
        }

        // 5. Sequence state.
        let side = &mut self.tcp[me];
        if seg.flags & F_RST == 0 {
            let mut end = seg.seq.wrapping_add(seg.len);
            if seg.flags & F_SYN != 0 {
                end = end.wrapping_add(1);
            }
            if seg.flags & F_FIN != 0 {
                end = end.wrapping_add(1);
            }
            side.max_end = seq_max(side.max_end, Some(end));
        }
        if seg.flags & F_ACK != 0 {
            side.max_ack = seq_max(side.max_ack, Some(seg.ack));
        }
        events
    }

    /// Verdicts for a RST/FIN frame that ends an unanswered run of probes.
    fn close_verdict(&mut self, seg: &Segment, me: usize) {
        let peer = 1 - me;
        // The longer run; on a tie the sender's own (Linux gives up and
        // sends the RST itself).
        let (mine, theirs) = (self.tcp[me].unanswered_run, self.tcp[peer].unanswered_run);
        let chosen = if mine == 0 && theirs == 0 {
            return;
        } else if theirs > mine {
            peer
        } else {
            me
        };
        let n = self.tcp[chosen].unanswered_run;
        let last = self.tcp[chosen].unanswered_last;
        let what = if seg.flags & F_RST != 0 {
            "reset"
        } else {
            "closed"
        };
        self.verdicts.insert(
            seg.frame,
            format!("{what} after {}", plural(n, "unanswered probe")),
        );
        self.verdicts.insert(last, unresponsive(n));
        for s in self.tcp.iter_mut() {
            s.clear_run();
        }
    }

    /// A WebSocket Ping or Pong frame (first pass, in order), with its
    /// unmasked payload.
    pub fn on_ws_control(
        &mut self,
        frame: u32,
        time_ns: i64,
        from: Side,
        is_ping: bool,
        payload: &[u8],
    ) -> Event {
        self.saw(time_ns);
        let me = idx(from);
        if is_ping {
            let idle = self.idle(self.ws_last_data_ns, time_ns);
            let side = &mut self.ws[me];
            side.run_num = side.run_num.saturating_add(1);
            let mut ev = Event::new(frame, Layer::Ws, Kind::Ping, from);
            ev.num = Some(side.run_num);
            ev.idle_ns = idle;
            ev.interval_ns = side.last_ping_ns.map(|t| time_ns.saturating_sub(t));
            if let Some(i) = ev.interval_ns {
                ev.late = side.cadence.judge(i);
            }
            side.last_ping_ns = Some(time_ns);
            if side.pending.len() >= MAX_PENDING_PINGS {
                side.pending.pop_front();
            }
            side.pending.push_back(PendingPing {
                frame,
                time_ns,
                len: payload.len(),
                hash: fnv1a(payload),
                head: payload[..payload.len().min(PING_HEAD)].to_vec(),
            });
            self.add_ask(frame);
            ev
        } else {
            let mut ev = Event::new(frame, Layer::Ws, Kind::Pong, from);
            let pending = &mut self.ws[1 - me].pending;
            match pending.iter().position(|p| p.matches(payload)) {
                Some(i) => {
                    let p = pending.remove(i).expect("index from position");
                    ev.reply_to = Some(p.frame);
                    ev.rtt_ns = Some(time_ns.saturating_sub(p.time_ns));
                    self.answer(p.frame, frame);
                }
                None => ev.unsolicited = true,
            }
            ev
        }
    }

    /// A WebSocket data message (Text/Binary frame) seen at this time: resets
    /// the Ws idle clock and both sides' ping runs.
    pub fn on_ws_data(&mut self, time_ns: i64) {
        self.saw(time_ns);
        self.ws_last_data_ns = Some(time_ns);
        for s in self.ws.iter_mut() {
            s.run_num = 0;
        }
    }

    /// Map an endpoint to a Side: the first endpoint seen becomes side 0,
    /// any other one side 1.
    pub fn side_of(&mut self, addr: &[u8], port: u32) -> Side {
        if let Some(i) = self
            .endpoints
            .iter()
            .position(|(a, p)| *p == port && a[..] == *addr)
        {
            return if i == 0 { 0 } else { 1 };
        }
        if self.endpoints.len() < 2 {
            self.endpoints.push((addr.to_vec(), port));
        }
        if self.endpoints.len() == 1 {
            0
        } else {
            1
        }
    }

    /// Probe/ping frame → the frame that answered it.
    pub fn reply_in(&self, frame: u32) -> Option<u32> {
        self.asks.get(&frame).and_then(|a| a.reply)
    }

    /// A probe/ping frame that got no answer (by the end of what was fed).
    pub fn unanswered(&self, frame: u32) -> bool {
        self.asks.get(&frame).is_some_and(|a| a.answered < a.count)
    }

    /// Verdict text for a frame: a RST/FIN ending an unanswered run, or the
    /// last probe of such a run (also of a run of >= 2 unanswered probes
    /// still open at the end of what was fed); a probe answered by the peer's
    /// RST, and that RST.
    pub fn verdict(&self, frame: u32) -> Option<String> {
        if let Some(v) = self.verdicts.get(&frame) {
            return Some(v.clone());
        }
        self.tcp
            .iter()
            .find(|s| s.unanswered_run >= 2 && s.unanswered_last == frame)
            .map(|s| unresponsive(s.unanswered_run))
    }

    /// Approximate bytes of state held by this tracker.
    pub fn approx_bytes(&self) -> usize {
        use std::mem::size_of;
        let mut n = size_of::<Tracker>();
        n += self.asks.capacity() * (size_of::<(u32, Ask)>() + 1);
        n += self.verdicts.capacity() * (size_of::<(u32, String)>() + 1);
        n += self.verdicts.values().map(|v| v.capacity()).sum::<usize>();
        n += self
            .endpoints
            .iter()
            .map(|(a, _)| size_of::<(Vec<u8>, u32)>() + a.capacity())
            .sum::<usize>();
        for s in &self.ws {
            n += s.pending.capacity() * size_of::<PendingPing>();
            n += s.pending.iter().map(|p| p.head.capacity()).sum::<usize>();
        }
        n
    }
}

mod app;
mod cadence;
pub use app::{Expect, Late};

#[cfg(test)]
mod tests;
