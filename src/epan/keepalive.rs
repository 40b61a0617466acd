//! The `keepalive` protocol: annotations of TCP keep-alive probes/ACKs (every TCP connection) and
//! WebSocket pings/pongs. A postdissector reads each packet's TCP header from its bytes (first
//! pass, in order; no protocol tree is needed) and feeds the core's `Tracker`; the WebSocket
//! dissector feeds pings, pongs and data messages.
//! Results that need the future (answered in, unanswered, verdict) show when a packet is
//! dissected again (`tshark -2`, the GUI).
use std::ffi::CString;
use std::os::raw::{c_int, c_uint};
use std::sync::atomic::Ordering::Relaxed;

use super::ids::{
    ei_ka, hf_ka, proto_ka, EI_LATE, EI_UNANSWERED, EI_UNSOLICITED, EI_VERDICT, ETT_KA,
};
use super::pkt::{
    frame_tvb, src_endpoint, tcp_segment, tree_has_room, visited, Segment as TcpSegment,
};
use super::state::{self, conv_index};
use super::sys;
use crate::core::app::session::HbAction;
use crate::core::keepalive::{Event, Kind, Layer, Segment, F_FIN, F_RST, F_SYN};
use crate::fields::K;

type Tvb = *mut sys::tvbuff_t;
type Pinfo = *mut sys::packet_info;
type Tree = *mut sys::proto_tree;

// time_t is i64 here, not everywhere.
#[allow(clippy::unnecessary_cast)]
unsafe fn time_ns(pinfo: Pinfo) -> i64 {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        let t = &(*pinfo).abs_ts;
        (t.secs as i64)
            .saturating_mul(1_000_000_000)
            .saturating_add(t.nsecs as i64)
    }
}

/// First pass: feed this packet's TCP segment to its connection's tracker (once per frame).
/// Called early by the WebSocket dissector (to recognise a one-byte probe) and by the postdissector.
pub unsafe fn feed_tcp(pinfo: Pinfo) -> Option<(TcpSegment, Option<u32>)> {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        if proto_ka() < 0 || visited(pinfo) {
            return None;
        }
        let frame = (*pinfo).num;
        // Read before the lock is taken (once, below): a frame offered twice (see `last_fed`) is
        // read twice, which is rare (one-byte segments of WebSocket connections) and gives the
        // same segment and connection.
        let tcp = tcp_segment(pinfo, frame_tvb(pinfo))?;
        let syn = tcp.hdr.flags & u16::from(F_SYN) != 0;
        let conv = if syn {
            state::conv_after_syn(pinfo)
        } else {
            conv_index(pinfo, false)
        };
        // This packet's own index (a SYN's is the earlier one: see conv_after_syn).
        let found = Some((tcp, conv.filter(|_| !syn)));
        let Some(conv) = conv else {
            return found;
        };
        let seg = tcp;
        let ep = src_endpoint(pinfo);
        let t = time_ns(pinfo);
        let flags = seg.hdr.flags;
        let mut guard = state::capture();
        let cap = &mut *guard;
        if frame <= cap.ka.last_fed {
            return found;
        }
        cap.ka.last_fed = frame;
        // How a WebSocket connection ended: its first FIN or RST.
        if flags & u16::from(F_FIN | F_RST) != 0 {
            cap.ws
                .on_tcp_end(conv, frame, &ep, flags & u16::from(F_RST) != 0);
        }
        let ka = &mut cap.ka;
        let tr = ka.trackers.entry(conv).or_default();
        let from = tr.side_of(&ep.addr, ep.port);
        let seg = Segment {
            frame,
            time_ns: t,
            from,
            seq: seg.hdr.seq,
            ack: seg.hdr.ack,
            len: seg.hdr.payload_len,
            flags: (flags & 0xff) as u8,
        };
        let evs = tr.on_tcp(&seg);
        // A RST/FIN after unanswered probes carries a verdict without being a keep-alive event.
        // (The verdict is asked of RST/FIN segments only: any other frame with a verdict, a probe
        // or an application ping, has its events stored already.)
        if !evs.is_empty() || (flags & u16::from(F_FIN | F_RST) != 0 && tr.verdict(frame).is_some())
        {
            ka.events
                .entry(frame)
                .or_insert_with(|| (conv, Vec::new()))
                .1
                .extend(evs);
        }
        found
    }
}

