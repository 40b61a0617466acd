//! The `keepalive` protocol: annotations of TCP keep-alive probes/ACKs (every TCP connection) and
//! WebSocket pings/pongs. A postdissector reads TCP's fields of each packet (first pass, in order)
//! and feeds the core's `Tracker`; the WebSocket dissector feeds pings, pongs and data messages.
//! Results that need the future (answered in, unanswered, verdict) show when a packet is
//! dissected again (`tshark -2`, the GUI).
use std::collections::HashMap;
use std::ffi::CString;
use std::os::raw::{c_int, c_uint};
use std::sync::atomic::{AtomicI32, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard};

use once_cell::sync::Lazy;

use super::guard::{guard, warn};
use super::register::{leak_cstr, name_free, register_fields};
use super::sys;
use super::util::{conv_index, src_endpoint, visited};
use crate::core::keepalive::{Event, Kind, Layer, Segment, Tracker, F_FIN, F_RST};
use crate::fields::{K, KA_FIELDS};

type Tvb = *mut sys::tvbuff_t;
type Pinfo = *mut sys::packet_info;
type Tree = *mut sys::proto_tree;

const NKA: usize = KA_FIELDS.len();
static PROTO_KA: AtomicI32 = AtomicI32::new(-1);
static HF: [AtomicI32; NKA] = [const { AtomicI32::new(-1) }; NKA];
static ETT_KA: AtomicI32 = AtomicI32::new(-1);

/// Expert fields (two ints each, written by Wireshark; they must never move).
struct Experts([sys::expert_field; 3]);
// SAFETY: written only during single-threaded registration, read-only afterwards.
unsafe impl Sync for Experts {}
static EXPERTS: Lazy<&'static mut Experts> = Lazy::new(|| {
    // SAFETY: expert_field is plain data; all-zero is its unregistered state.
    Box::leak(Box::new(Experts(unsafe { std::mem::zeroed() })))
});
const EI_UNANSWERED: usize = 0;
const EI_UNSOLICITED: usize = 1;
const EI_VERDICT: usize = 2;

/// TCP field ids read by the postdissector.
static TCP_SEQ: AtomicI32 = AtomicI32::new(-1);
static TCP_ACK: AtomicI32 = AtomicI32::new(-1);
static TCP_LEN: AtomicI32 = AtomicI32::new(-1);
static TCP_FLAGS: AtomicI32 = AtomicI32::new(-1);

#[derive(Default)]
struct KaStore {
    trackers: HashMap<u32, Tracker>,
    /// Frame → (connection, events of that frame).
    events: HashMap<u32, (u32, Vec<Event>)>,
    /// The last frame whose TCP segment was fed (the first pass goes in order, and a frame may
    /// be offered twice: by the WebSocket dissector and by the postdissector).
    last_fed: u32,
}

static STORE: Lazy<Mutex<KaStore>> = Lazy::new(|| Mutex::new(KaStore::default()));

fn store() -> MutexGuard<'static, KaStore> {
    STORE.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn clear() {
    *store() = KaStore::default();
}

fn hf(k: K) -> c_int {
    HF[k as usize].load(Relaxed)
}

fn ei(i: usize) -> *mut sys::expert_field {
    let e: &'static Experts = &EXPERTS;
    &e.0[i] as *const sys::expert_field as *mut sys::expert_field
}

