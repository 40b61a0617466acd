//! Registration of the push-service protocols (`crate::fields_app::APP_PROTOCOLS`): one protocol
//! each with its fields, subtrees and expert infos (one per `core::app::issue::Issue`).
//! Names are checked first: a protocol whose names are
//! taken is skipped with a logged warning (a duplicate aborts Wireshark).
use std::os::raw::{c_char, c_int};
use std::ptr;
use std::sync::atomic::{AtomicI32, AtomicPtr, Ordering::Relaxed};

use super::guard::warn;
use super::register::{leak_cstr, name_free, register_fields};
use super::sys;
use crate::core::app::issue::{Group, Issue};
use crate::core::app::App;
use crate::fields_app::*;

pub const NPROTO: usize = APP_PROTOCOLS.len();
pub static PROTO: [AtomicI32; NPROTO] = [const { AtomicI32::new(-1) }; NPROTO];

pub static HF_EIO: [AtomicI32; ENGINEIO_FIELDS.len()] =
    [const { AtomicI32::new(-1) }; ENGINEIO_FIELDS.len()];
pub static HF_SIO: [AtomicI32; SOCKETIO_FIELDS.len()] =
    [const { AtomicI32::new(-1) }; SOCKETIO_FIELDS.len()];
pub static HF_STOMP: [AtomicI32; STOMP_FIELDS.len()] =
    [const { AtomicI32::new(-1) }; STOMP_FIELDS.len()];
pub static HF_SR: [AtomicI32; SIGNALR_FIELDS.len()] =
    [const { AtomicI32::new(-1) }; SIGNALR_FIELDS.len()];
pub static HF_GQL: [AtomicI32; GRAPHQL_FIELDS.len()] =
    [const { AtomicI32::new(-1) }; GRAPHQL_FIELDS.len()];

/// Subtrees: one per protocol, then a STOMP header, then a JSON node.
pub const ETT_HEADER: usize = NPROTO;
pub const ETT_JSON: usize = NPROTO + 1;
pub static ETT: [AtomicI32; NPROTO + 2] = [const { AtomicI32::new(-1) }; NPROTO + 2];

pub struct AppExperts(pub [sys::expert_field; Issue::ALL.len()]);
pub static EXPERTS: AtomicPtr<AppExperts> = AtomicPtr::new(ptr::null_mut());

fn hf_table(p: usize) -> &'static [AtomicI32] {
    match p {
        ENGINEIO => &HF_EIO,
        SOCKETIO => &HF_SIO,
        STOMP => &HF_STOMP,
        SIGNALR => &HF_SR,
        _ => &HF_GQL,
    }
}

/// The protocol (index into APP_PROTOCOLS) that shows an app's messages.
pub fn proto_index(app: App) -> Option<usize> {
    Some(match app {
        App::EngineIo | App::SocketIo => ENGINEIO,
        App::Stomp => STOMP,
        App::SignalR => SIGNALR,
        App::GraphqlTransportWs | App::GraphqlWs => GRAPHQL,
        App::Mqtt => return None,
    })
}

fn issue_proto(i: Issue) -> usize {
    match i.app() {
        App::SocketIo => SOCKETIO,
        a => proto_index(a).unwrap_or(ENGINEIO),
    }
}

pub fn proto(p: usize) -> c_int {
    PROTO[p].load(Relaxed)
}
pub fn hf(p: usize, f: usize) -> c_int {
    hf_table(p)[f].load(Relaxed)
}
pub fn ett(i: usize) -> c_int {
    ETT[i].load(Relaxed)
}
pub fn ei(i: Issue) -> *mut sys::expert_field {
    let p = EXPERTS.load(Relaxed);
    let idx = Issue::ALL.iter().position(|x| *x == i).unwrap_or(0);
    if p.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: p is the leaked, never-freed array; idx < its length; no reference is made.
    unsafe {
        ptr::addr_of_mut!((*p).0)
            .cast::<sys::expert_field>()
            .add(idx)
    }
}

