//! Tests for keep-alive analysis.

use super::*;

const S: i64 = 1_000_000_000;
const MS: i64 = 1_000_000;

/// Builds segments for a connection; tracks frame numbers.
struct Conn {
    t: Tracker,
    frame: u32,
}

impl Conn {
    fn new() -> Conn {
        Conn {
            t: Tracker::new(),
            frame: 0,
        }
    }

    fn seg(
        &mut self,
        time_ns: i64,
        from: Side,
        seq: u32,
        ack: u32,
        len: u32,
        flags: u8,
    ) -> (u32, Vec<Event>) {
        self.frame += 1;
        let s = Segment {
            frame: self.frame,
            time_ns,
            from,
            seq,
            ack,
            len,
            flags,
        };
        (self.frame, self.t.on_tcp(&s))
    }

    fn ack(&mut self, time_ns: i64, from: Side, seq: u32, ack: u32) -> (u32, Vec<Event>) {
        self.seg(time_ns, from, seq, ack, 0, F_ACK)
    }
}

/// Side 0 seq space starts at A, side 1 at B (after handshake).
const A: u32 = 1000;
const B: u32 = 5000;

/// Handshake plus one request/response; returns the conn with side 0 next =
/// A+1+100, side 1 next = B+1+200; last data at 2 ms.
fn established() -> Conn {
    let mut c = Conn::new();
    assert!(c.seg(0, 0, A, 0, 0, F_SYN).1.is_empty());
    assert!(c.seg(0, 1, B, A + 1, 0, F_SYN | F_ACK).1.is_empty());
    assert!(c.ack(0, 0, A + 1, B + 1).1.is_empty());
    assert!(c.seg(MS, 0, A + 1, B + 1, 100, F_ACK).1.is_empty());
    assert!(c.seg(2 * MS, 1, B + 1, A + 101, 200, F_ACK).1.is_empty());
    assert!(c.ack(3 * MS, 0, A + 101, B + 201).1.is_empty());
    c
}

fn one(ev: Vec<Event>) -> Event {
    assert_eq!(ev.len(), 1, "{ev:?}");
    ev.into_iter().next().unwrap()
}

#[test]
fn as_str() {
    assert_eq!(Layer::Tcp.as_str(), "tcp");
    assert_eq!(Layer::Ws.as_str(), "ws");
    assert_eq!(Kind::Probe.as_str(), "probe");
    assert_eq!(Kind::Ack.as_str(), "ack");
    assert_eq!(Kind::Ping.as_str(), "ping");
    assert_eq!(Kind::Pong.as_str(), "pong");
    assert_eq!(Kind::Reset.as_str(), "reset");
    assert_eq!(Style::ZeroByte.as_str(), "zero-byte");
    assert_eq!(Style::OneByte.as_str(), "one-byte");
}

#[test]
fn linux_zero_byte_probe_and_ack() {
    let mut c = established();
    let t0 = 2 * MS + 10 * S;
    let (pf, ev) = c.ack(t0, 0, A + 100, B + 201);
    let p = one(ev);
    assert_eq!(
        p,
        Event {
            frame: pf,
            layer: Layer::Tcp,
            kind: Kind::Probe,
            from: 0,
            style: Some(Style::ZeroByte),
            num: Some(1),
            idle_ns: Some(10 * S),
            interval_ns: None,
            reply_to: None,
            rtt_ns: None,
            unsolicited: false,
            app: None,
            late: None,
        }
    );
    let (af, ev) = c.ack(t0 + 40 * MS, 1, B + 201, A + 101);
    let a = one(ev);
    assert_eq!(a.kind, Kind::Ack);
    assert_eq!(a.layer, Layer::Tcp);
    assert_eq!(a.from, 1);
    assert_eq!(a.reply_to, Some(pf));
    assert_eq!(a.rtt_ns, Some(40 * MS));
    assert_eq!(a.num, None);
    assert_eq!(c.t.reply_in(pf), Some(af));
    assert!(!c.t.unanswered(pf));
    assert_eq!(c.t.verdict(pf), None);
    assert_eq!(c.t.reply_in(af), None);
    assert!(!c.t.unanswered(af));
    // A later plain ACK from side 1 is nothing.
    assert!(c.ack(t0 + S, 1, B + 201, A + 101).1.is_empty());
}