/// First pass, from the WebSocket dissector: a Ping/Pong frame, or a data message.
pub unsafe fn feed_ws(pinfo: Pinfo, conv: u32, opcode: u8, payload: &[u8]) {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        if proto_ka() < 0 || visited(pinfo) {
            return;
        }
        let ep = src_endpoint(pinfo);
        let t = time_ns(pinfo);
        let frame = (*pinfo).num;
        let mut guard = state::capture();
        let st = &mut guard.ka;
        let tr = st.trackers.entry(conv).or_default();
        match opcode {
            9 | 10 => {
                let from = tr.side_of(&ep.addr, ep.port);
                let ev = tr.on_ws_control(frame, t, from, opcode == 9, payload);
                st.events
                    .entry(frame)
                    .or_insert_with(|| (conv, Vec::new()))
                    .1
                    .push(ev);
            }
            1 | 2 => tr.on_ws_data(t),
            _ => {}
        }
    }
}

/// First pass, from the application protocols (app.rs): what one message means for keep-alive
/// analysis (its heartbeats, or a sign of life).
pub unsafe fn feed_app(pinfo: Pinfo, conv: u32, app: &'static str, acts: &[HbAction]) {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point.
    unsafe {
        if proto_ka() < 0 || visited(pinfo) || acts.is_empty() {
            return;
        }
        let ep = src_endpoint(pinfo);
        let t = time_ns(pinfo);
        let frame = (*pinfo).num;
        let mut guard = state::capture();
        let st = &mut guard.ka;
        let tr = st.trackers.entry(conv).or_default();
        let from = tr.side_of(&ep.addr, ep.port);
        let mut evs = Vec::new();
        for a in acts {
            match a {
                HbAction::Start => tr.on_app_start(t),
                HbAction::Data => tr.on_app_data(t, from),
                HbAction::Ping { late, expect } => {
                    evs.push(tr.on_app_ping(frame, t, from, app, late.as_ref(), expect.clone()))
                }
                HbAction::Pong => evs.push(tr.on_app_pong(frame, t, from, app)),
                HbAction::Heartbeat { late } => {
                    evs.push(tr.on_app_heartbeat(frame, t, from, app, late.as_ref()))
                }
            }
        }
        if !evs.is_empty() {
            st.events
                .entry(frame)
                .or_insert_with(|| (conv, Vec::new()))
                .1
                .extend(evs);
        }
    }
}

/// Is this frame a one-byte TCP keep-alive probe (its byte is not application data)?
pub fn is_one_byte_probe(frame: u32) -> bool {
    state::capture()
        .ka
        .events
        .get(&frame)
        .is_some_and(|(_, evs)| {
            evs.iter().any(|e| {
                e.kind == Kind::Probe && e.style == Some(crate::core::keepalive::Style::OneByte)
            })
        })
}

fn secs(ns: i64) -> String {
    format!("{:.1}s", ns as f64 / 1e9)
}

fn ms(ns: i64) -> String {
    if ns.abs() < 1_000_000 {
        format!("{:.3}ms", ns as f64 / 1e6)
    } else if ns.abs() < 1_000_000_000 {
        format!("{:.1}ms", ns as f64 / 1e6)
    } else {
        format!("{:.3}s", ns as f64 / 1e9)
    }
}