pub fn register_protoinfo() {
    let ws = super::ids::proto_ws();
    // SAFETY: registration time, on the main thread; the C side checks the table name first.
    if ws >= 0 && unsafe { wsk_app_table_register(ws) } == 0 {
        warn(&format!(
            "ws-keepalive: dissector table '{DECODE_AS_TABLE}' exists already; no Decode As for the push-service protocols"
        ));
    }
    for (i, p) in APP_PROTOCOLS.iter().enumerate() {
        if !name_free(p.name, p.short, p.filter) {
            warn(&format!(
                "ws-keepalive: protocol name '{}' is taken by another dissector; its messages stay undissected",
                p.filter
            ));
            continue;
        }
        // SAFETY: leaked strings live forever, as proto_register_protocol requires.
        let id = unsafe {
            sys::proto_register_protocol(leak_cstr(p.name), leak_cstr(p.short), leak_cstr(p.filter))
        };
        PROTO[i].store(id, Relaxed);
        register_fields(id, p.fields, hf_table(i));
    }
    let ptrs: Vec<*mut c_int> = ETT.iter().map(|e| e.as_ptr()).collect();
    let ptrs: &'static mut [*mut c_int] = Box::leak(ptrs.into_boxed_slice());
    // SAFETY: expert_field is plain data (two ints); all-zero is its unregistered state.
    let experts: *mut AppExperts =
        Box::into_raw(Box::new(AppExperts(unsafe { std::mem::zeroed() })));
    EXPERTS.store(experts, Relaxed);
    // SAFETY: the pointer array and the atomics it points to live forever.
    unsafe { sys::proto_register_subtree_array(ptrs.as_ptr(), ptrs.len() as c_int) };
    for (pi, p) in APP_PROTOCOLS.iter().enumerate() {
        if proto(pi) < 0 {
            continue;
        }
        let mut infos = Vec::new();
        for issue in Issue::ALL.iter().filter(|i| issue_proto(**i) == pi) {
            // SAFETY: ei_register_info is plain data; zero is EXPFILL's value for the rest.
            let mut info: sys::ei_register_info = unsafe { std::mem::zeroed() };
            info.ids = ei(*issue);
            info.eiinfo.name = leak_cstr(&format!("{}.expert.{}", p.filter, issue.key()));
            let (group, sev) = match issue.group() {
                Group::Malformed => (sys::PI_MALFORMED, sys::PI_ERROR),
                Group::Protocol => (sys::PI_PROTOCOL, sys::PI_WARN),
            };
            info.eiinfo.group = group as c_int;
            info.eiinfo.severity = sev as c_int;
            info.eiinfo.summary = leak_cstr(issue.summary());
            info.eiinfo.hf_info.hfinfo.id = -1;
            info.eiinfo.hf_info.hfinfo.same_name_prev_id = -1;
            infos.push(info);
        }
        let infos: &'static mut [sys::ei_register_info] = Box::leak(infos.into_boxed_slice());
        // SAFETY: leaked arrays live forever; the module pointer comes from Wireshark.
        unsafe {
            let module = sys::expert_register_protocol(proto(pi));
            sys::expert_register_field_array(module, infos.as_mut_ptr(), infos.len() as c_int);
        }
    }
}

// src/epan/decode_as.c: the "ws.app.port" Decode As table.
extern "C" {
    fn wsk_app_table_register(proto: c_int) -> c_int;
    fn wsk_app_table_add(proto: c_int, code: c_int);
    fn wsk_app_table_add_dissector(name: *const c_char, code: c_int);
    fn wsk_app_table_lookup(port: u32) -> c_int;
}

/// The Decode As table's name (what `tshark -d` takes before `==`).
pub const DECODE_AS_TABLE: &str = "ws.app.port";

/// What each Decode As choice stands for (the table stores handles; C hands back these codes).
const CHOICES: [(usize, App); 5] = [
    (ENGINEIO, App::EngineIo),
    (SOCKETIO, App::SocketIo),
    (STOMP, App::Stomp),
    (SIGNALR, App::SignalR),
    (GRAPHQL, App::GraphqlTransportWs),
];
const MQTT_CODE: c_int = 100;

/// Messages reach these protocols from the WebSocket dissector (tree.rs); the only hand-off is
/// the Decode As choice per TCP port: one per protocol registered here, and Wireshark's MQTT.
pub fn register_handoff() {
    for (code, (p, _)) in CHOICES.iter().enumerate() {
        // SAFETY: registration at hand-off time, on the main thread; proto is ours (or -1).
        unsafe { wsk_app_table_add(proto(*p), code as c_int + 1) };
    }
    // SAFETY: as above; the name is a static C string.
    unsafe { wsk_app_table_add_dissector(c"mqtt".as_ptr(), MQTT_CODE) };
}

/// The protocol Decode As chose for the first of these TCP ports that has a choice.
pub fn decode_as(ports: &[u32]) -> Option<App> {
    ports.iter().find_map(|&port| {
        // SAFETY: a read-only table lookup (NULL-safe in C).
        let code = unsafe { wsk_app_table_lookup(port) };
        match code {
            MQTT_CODE => Some(App::Mqtt),
            c if c >= 1 => CHOICES.get(c as usize - 1).map(|(_, a)| *a),
            _ => None,
        }
    })
}