pub fn register_protoinfo() {
    let names = [
        ("Keep-Alive Analysis", "KeepAlive", "keepalive"),
        (
            "Keep-Alive Analysis (ws-keepalive)",
            "KeepAlive-WSK",
            "keepalive_wsk",
        ),
    ];
    let Some(&(name, short, filter)) = names.iter().find(|(n, s, f)| name_free(n, s, f)) else {
        warn("ws-keepalive: the keep-alive protocol names are taken; keep-alive analysis disabled");
        return;
    };
    if filter != "keepalive" {
        warn(&format!(
            "ws-keepalive: protocol name 'keepalive' is taken; registered as '{filter}'"
        ));
    }
    // SAFETY: leaked strings live forever, as proto_register_protocol requires.
    let id = unsafe {
        sys::proto_register_protocol(leak_cstr(name), leak_cstr(short), leak_cstr(filter))
    };
    PROTO_KA.store(id, Relaxed);
    register_fields(id, &KA_FIELDS, &HF);
    let ett: &'static mut [*mut c_int] = Box::leak(Box::new([ETT_KA.as_ptr()]));
    let experts: &'static Experts = &EXPERTS;
    let defs = [
        (EI_UNANSWERED, "keepalive.expert.unanswered", sys::PI_WARN, "Keep-alive probe or ping got no answer"),
        (EI_UNSOLICITED, "keepalive.expert.unsolicited_pong", sys::PI_NOTE, "Pong that answers no ping (RFC 6455 §5.5.3: an unsolicited pong is a unidirectional heartbeat)"),
        (EI_VERDICT, "keepalive.expert.verdict", sys::PI_WARN, "Connection given up after unanswered keep-alives"),
    ];
    let mut infos = Vec::new();
    for (i, name, sev, summary) in defs {
        // SAFETY: ei_register_info is plain data; zero is EXPFILL's value for the rest.
        let mut info: sys::ei_register_info = unsafe { std::mem::zeroed() };
        info.ids = &experts.0[i] as *const sys::expert_field as *mut sys::expert_field;
        info.eiinfo.name = leak_cstr(name);
        info.eiinfo.group = sys::PI_SEQUENCE as c_int;
        info.eiinfo.severity = sev as c_int;
        info.eiinfo.summary = leak_cstr(summary);
        info.eiinfo.hf_info.hfinfo.id = -1;
        info.eiinfo.hf_info.hfinfo.same_name_prev_id = -1;
        infos.push(info);
    }
    let infos: &'static mut [sys::ei_register_info] = Box::leak(infos.into_boxed_slice());
    // SAFETY: leaked arrays live forever; the module pointer comes from Wireshark.
    unsafe {
        sys::proto_register_subtree_array(ett.as_ptr(), 1);
        let module = sys::expert_register_protocol(id);
        sys::expert_register_field_array(module, infos.as_mut_ptr(), infos.len() as c_int);
    }
}

pub fn register_handoff() {
    let proto = PROTO_KA.load(Relaxed);
    if proto < 0 {
        return;
    }
    // SAFETY: registration calls with valid static arguments, once, on the main thread.
    unsafe {
        for (slot, name) in [
            (&TCP_SEQ, c"tcp.seq_raw"),
            (&TCP_ACK, c"tcp.ack_raw"),
            (&TCP_LEN, c"tcp.len"),
            (&TCP_FLAGS, c"tcp.flags"),
        ] {
            slot.store(sys::proto_registrar_get_id_byname(name.as_ptr()), Relaxed);
        }
        let post = sys::create_dissector_handle(Some(postdissect_keepalive), proto);
        sys::register_postdissector(post);
        let ids = [
            TCP_SEQ.load(Relaxed),
            TCP_ACK.load(Relaxed),
            TCP_LEN.load(Relaxed),
            TCP_FLAGS.load(Relaxed),
        ];
        if sys::wsk_set_wanted_hfids(post, ids.as_ptr(), ids.len() as c_int) < 4 {
            warn("ws-keepalive: TCP sequence fields not found; TCP keep-alive analysis disabled");
        }
    }
}

// time_t is i64 here, not everywhere.
#[allow(clippy::unnecessary_cast)]
unsafe fn time_ns(pinfo: Pinfo) -> i64 {
    let t = &(*pinfo).abs_ts;
    (t.secs as i64)
        .saturating_mul(1_000_000_000)
        .saturating_add(t.nsecs as i64)
}

unsafe fn tree_uint(tree: Tree, id: &AtomicI32) -> Option<u32> {
    let mut v: u32 = 0;
    (sys::wsk_tree_uint_field(tree, id.load(Relaxed), &mut v) != 0).then_some(v)
}