#[test]
fn one_byte_probe() {
    let mut c = established();
    let (pf, ev) = c.seg(5 * S, 0, A + 100, B + 201, 1, F_ACK);
    let p = one(ev);
    assert_eq!(p.kind, Kind::Probe);
    assert_eq!(p.style, Some(Style::OneByte));
    assert_eq!(p.num, Some(1));
    let (af, ev) = c.ack(5 * S + MS, 1, B + 201, A + 101);
    assert_eq!(one(ev).reply_to, Some(pf));
    assert_eq!(c.t.reply_in(pf), Some(af));
    assert!(!c.t.unanswered(pf));
    // The garbage byte did not advance side 0's next sequence number.
    let ev = one(c.seg(10 * S, 0, A + 100, B + 201, 1, F_ACK).1);
    assert_eq!(ev.kind, Kind::Probe);
    assert_eq!(ev.num, Some(2));
    assert_eq!(ev.interval_ns, Some(5 * S));
}

#[test]
fn plain_ack_and_data_are_not_probes() {
    let mut c = established();
    assert!(c.ack(5 * S, 0, A + 101, B + 201).1.is_empty());
    assert!(c.ack(5 * S, 1, B + 201, A + 101).1.is_empty());
    assert!(c.seg(6 * S, 0, A + 101, B + 201, 50, F_ACK).1.is_empty());
    assert!(c.seg(6 * S, 1, B + 201, A + 151, 1, F_ACK).1.is_empty());
    // A retransmission of old data (len > 1) is not a probe either.
    assert!(c.seg(7 * S, 0, A + 101, B + 202, 50, F_ACK).1.is_empty());
    // SYN/FIN/RST are never probes.
    assert!(c
        .seg(8 * S, 0, A + 150, B + 202, 0, F_FIN | F_ACK)
        .1
        .is_empty());
}

#[test]
fn ack_that_moved_on_is_data() {
    let mut c = established();
    let (p1, ev) = c.ack(10 * S, 0, A + 100, B + 201);
    assert_eq!(one(ev).kind, Kind::Probe);
    // Side 1 sends data that acks the probe.
    let (df, ev) = c.seg(10 * S + 5 * MS, 1, B + 201, A + 101, 100, F_ACK);
    let a = one(ev);
    assert_eq!(a.kind, Kind::Ack);
    assert_eq!(a.reply_to, Some(p1));
    assert_eq!(a.rtt_ns, Some(5 * MS));
    assert_eq!(c.t.reply_in(p1), Some(df));
    // Side 0 acks the data; then a new probe series after idle.
    assert!(c.ack(10 * S + 6 * MS, 0, A + 101, B + 301).1.is_empty());
    let (p2, ev) = c.ack(20 * S + 5 * MS, 0, A + 100, B + 301);
    let p = one(ev);
    assert_eq!(p.num, Some(1));
    assert_eq!(p.idle_ns, Some(10 * S));
    assert_eq!(p.interval_ns, Some(10 * S + 5 * MS));
    // The ack number is beyond probe.seq+1 (moved on): still an answer.
    let (a2, ev) = c.ack(20 * S + 6 * MS, 1, B + 301, A + 101);
    assert_eq!(one(ev).reply_to, Some(p2));
    assert_eq!(c.t.reply_in(p2), Some(a2));
}

#[test]
fn ack_beyond_probe_after_missed_data() {
    let mut c = established();
    let (p1, _) = c.ack(10 * S, 0, A + 100, B + 201);
    // Peer acks further than we saw (moved on): answers.
    let (af, ev) = c.ack(10 * S + MS, 1, B + 201, A + 500);
    assert_eq!(one(ev).reply_to, Some(p1));
    assert_eq!(c.t.reply_in(p1), Some(af));
    // An ACK below probe.seq+1 does not answer.
    let (p2, ev) = c.ack(20 * S, 0, A + 499, B + 201);
    assert_eq!(one(ev).num, Some(2));
    assert!(c.ack(20 * S + MS, 1, B + 201, A + 400).1.is_empty());
    assert!(c.t.unanswered(p2));
}