/// Info-column annotation, e.g. `[KA probe #3 idle=7200.0s]`, `[KA ack rtt=0.2ms]`, `[Ping #2 → 1841]`.
fn annotation(e: &Event, reply_in: Option<u32>, unanswered: bool) -> String {
    let mut s = match (e.layer, e.kind) {
        (Layer::Tcp, Kind::Probe) => format!("[KA probe #{}", e.num.unwrap_or(0)),
        (Layer::Tcp, Kind::Reset) => "[KA reset".to_string(),
        (Layer::Tcp, _) => "[KA ack".to_string(),
        (Layer::App, Kind::Ping) => {
            format!("[{} ping #{}", e.app.unwrap_or("app"), e.num.unwrap_or(0))
        }
        (Layer::App, Kind::Heartbeat) => format!(
            "[{} heartbeat #{}",
            e.app.unwrap_or("app"),
            e.num.unwrap_or(0)
        ),
        (Layer::App, _) => format!("[{} pong", e.app.unwrap_or("app")),
        (_, Kind::Ping) => format!("[Ping #{}", e.num.unwrap_or(0)),
        _ => "[Pong".to_string(),
    };
    if let Some(i) = e.idle_ns.filter(|_| e.layer == Layer::Tcp) {
        s.push_str(&format!(" idle={}", secs(i)));
    }
    if let Some(r) = reply_in {
        s.push_str(&format!(" → {r}"));
    }
    if unanswered {
        s.push_str(" unanswered");
    }
    if let Some(r) = e
        .reply_to
        .filter(|_| e.layer != Layer::Tcp || e.kind == Kind::Reset)
    {
        s.push_str(&format!(" ← {r}"));
    }
    if let Some(r) = e.rtt_ns {
        s.push_str(&format!(" rtt={}", ms(r)));
    }
    if e.unsolicited {
        s.push_str(" unsolicited");
    }
    if e.late.is_some() {
        s.push_str(" late");
    }
    s.push(']');
    s
}

unsafe fn add_time(tree: Tree, k: K, tvb: Tvb, ns: i64) {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        let v = sys::nstime_t {
            secs: ns.div_euclid(1_000_000_000) as _,
            nsecs: ns.rem_euclid(1_000_000_000) as _,
        };
        let it = sys::proto_tree_add_time(tree, hf_ka(k), tvb, 0, 0, &v);
        sys::wsk_item_set_generated(it);
    }
}

unsafe fn add_str(tree: Tree, k: K, tvb: Tvb, v: &str) -> *mut sys::proto_item {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        let c = CString::new(v).unwrap_or_default();
        let it = sys::proto_tree_add_string(tree, hf_ka(k), tvb, 0, 0, c.as_ptr());
        sys::wsk_item_set_generated(it);
        it
    }
}

unsafe fn add_uint(tree: Tree, k: K, tvb: Tvb, v: u32) {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        let it = sys::proto_tree_add_uint(tree, hf_ka(k), tvb, 0, 0, v);
        sys::wsk_item_set_generated(it);
    }
}

unsafe fn add_bool(tree: Tree, k: K, tvb: Tvb) -> *mut sys::proto_item {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        let it = sys::proto_tree_add_boolean(tree, hf_ka(k), tvb, 0, 0, 1);
        sys::wsk_item_set_generated(it);
        it
    }
}