/// First pass: feed this packet's TCP segment to its connection's tracker (once per frame).
/// Called early by the WebSocket dissector (to recognise a one-byte probe) and by the postdissector.
pub unsafe fn feed_tcp(pinfo: Pinfo, tree: Tree) {
    if PROTO_KA.load(Relaxed) < 0 || visited(pinfo) {
        return;
    }
    let frame = (*pinfo).num;
    let (Some(seq), Some(ack), Some(len), Some(flags)) = (
        tree_uint(tree, &TCP_SEQ),
        tree_uint(tree, &TCP_ACK),
        tree_uint(tree, &TCP_LEN),
        tree_uint(tree, &TCP_FLAGS),
    ) else {
        return;
    };
    let Some(conv) = conv_index(pinfo, false) else {
        return;
    };
    let ep = src_endpoint(pinfo);
    let t = time_ns(pinfo);
    let mut st = store();
    if frame <= st.last_fed {
        return;
    }
    st.last_fed = frame;
    // How a WebSocket connection ended: its first FIN or RST.
    if flags & (F_FIN | F_RST) as u32 != 0 {
        super::state::store().on_tcp_end(conv, frame, &ep, flags & F_RST as u32 != 0);
    }
    let tr = st.trackers.entry(conv).or_default();
    let from = tr.side_of(&ep.addr, ep.port);
    let seg = Segment {
        frame,
        time_ns: t,
        from,
        seq,
        ack,
        len,
        flags: (flags & 0xff) as u8,
    };
    let evs = tr.on_tcp(&seg);
    // A RST/FIN after unanswered probes carries a verdict without being a keep-alive event.
    if !evs.is_empty() || tr.verdict(frame).is_some() {
        st.events
            .entry(frame)
            .or_insert_with(|| (conv, Vec::new()))
            .1
            .extend(evs);
    }
}