#[test]
fn other_segments_in_between() {
    let mut c = established();
    let (p1, _) = c.ack(10 * S, 0, A + 100, B + 201);
    // Side 0 sends another pure ACK (e.g. a window update).
    assert!(c.ack(10 * S + MS, 0, A + 101, B + 201).1.is_empty());
    // A stale segment from side 1 that does not cover the probe.
    assert!(c.ack(10 * S + 2 * MS, 1, B + 201, A + 50).1.is_empty());
    let (af, ev) = c.ack(10 * S + 3 * MS, 1, B + 201, A + 101);
    let a = one(ev);
    assert_eq!(a.reply_to, Some(p1));
    assert_eq!(a.rtt_ns, Some(3 * MS));
    assert_eq!(c.t.reply_in(p1), Some(af));
    // Only the first answering segment is the ack.
    assert!(c.ack(10 * S + 4 * MS, 1, B + 201, A + 101).1.is_empty());
}

#[test]
fn mid_connection_start() {
    let mut c = Conn::new();
    let x: u32 = 777_000;
    let y: u32 = 42;
    assert!(c.ack(0, 1, y, x).1.is_empty());
    let (pf, ev) = c.ack(S, 0, x - 1, y);
    let p = one(ev);
    assert_eq!(p.kind, Kind::Probe);
    assert_eq!(p.from, 0);
    assert_eq!(p.num, Some(1));
    assert_eq!(p.idle_ns, Some(S));
    let (af, ev) = c.ack(S + MS, 1, y, x);
    assert_eq!(one(ev).reply_to, Some(pf));
    assert_eq!(c.t.reply_in(pf), Some(af));
}

#[test]
fn mid_connection_first_probe_unseen() {
    // Capture starts with a probe (not recognisable), then its ACK, then
    // more probes: those must be recognised.
    let mut c = Conn::new();
    let x: u32 = 9_000;
    assert!(c.ack(0, 0, x - 1, 1).1.is_empty());
    assert!(c.ack(MS, 1, 1, x).1.is_empty());
    let (pf, ev) = c.ack(75 * S, 0, x - 1, 1);
    let p = one(ev);
    assert_eq!(p.kind, Kind::Probe);
    assert_eq!(p.num, Some(1));
    assert_eq!(p.idle_ns, Some(75 * S));
    let (af, ev) = c.ack(75 * S + MS, 1, 1, x);
    assert_eq!(one(ev).reply_to, Some(pf));
    assert_eq!(c.t.reply_in(pf), Some(af));
}

#[test]
fn three_unanswered_then_rst() {
    let mut c = established();
    let (p1, e1) = c.ack(10 * S, 0, A + 100, B + 201);
    let (p2, e2) = c.ack(15 * S, 0, A + 100, B + 201);
    let (p3, e3) = c.ack(20 * S, 0, A + 100, B + 201);
    let (e1, e2, e3) = (one(e1), one(e2), one(e3));
    assert_eq!((e1.num, e2.num, e3.num), (Some(1), Some(2), Some(3)));
    assert_eq!(e1.interval_ns, None);
    assert_eq!(e2.interval_ns, Some(5 * S));
    assert_eq!(e3.interval_ns, Some(5 * S));
    assert_eq!(e3.idle_ns, Some(20 * S - 2 * MS));
    let (rf, ev) = c.seg(25 * S, 0, A + 101, B + 201, 0, F_RST | F_ACK);
    assert!(ev.is_empty());
    assert_eq!(
        c.t.verdict(rf).as_deref(),
        Some("reset after 3 unanswered probes")
    );
    assert_eq!(
        c.t.verdict(p3).as_deref(),
        Some("peer unresponsive after 3 probes")
    );
    assert_eq!(c.t.verdict(p1), None);
    assert_eq!(c.t.verdict(p2), None);
    for p in [p1, p2, p3] {
        assert!(c.t.unanswered(p));
        assert_eq!(c.t.reply_in(p), None);
    }
    assert!(!c.t.unanswered(rf));
}

#[test]
fn unanswered_run_at_capture_end() {
    let mut c = established();
    let (p1, _) = c.ack(10 * S, 0, A + 100, B + 201);
    let (p2, _) = c.ack(15 * S, 0, A + 100, B + 201);
    assert_eq!(c.t.verdict(p1), None);
    assert_eq!(
        c.t.verdict(p2).as_deref(),
        Some("peer unresponsive after 2 probes")
    );
    assert!(c.t.unanswered(p1) && c.t.unanswered(p2));
}