/// Annotate this packet's keep-alive events (what the first pass stored; the future-dependent
/// parts only on a revisit).
pub unsafe fn show(tvb: Tvb, pinfo: Pinfo, tree: Tree) {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        {
            let frame = (*pinfo).num;
            let again = visited(pinfo);
            // Copy what this frame needs, so no lock is held while calling into Wireshark.
            let shown: Vec<(Event, Option<u32>, bool, Option<String>)> = {
                let guard = state::capture();
                let st = &guard.ka;
                let Some((conv, evs)) = st.events.get(&frame) else {
                    return;
                };
                let tr = st.trackers.get(conv);
                evs.iter()
                    .map(|e| {
                        let reply_in = tr.and_then(|t| t.reply_in(e.frame));
                        let asks = matches!(e.kind, Kind::Probe | Kind::Ping);
                        // "Unanswered" is only known once the whole capture was read.
                        let unanswered = asks && again && tr.is_some_and(|t| t.unanswered(e.frame));
                        // A probe's verdict needs the rest of the capture too.
                        let verdict = if again || !asks {
                            tr.and_then(|t| t.verdict(e.frame))
                        } else {
                            None
                        };
                        (e.clone(), reply_in, unanswered, verdict)
                    })
                    .collect()
            };
            // A RST/FIN after an unanswered run: the verdict alone.
            let verdict_only = {
                let guard = state::capture();
                let st = &guard.ka;
                st.events.get(&frame).and_then(|(conv, evs)| {
                    evs.is_empty()
                        .then(|| st.trackers.get(conv).and_then(|t| t.verdict(frame)))
                        .flatten()
                })
            };
            if let Some(v) = verdict_only {
                let c = CString::new(format!(" [KA {v}]")).unwrap_or_default();
                sys::col_append_str((*pinfo).cinfo, sys::COL_INFO as c_int, c.as_ptr());
                if !tree_has_room(tree, 8) {
                    return;
                }
                let ti =
                    sys::proto_tree_add_item(tree, proto_ka(), tvb, 0, 0, sys::ENC_NA as c_uint);
                sys::wsk_item_set_generated(ti);
                let kt = sys::proto_item_add_subtree(ti, ETT_KA.load(Relaxed));
                add_str(kt, K::Layer, tvb, "tcp");
                let it = add_str(kt, K::Verdict, tvb, &v);
                sys::expert_add_info(pinfo, it, ei_ka(EI_VERDICT));
            }
            if let Some(conv) = conv_index(pinfo, false) {
                let ep = src_endpoint(pinfo);
                for (e, _, _, _) in &shown {
                    let kind = match e.kind {
                        Kind::Probe => super::tap::PROBE,
                        // A probe answered by the peer's RST was answered too.
                        Kind::Ack | Kind::Reset => super::tap::ACK,
                        Kind::Ping => super::tap::PING,
                        Kind::Heartbeat => super::tap::HEARTBEAT,
                        Kind::Pong => super::tap::PONG,
                    };
                    let rtt = e.rtt_ns.map(|n| n as f64 / 1e9);
                    let note = super::tap::AppNote {
                        app: e.app,
                        what: None,
                        late: e.late.is_some(),
                    };
                    super::tap::queue_note(
                        pinfo,
                        conv,
                        Some(&ep),
                        kind,
                        0,
                        0,
                        rtt,
                        None,
                        None,
                        &note,
                    );
                }
            }
            for (e, reply_in, unanswered, verdict) in &shown {
                let note = annotation(e, *reply_in, *unanswered);
                let c = CString::new(format!(" {note}")).unwrap_or_default();
                sys::col_append_str((*pinfo).cinfo, sys::COL_INFO as c_int, c.as_ptr());
                if !tree_has_room(tree, 16) {
                    continue;
                }
                let ti =
                    sys::proto_tree_add_item(tree, proto_ka(), tvb, 0, 0, sys::ENC_NA as c_uint);
                let cn = CString::new(format!(", {note}")).unwrap_or_default();
                sys::proto_item_append_text(ti, c"%s".as_ptr(), cn.as_ptr());
                sys::wsk_item_set_generated(ti);
                let kt = sys::proto_item_add_subtree(ti, ETT_KA.load(Relaxed));
                add_str(kt, K::Layer, tvb, e.layer.as_str());
                add_str(kt, K::Kind, tvb, e.kind.as_str());
                if let Some(a) = e.app {
                    add_str(kt, K::App, tvb, a);
                }
                if let Some(s) = e.style {
                    add_str(kt, K::Style, tvb, s.as_str());
                }
                if let Some(n) = e.num {
                    add_uint(kt, K::Num, tvb, n);
                }
                if let Some(i) = e.idle_ns {
                    add_time(kt, K::Idle, tvb, i);
                }
                if let Some(i) = e.interval_ns {
                    add_time(kt, K::Interval, tvb, i);
                }
                if let Some(r) = reply_in {
                    add_uint(kt, K::ReplyIn, tvb, *r);
                }
                if let Some(r) = e.reply_to {
                    add_uint(kt, K::ReplyTo, tvb, r);
                }
                if let Some(r) = e.rtt_ns {
                    add_time(kt, K::Rtt, tvb, r);
                }
                if *unanswered {
                    let it = add_bool(kt, K::Unanswered, tvb);
                    sys::expert_add_info(pinfo, it, ei_ka(EI_UNANSWERED));
                }
                if e.unsolicited {
                    let it = add_bool(kt, K::Unsolicited, tvb);
                    sys::expert_add_info(pinfo, it, ei_ka(EI_UNSOLICITED));
                }
                if let Some(v) = verdict {
                    let it = add_str(kt, K::Verdict, tvb, v);
                    sys::expert_add_info(pinfo, it, ei_ka(EI_VERDICT));
                }
                if let Some(v) = &e.late {
                    let it = add_str(kt, K::Verdict, tvb, v);
                    let c = CString::new(v.as_str()).unwrap_or_default();
                    sys::expert_add_info_format(
                        pinfo,
                        it,
                        ei_ka(EI_LATE),
                        c"%s".as_ptr(),
                        c.as_ptr(),
                    );
                }
            }
        }
    }
}