/// First pass, from the WebSocket dissector: a Ping/Pong frame, or a data message.
pub unsafe fn feed_ws(pinfo: Pinfo, conv: u32, opcode: u8, payload: &[u8]) {
    if PROTO_KA.load(Relaxed) < 0 || visited(pinfo) {
        return;
    }
    let ep = src_endpoint(pinfo);
    let t = time_ns(pinfo);
    let frame = (*pinfo).num;
    let mut st = store();
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

/// Is this frame a one-byte TCP keep-alive probe (its byte is not application data)?
pub fn is_one_byte_probe(frame: u32) -> bool {
    store().events.get(&frame).is_some_and(|(_, evs)| {
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
        (Layer::Tcp, _) => "[KA ack".to_string(),
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
    if let Some(r) = e.reply_to.filter(|_| e.layer == Layer::Ws) {
        s.push_str(&format!(" ← {r}"));
    }
    if let Some(r) = e.rtt_ns {
        s.push_str(&format!(" rtt={}", ms(r)));
    }
    if e.unsolicited {
        s.push_str(" unsolicited");
    }
    s.push(']');
    s
}

unsafe fn add_time(tree: Tree, k: K, tvb: Tvb, ns: i64) {
    let v = sys::nstime_t {
        secs: ns.div_euclid(1_000_000_000) as _,
        nsecs: ns.rem_euclid(1_000_000_000) as _,
    };
    let it = sys::proto_tree_add_time(tree, hf(k), tvb, 0, 0, &v);
    sys::wsk_item_set_generated(it);
}

unsafe fn add_str(tree: Tree, k: K, tvb: Tvb, v: &str) -> *mut sys::proto_item {
    let c = CString::new(v).unwrap_or_default();
    let it = sys::proto_tree_add_string(tree, hf(k), tvb, 0, 0, c.as_ptr());
    sys::wsk_item_set_generated(it);
    it
}

unsafe fn add_uint(tree: Tree, k: K, tvb: Tvb, v: u32) {
    let it = sys::proto_tree_add_uint(tree, hf(k), tvb, 0, 0, v);
    sys::wsk_item_set_generated(it);
}

unsafe fn add_bool(tree: Tree, k: K, tvb: Tvb) -> *mut sys::proto_item {
    let it = sys::proto_tree_add_boolean(tree, hf(k), tvb, 0, 0, 1);
    sys::wsk_item_set_generated(it);
    it
}

/// Postdissector: feed (first pass) and annotate this packet's keep-alive events.
pub unsafe extern "C" fn postdissect_keepalive(
    tvb: Tvb,
    pinfo: Pinfo,
    tree: Tree,
    _data: *mut std::ffi::c_void,
) -> c_int {
    guard("postdissect_keepalive", 0, || unsafe {
        feed_tcp(pinfo, tree);
        let frame = (*pinfo).num;
        let again = visited(pinfo);
        // Copy what this frame needs, so no lock is held while calling into Wireshark.
        let shown: Vec<(Event, Option<u32>, bool, Option<String>)> = {
            let st = store();
            let Some((conv, evs)) = st.events.get(&frame) else {
                return 0;
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
            let st = store();
            st.events.get(&frame).and_then(|(conv, evs)| {
                evs.is_empty()
                    .then(|| st.trackers.get(conv).and_then(|t| t.verdict(frame)))
                    .flatten()
            })
        };
        if let Some(v) = verdict_only {
            let c = CString::new(format!(" [KA {v}]")).unwrap_or_default();
            sys::col_append_str((*pinfo).cinfo, sys::COL_INFO as c_int, c.as_ptr());
            let ti = sys::proto_tree_add_item(
                tree,
                PROTO_KA.load(Relaxed),
                tvb,
                0,
                0,
                sys::ENC_NA as c_uint,
            );
            sys::wsk_item_set_generated(ti);
            let kt = sys::proto_item_add_subtree(ti, ETT_KA.load(Relaxed));
            add_str(kt, K::Layer, tvb, "tcp");
            let it = add_str(kt, K::Verdict, tvb, &v);
            sys::expert_add_info(pinfo, it, ei(EI_VERDICT));
        }
        if let Some(conv) = conv_index(pinfo, false) {
            let ep = src_endpoint(pinfo);
            for (e, _, _, _) in &shown {
                let kind = match e.kind {
                    Kind::Probe => super::tap::PROBE,
                    Kind::Ack => super::tap::ACK,
                    Kind::Ping => super::tap::PING,
                    Kind::Pong => super::tap::PONG,
                };
                let rtt = e.rtt_ns.map(|n| n as f64 / 1e9);
                super::tap::queue(pinfo, conv, Some(&ep), kind, 0, 0, rtt, None, None);
            }
        }
        for (e, reply_in, unanswered, verdict) in &shown {
            let note = annotation(e, *reply_in, *unanswered);
            let c = CString::new(format!(" {note}")).unwrap_or_default();
            sys::col_append_str((*pinfo).cinfo, sys::COL_INFO as c_int, c.as_ptr());
            let ti = sys::proto_tree_add_item(
                tree,
                PROTO_KA.load(Relaxed),
                tvb,
                0,
                0,
                sys::ENC_NA as c_uint,
            );
            let cn = CString::new(format!(", {note}")).unwrap_or_default();
            sys::proto_item_append_text(ti, c"%s".as_ptr(), cn.as_ptr());
            sys::wsk_item_set_generated(ti);
            let kt = sys::proto_item_add_subtree(ti, ETT_KA.load(Relaxed));
            add_str(kt, K::Layer, tvb, e.layer.as_str());
            add_str(kt, K::Kind, tvb, e.kind.as_str());
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
                sys::expert_add_info(pinfo, it, ei(EI_UNANSWERED));
            }
            if e.unsolicited {
                let it = add_bool(kt, K::Unsolicited, tvb);
                sys::expert_add_info(pinfo, it, ei(EI_UNSOLICITED));
            }
            if let Some(v) = verdict {
                let it = add_str(kt, K::Verdict, tvb, v);
                sys::expert_add_info(pinfo, it, ei(EI_VERDICT));
            }
        }
        0
    })
}

/// This packet's raw TCP sequence number (from TCP's tree), for the mid-stream detector.
pub unsafe fn tcp_seq(tree: Tree) -> Option<u32> {
    tree_uint(tree, &TCP_SEQ)
}