#[test]
fn single_unanswered_at_end_has_no_verdict_but_fin_does() {
    let mut c = established();
    let (p1, _) = c.ack(10 * S, 0, A + 100, B + 201);
    assert_eq!(c.t.verdict(p1), None);
    assert!(c.t.unanswered(p1));
    let (ff, _) = c.seg(11 * S, 1, B + 201, A + 100, 0, F_FIN | F_ACK);
    assert_eq!(
        c.t.verdict(ff).as_deref(),
        Some("closed after 1 unanswered probe")
    );
    assert_eq!(
        c.t.verdict(p1).as_deref(),
        Some("peer unresponsive after 1 probe")
    );
}

#[test]
fn answered_probe_then_rst_has_no_verdict() {
    let mut c = established();
    let (p1, _) = c.ack(10 * S, 0, A + 100, B + 201);
    let (p2, _) = c.ack(15 * S, 0, A + 100, B + 201);
    c.ack(15 * S + MS, 1, B + 201, A + 101);
    // Older outstanding probe of the run stays unanswered; the newest is
    // answered.
    assert!(c.t.unanswered(p1));
    assert!(!c.t.unanswered(p2));
    let (rf, _) = c.seg(16 * S, 1, B + 201, A + 101, 0, F_RST | F_ACK);
    assert_eq!(c.t.verdict(rf), None);
    assert_eq!(c.t.verdict(p1), None);
    assert_eq!(c.t.verdict(p2), None);
}

#[test]
fn answered_then_unanswered_run_counts_from_answer() {
    let mut c = established();
    c.ack(10 * S, 0, A + 100, B + 201);
    c.ack(10 * S + MS, 1, B + 201, A + 101);
    let (p2, e2) = c.ack(20 * S, 0, A + 100, B + 201);
    assert_eq!(one(e2).num, Some(2));
    let (p3, _) = c.ack(25 * S, 0, A + 100, B + 201);
    let (rf, _) = c.seg(30 * S, 0, A + 101, 0, 0, F_RST);
    assert_eq!(
        c.t.verdict(rf).as_deref(),
        Some("reset after 2 unanswered probes")
    );
    assert_eq!(
        c.t.verdict(p3).as_deref(),
        Some("peer unresponsive after 2 probes")
    );
    assert_eq!(c.t.verdict(p2), None);
}

#[test]
fn data_between_runs_resets_num() {
    let mut c = established();
    let (_, e) = c.ack(10 * S, 0, A + 100, B + 201);
    assert_eq!(one(e).num, Some(1));
    c.ack(10 * S + MS, 1, B + 201, A + 101);
    let (_, e) = c.ack(20 * S, 0, A + 100, B + 201);
    assert_eq!(one(e).num, Some(2));
    c.ack(20 * S + MS, 1, B + 201, A + 101);
    // Data from side 1 (either direction resets).
    c.seg(21 * S, 1, B + 201, A + 101, 10, F_ACK);
    c.ack(21 * S + MS, 0, A + 101, B + 211);
    let (_, e) = c.ack(31 * S, 0, A + 100, B + 211);
    let e = one(e);
    assert_eq!(e.num, Some(1));
    assert_eq!(e.idle_ns, Some(10 * S));
    assert_eq!(e.interval_ns, Some(11 * S));
}

#[test]
fn data_resets_unanswered_run() {
    let mut c = established();
    let (p1, _) = c.ack(10 * S, 0, A + 100, B + 201);
    let (p2, _) = c.ack(15 * S, 0, A + 100, B + 201);
    // Side 0 writes data: the run ends; the probes stay unanswered and the
    // later ACK acks the data, not a probe.
    c.seg(16 * S, 0, A + 101, B + 201, 10, F_ACK);
    assert!(c.ack(16 * S + MS, 1, B + 201, A + 111).1.is_empty());
    assert!(c.t.unanswered(p1) && c.t.unanswered(p2));
    assert_eq!(c.t.verdict(p2), None);
}

#[test]
fn sequence_wraparound() {
    let mut c = Conn::new();
    let isn: u32 = u32::MAX - 50;
    c.seg(0, 0, isn, 0, 0, F_SYN);
    c.seg(0, 1, 7, isn.wrapping_add(1), 0, F_SYN | F_ACK);
    c.ack(0, 0, isn.wrapping_add(1), 8);
    // 100 bytes crossing the wrap.
    c.seg(MS, 0, isn.wrapping_add(1), 8, 100, F_ACK);
    let next = isn.wrapping_add(101);
    assert!(next < 100);
    c.ack(2 * MS, 1, 8, next);
    // Plain ACK at next: not a probe.
    assert!(c.ack(3 * MS, 0, next, 8).1.is_empty());
    let (pf, e) = c.ack(10 * S, 0, next.wrapping_sub(1), 8);
    assert_eq!(one(e).kind, Kind::Probe);
    let (af, e) = c.ack(10 * S + MS, 1, 8, next);
    assert_eq!(one(e).reply_to, Some(pf));
    assert_eq!(c.t.reply_in(pf), Some(af));

    // Probe exactly at the wrap: next == 0, probe seq == u32::MAX.
    let mut c = Conn::new();
    c.ack(0, 1, 5, 0);
    let (pf, e) = c.ack(S, 0, u32::MAX, 5);
    assert_eq!(one(e).kind, Kind::Probe);
    let (_, e) = c.ack(S + MS, 1, 5, 0);
    assert_eq!(one(e).reply_to, Some(pf));
    // Ack number beyond (wrapped) also answers.
    let (pf, _) = c.ack(2 * S, 0, u32::MAX, 5);
    let (_, e) = c.ack(2 * S + MS, 1, 5, 3);
    assert_eq!(one(e).reply_to, Some(pf));
}

#[test]
fn both_sides_probe_crossing() {
    let mut c = established();
    let (p0, _) = c.ack(10 * S, 0, A + 100, B + 201);
    // Side 1's probe also acks side 0's probe.
    let (p1, ev) = c.ack(10 * S + MS, 1, B + 200, A + 101);
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[0].kind, Kind::Ack);
    assert_eq!(ev[0].reply_to, Some(p0));
    assert_eq!(ev[1].kind, Kind::Probe);
    assert_eq!(ev[1].from, 1);
    assert_eq!(ev[1].num, Some(1));
    let (a, ev) = c.ack(10 * S + 2 * MS, 0, A + 101, B + 201);
    assert_eq!(one(ev).reply_to, Some(p1));
    assert_eq!(c.t.reply_in(p1), Some(a));
}

#[test]
fn ws_ping_pong_pairing() {
    let mut t = Tracker::new();
    t.on_ws_data(0);
    let a = t.on_ws_control(10, 5 * S, 0, true, b"a");
    assert_eq!(a.kind, Kind::Ping);
    assert_eq!(a.layer, Layer::Ws);
    assert_eq!(a.num, Some(1));
    assert_eq!(a.idle_ns, Some(5 * S));
    assert_eq!(a.interval_ns, None);
    assert_eq!(a.style, None);
    let b = t.on_ws_control(11, 6 * S, 0, true, b"b");
    assert_eq!(b.num, Some(2));
    assert_eq!(b.interval_ns, Some(S));
    let p = t.on_ws_control(12, 6 * S + 3 * MS, 1, false, b"b");
    assert_eq!(p.kind, Kind::Pong);
    assert_eq!(p.from, 1);
    assert_eq!(p.reply_to, Some(11));
    assert_eq!(p.rtt_ns, Some(3 * MS));
    assert!(!p.unsolicited);
    assert_eq!(p.num, None);
    assert_eq!(t.reply_in(11), Some(12));
    assert!(!t.unanswered(11));
    assert_eq!(t.reply_in(10), None);
    assert!(t.unanswered(10));
    // Unsolicited pong.
    let u = t.on_ws_control(13, 7 * S, 1, false, b"zzz");
    assert!(u.unsolicited);
    assert_eq!(u.reply_to, None);
    assert!(!t.unanswered(13));
    // A pong from the same side as the ping does not answer it.
    let s = t.on_ws_control(14, 7 * S, 0, false, b"a");
    assert!(s.unsolicited);
    assert!(t.unanswered(10));
    // Data resets ping numbers and the idle clock.
    t.on_ws_data(8 * S);
    let c = t.on_ws_control(15, 9 * S, 0, true, b"");
    assert_eq!(c.num, Some(1));
    assert_eq!(c.idle_ns, Some(S));
    assert_eq!(c.interval_ns, Some(3 * S));
    // Empty payloads pair too.
    let d = t.on_ws_control(16, 9 * S + MS, 1, false, b"");
    assert_eq!(d.reply_to, Some(15));
}

#[test]
fn ws_oldest_matching_ping_first() {
    let mut t = Tracker::new();
    t.on_ws_control(1, 0, 1, true, b"x");
    t.on_ws_control(2, S, 1, true, b"x");
    assert_eq!(t.on_ws_control(3, 2 * S, 0, false, b"x").reply_to, Some(1));
    assert_eq!(t.on_ws_control(4, 3 * S, 0, false, b"x").reply_to, Some(2));
    assert!(t.on_ws_control(5, 4 * S, 0, false, b"x").unsolicited);
    // Idle without any data: since the first thing seen.
    let e = t.on_ws_control(6, 5 * S, 1, true, b"y");
    assert_eq!(e.idle_ns, Some(5 * S));
    assert_eq!(e.num, Some(3));
}

#[test]
fn ws_pending_pings_bounded() {
    let mut t = Tracker::new();
    for i in 0..200u32 {
        t.on_ws_control(i, i64::from(i) * S, 0, true, &i.to_be_bytes());
    }
    // The oldest were dropped: a pong for ping 0 is unsolicited.
    assert!(
        t.on_ws_control(1000, 300 * S, 1, false, &0u32.to_be_bytes())
            .unsolicited
    );
    assert!(t.unanswered(0));
    let e = t.on_ws_control(1001, 300 * S, 1, false, &199u32.to_be_bytes());
    assert_eq!(e.reply_to, Some(199));
    let bytes = t.approx_bytes();
    for i in 200..2000u32 {
        t.on_ws_control(i, i64::from(i) * S, 0, true, &[7u8; 125]);
    }
    // Grows with the per-event map, not with the pending payloads.
    assert!(
        t.approx_bytes() < bytes + 1800 * 64 + 64 * 400,
        "{}",
        t.approx_bytes()
    );
}

#[test]
fn ws_long_payload_matching() {
    let mut t = Tracker::new();
    let mut long = vec![1u8; 300];
    t.on_ws_control(1, 0, 0, true, &long);
    long[299] = 2;
    assert!(t.on_ws_control(2, S, 1, false, &long).unsolicited);
    long[299] = 1;
    assert_eq!(t.on_ws_control(3, S, 1, false, &long).reply_to, Some(1));
}

#[test]
fn side_of_endpoints() {
    let mut t = Tracker::new();
    assert_eq!(t.side_of(&[10, 0, 0, 1], 5555), 0);
    assert_eq!(t.side_of(&[10, 0, 0, 2], 80), 1);
    assert_eq!(t.side_of(&[10, 0, 0, 1], 5555), 0);
    assert_eq!(t.side_of(&[10, 0, 0, 2], 80), 1);
    // Same address, other port: a different endpoint.
    let mut t = Tracker::new();
    assert_eq!(t.side_of(&[1, 1, 1, 1], 1), 0);
    assert_eq!(t.side_of(&[1, 1, 1, 1], 2), 1);
    assert_eq!(t.side_of(&[1, 1, 1, 1], 1), 0);
    assert!(t.approx_bytes() > 0);
}

#[test]
fn tcp_approx_bytes_bounded_by_events() {
    let mut c = established();
    let base = c.t.approx_bytes();
    for i in 0..1000i64 {
        c.ack(10 * S + i * S, 0, A + 100, B + 201);
    }
    // Unanswered run verdict is computed lazily; state is the per-probe map.
    assert!(
        c.t.approx_bytes() - base < 1000 * 64,
        "{}",
        c.t.approx_bytes()
    );
    assert_eq!(
        c.t.verdict(c.frame).as_deref(),
        Some("peer unresponsive after 1000 probes")
    );
}

// The three outcomes of a probe (shared/seeds: ACK = alive, RST = the peer
// restarted or forgot the connection, nothing = the prober gives up).

#[test]
fn outcome_ack_the_peer_is_alive() {
    let mut c = established();
    let (pf, ev) = c.ack(10 * S, 0, A + 100, B + 201);
    assert_eq!(one(ev).kind, Kind::Probe);
    let (af, ev) = c.ack(10 * S + 40 * MS, 1, B + 201, A + 101);
    let a = one(ev);
    assert_eq!((a.kind, a.from, a.reply_to), (Kind::Ack, 1, Some(pf)));
    assert_eq!(c.t.reply_in(pf), Some(af));
    assert!(!c.t.unanswered(pf));
    assert_eq!(c.t.verdict(pf), None);
    assert_eq!(c.t.verdict(af), None);
}

#[test]
fn outcome_rst_from_the_peer_answers_the_probe() {
    let mut c = established();
    let (pf, ev) = c.ack(10 * S, 0, A + 100, B + 201);
    assert_eq!(one(ev).num, Some(1));
    // A host without the connection answers a segment that has ACK with a RST
    // whose seq is that ACK number and without the ACK flag (Linux
    // tcp_v4_send_reset), 40 us later.
    let (rf, ev) = c.seg(10 * S + 40_000, 1, B + 201, 0, 0, F_RST);
    let r = one(ev);
    assert_eq!(
        r,
        Event {
            frame: rf,
            layer: Layer::Tcp,
            kind: Kind::Reset,
            from: 1,
            style: None,
            num: None,
            idle_ns: None,
            interval_ns: None,
            reply_to: Some(pf),
            rtt_ns: Some(40_000),
            unsolicited: false,
            app: None,
            late: None,
        }
    );
    assert_eq!(c.t.reply_in(pf), Some(rf));
    assert!(!c.t.unanswered(pf));
    assert_eq!(
        c.t.verdict(pf).as_deref(),
        Some("peer reset the connection (it restarted or forgot it)")
    );
    assert_eq!(
        c.t.verdict(rf).as_deref(),
        Some("answers probe #1: peer reset the connection (it restarted or forgot it)")
    );
    assert_eq!(c.t.reply_in(rf), None);
    assert!(!c.t.unanswered(rf));
}

#[test]
fn outcome_rst_ack_from_the_peer_is_a_reset_not_an_ack() {
    // A peer that still has the connection but aborts it (SO_LINGER 0) sends
    // RST|ACK whose ack covers the probe: still the connection's end, not "alive".
    let mut c = established();
    let (pf, _) = c.ack(10 * S, 0, A + 100, B + 201);
    let (rf, ev) = c.seg(10 * S + MS, 1, B + 201, A + 101, 0, F_RST | F_ACK);
    let r = one(ev);
    assert_eq!(
        (r.kind, r.reply_to, r.rtt_ns),
        (Kind::Reset, Some(pf), Some(MS))
    );
    assert_eq!(c.t.reply_in(pf), Some(rf));
    assert!(!c.t.unanswered(pf));
    assert!(c.t.verdict(rf).unwrap().starts_with("answers probe #1: "));
}

#[test]
fn outcome_silence_then_the_prober_gives_up() {
    let mut c = established();
    let probes: Vec<u32> = (0..3)
        .map(|i| c.ack(10 * S + i * S, 0, A + 100, B + 201).0)
        .collect();
    // The prober's own kernel gives up (ETIMEDOUT) and sends the RST.
    let (rf, ev) = c.seg(13 * S, 0, A + 101, B + 201, 0, F_RST | F_ACK);
    assert!(ev.is_empty(), "the prober's RST answers nothing: {ev:?}");
    for &p in &probes {
        assert!(c.t.unanswered(p));
        assert_eq!(c.t.reply_in(p), None);
    }
    assert_eq!(
        c.t.verdict(rf).as_deref(),
        Some("reset after 3 unanswered probes")
    );
    assert_eq!(
        c.t.verdict(probes[2]).as_deref(),
        Some("peer unresponsive after 3 probes")
    );
}

#[test]
fn outcome_silence_and_nothing_more() {
    let mut c = established();
    let (p1, _) = c.ack(10 * S, 0, A + 100, B + 201);
    let (p2, _) = c.ack(11 * S, 0, A + 100, B + 201);
    let (p3, _) = c.ack(12 * S, 0, A + 100, B + 201);
    for p in [p1, p2, p3] {
        assert!(c.t.unanswered(p));
    }
    assert_eq!(
        c.t.verdict(p3).as_deref(),
        Some("peer unresponsive after 3 probes")
    );
}

#[test]
fn ack_then_the_peer_restarts() {
    // What tests/captures/ka_rst.pcapng shows: probe 1 answered by an ACK,
    // the server's kernel then forgets the connection, probe 2 gets a RST.
    let mut c = established();
    let (p1, _) = c.ack(10 * S, 0, A + 100, B + 201);
    let (a1, _) = c.ack(10 * S + MS, 1, B + 201, A + 101);
    let (p2, ev) = c.ack(20 * S, 0, A + 100, B + 201);
    assert_eq!(one(ev).num, Some(2));
    let (rf, ev) = c.seg(20 * S + 40_000, 1, B + 201, 0, 0, F_RST);
    assert_eq!(one(ev).reply_to, Some(p2));
    assert_eq!(c.t.reply_in(p1), Some(a1));
    assert_eq!(c.t.reply_in(p2), Some(rf));
    assert!(!c.t.unanswered(p1) && !c.t.unanswered(p2));
    assert_eq!(c.t.verdict(p1), None);
    assert_eq!(
        c.t.verdict(rf).as_deref(),
        Some("answers probe #2: peer reset the connection (it restarted or forgot it)")
    );
}

#[test]
fn unanswered_probes_then_the_peer_resets_the_last() {
    // The path was down for two probes, then the peer (rebooted meanwhile)
    // answers the third with a RST: the first two stay unanswered.
    let mut c = established();
    let (p1, _) = c.ack(10 * S, 0, A + 100, B + 201);
    let (p2, _) = c.ack(11 * S, 0, A + 100, B + 201);
    let (p3, _) = c.ack(12 * S, 0, A + 100, B + 201);
    let (rf, ev) = c.seg(12 * S + MS, 1, B + 201, 0, 0, F_RST);
    assert_eq!(one(ev).reply_to, Some(p3));
    assert!(c.t.unanswered(p1) && c.t.unanswered(p2));
    assert!(!c.t.unanswered(p3));
    assert_eq!(c.t.verdict(p2), None);
    assert_eq!(
        c.t.verdict(p3).as_deref(),
        Some("peer reset the connection (it restarted or forgot it)")
    );
    assert_eq!(
        c.t.verdict(rf).as_deref(),
        Some("answers probe #3: peer reset the connection (it restarted or forgot it)")
    );
}

#[test]
fn a_peer_rst_without_an_outstanding_probe_is_nothing() {
    let mut c = established();
    let (rf, ev) = c.seg(10 * S, 1, B + 201, A + 101, 0, F_RST | F_ACK);
    assert!(ev.is_empty());
    assert_eq!(c.t.verdict(rf), None);
    // After data, the probe run is over: a RST is no answer either.
    let (p1, _) = c.ack(20 * S, 0, A + 100, B + 201);
    c.seg(21 * S, 0, A + 101, B + 201, 10, F_ACK);
    let (rf, ev) = c.seg(21 * S + MS, 1, B + 201, A + 111, 0, F_RST | F_ACK);
    assert!(ev.is_empty());
    assert_eq!(c.t.verdict(rf), None);
    assert!(c.t.unanswered(p1));
}

#[test]
fn ws_ping_late_after_a_regular_cadence() {
    let mut t = Tracker::new();
    let mut at = 0;
    let mut late = Vec::new();
    // Pings every 500 ms, one 1.6 s gap, then on cadence again.
    for (f, gap) in [0, 500, 500, 500, 500, 1600, 500, 500].iter().enumerate() {
        at += gap * MS;
        let ev = t.on_ws_control(f as u32 + 1, at, 0, true, b"p");
        late.push(ev.late);
        t.on_ws_control(f as u32 + 100, at + MS, 1, false, b"p");
    }
    assert_eq!(late.iter().filter(|l| l.is_some()).count(), 1);
    assert_eq!(
        late[5].as_deref(),
        Some("ping 1.6 s after the sender's previous ping, more than 1.5 × its regular cadence of 500 ms")
    );
    // The pong side never pinged: it has no cadence.
    assert!(t.verdict(6).is_none());
}
