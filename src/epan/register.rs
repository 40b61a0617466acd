//! Registration: protocol, fields (from `crate::fields::FIELDS`), subtrees, expert infos,
//! preferences, and the hand-off to TCP and HTTP. Names are checked before use: a taken name is
//! logged and replaced by a fallback, never allowed to abort Wireshark at start-up.
use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int, c_uint};
use std::ptr;
use std::sync::atomic::{AtomicI32, Ordering::Relaxed};

use super::guard::{guard, warn};
use super::ids::*;
use super::sys;
use crate::core::anomaly::Anomaly;
use crate::core::close::CLOSE_CODE_RANGES;
use crate::core::opcode::OPCODE_NAMES;
use crate::fields::{Display, FieldDef, Ft, FIELDS, KA_FIELDS};

/// A string that lives for the rest of the program (Wireshark keeps the pointer).
pub(super) fn leak_cstr(s: &str) -> *const c_char {
    CString::new(s.replace('\0', " "))
        .unwrap_or_default()
        .into_raw()
}

pub(super) fn name_free(name: &str, short: &str, filter: &str) -> bool {
    let (n, s, f) = (
        CString::new(name).unwrap(),
        CString::new(short).unwrap(),
        CString::new(filter).unwrap(),
    );
    // SAFETY: the three strings are valid for the duration of the calls; these lookups only read.
    unsafe {
        sys::proto_name_already_registered(n.as_ptr()) == 0
            && sys::proto_get_id_by_short_name(s.as_ptr()) < 0
            && sys::proto_get_id_by_filter_name(f.as_ptr()) < 0
    }
}

const PROTO_NAMES: [(&str, &str, &str); 3] = [
    ("WebSocket (ws-keepalive)", "WS", "ws"),
    ("WebSocket (ws-keepalive plugin)", "WS-KA", "ws_keepalive"),
    (
        "WebSocket (ws-keepalive plugin, 2nd)",
        "WS-KA2",
        "ws_keepalive2",
    ),
];

pub fn register_protoinfo() {
    let Some(&(name, short, filter)) = PROTO_NAMES.iter().find(|(n, s, f)| name_free(n, s, f))
    else {
        warn("ws-keepalive: every protocol name it could use is taken; the plugin stays disabled");
        return;
    };
    if filter != "ws" {
        warn(&format!(
            "ws-keepalive: protocol name 'ws' is taken by another dissector; registered as '{filter}'"
        ));
    }
    // SAFETY: leaked strings live forever, as proto_register_protocol requires.
    let id = unsafe {
        sys::proto_register_protocol(leak_cstr(name), leak_cstr(short), leak_cstr(filter))
    };
    PROTO_WS.store(id, Relaxed);

    register_fields(id, &FIELDS, &HF);
    register_subtrees();
    register_experts(id);
    register_prefs(id);
    // SAFETY: registers the "ws" tap; called once at registration.
    unsafe { super::tap::wsk_tap_register() };
    // SAFETY: registers the "ws_follow" tap and the `ws` follower; called once at registration.
    unsafe { super::follow::wsk_follow_register(id) };
    register_keepalive_protoinfo();
    super::app_reg::register_protoinfo();
}

fn field_taken(abbrev: &str) -> bool {
    let c = CString::new(abbrev).unwrap();
    // SAFETY: valid string; a read-only lookup.
    unsafe { sys::proto_registrar_get_id_byname(c.as_ptr()) >= 0 }
}

fn value_strings_opcode() -> *const std::ffi::c_void {
    let mut v: Vec<sys::value_string> = OPCODE_NAMES
        .iter()
        .map(|(val, name)| sys::value_string {
            value: *val as u32,
            strptr: leak_cstr(name),
        })
        .collect();
    v.push(sys::value_string {
        value: 0,
        strptr: ptr::null(),
    });
    Box::leak(v.into_boxed_slice()).as_ptr() as *const _
}

/// A leaked, NUL-terminated value_string array (Wireshark keeps the pointer).
fn value_strings(names: &[(u32, &str)]) -> *const std::ffi::c_void {
    let mut v: Vec<sys::value_string> = names
        .iter()
        .map(|(val, name)| sys::value_string {
            value: *val,
            strptr: leak_cstr(name),
        })
        .collect();
    v.push(sys::value_string {
        value: 0,
        strptr: ptr::null(),
    });
    Box::leak(v.into_boxed_slice()).as_ptr() as *const _
}

fn range_strings_close() -> *const std::ffi::c_void {
    let mut v: Vec<sys::range_string> = CLOSE_CODE_RANGES
        .iter()
        .map(|(lo, hi, name)| sys::range_string {
            value_min: *lo as u64,
            value_max: *hi as u64,
            strptr: leak_cstr(name),
        })
        .collect();
    v.push(sys::range_string {
        value_min: 0,
        value_max: 0,
        strptr: ptr::null(),
    });
    Box::leak(v.into_boxed_slice()).as_ptr() as *const _
}

pub(super) fn register_fields(proto: c_int, table: &'static [FieldDef], ids: &'static [AtomicI32]) {
    let opcode_vals = value_strings_opcode();
    let close_vals = range_strings_close();
    let mut infos: Vec<sys::hf_register_info> = Vec::with_capacity(table.len());
    for (i, d) in table.iter().enumerate() {
        if field_taken(d.abbrev) {
            warn(&format!(
                "ws-keepalive: field '{}' is already registered by another dissector; filters on it will match both",
                d.abbrev
            ));
        }
        let ft = match d.ft {
            Ft::Boolean => sys::ftenum_FT_BOOLEAN,
            Ft::Uint8 => sys::ftenum_FT_UINT8,
            Ft::Uint16 => sys::ftenum_FT_UINT16,
            Ft::Uint32 => sys::ftenum_FT_UINT32,
            Ft::Uint64 => sys::ftenum_FT_UINT64,
            Ft::Bytes => sys::ftenum_FT_BYTES,
            Ft::RelativeTime => sys::ftenum_FT_RELATIVE_TIME,
            Ft::String => sys::ftenum_FT_STRING,
            Ft::FrameNum => sys::ftenum_FT_FRAMENUM,
        };
        let (display, strings, bitmask): (c_int, *const std::ffi::c_void, u64) =
            match (d.ft, d.display) {
                (_, Display::Bit(m)) => (8, ptr::null(), m as u64),
                (_, Display::Opcode(m)) => (
                    sys::field_display_e_BASE_DEC as c_int,
                    opcode_vals,
                    m as u64,
                ),
                (_, Display::Names(names)) => (
                    sys::field_display_e_BASE_DEC as c_int,
                    value_strings(names),
                    0,
                ),
                (_, Display::CloseCode) => (
                    (sys::field_display_e_BASE_DEC | sys::BASE_RANGE_STRING) as c_int,
                    close_vals,
                    0,
                ),
                (Ft::Boolean, Display::Plain) => {
                    (sys::field_display_e_BASE_NONE as c_int, ptr::null(), 0)
                }
                (Ft::Uint8 | Ft::Uint16 | Ft::Uint32 | Ft::Uint64, Display::Plain) => {
                    (sys::field_display_e_BASE_DEC as c_int, ptr::null(), 0)
                }
                (Ft::Bytes, Display::Plain) => (
                    (sys::field_display_e_BASE_NONE | sys::BASE_ALLOW_ZERO) as c_int,
                    ptr::null(),
                    0,
                ),
                (Ft::String, Display::Plain) => {
                    (sys::field_display_e_BASE_NONE as c_int, ptr::null(), 0)
                }
                (Ft::RelativeTime, Display::Plain) => {
                    (sys::field_display_e_BASE_NONE as c_int, ptr::null(), 0)
                }
                (Ft::FrameNum, Display::Plain) => {
                    (sys::field_display_e_BASE_NONE as c_int, ptr::null(), 0)
                }
            };
        infos.push(sys::hf_register_info {
            p_id: ids[i].as_ptr(),
            hfinfo: sys::header_field_info {
                name: leak_cstr(d.name),
                abbrev: leak_cstr(d.abbrev),
                type_: ft,
                display,
                strings,
                bitmask,
                blurb: leak_cstr(d.blurb),
                // HFILL
                id: -1,
                parent: 0,
                ref_type: sys::hf_ref_type_HF_REF_TYPE_NONE,
                same_name_prev_id: -1,
                same_name_next: ptr::null_mut(),
            },
        });
    }
    let infos: &'static mut [sys::hf_register_info] = Box::leak(infos.into_boxed_slice());
    // SAFETY: the array is leaked (lives forever) and every entry is fully initialised.
    unsafe { sys::proto_register_field_array(proto, infos.as_mut_ptr(), infos.len() as c_int) };
}

fn register_subtrees() {
    let ptrs: Vec<*mut c_int> = ETT.iter().map(|e| e.as_ptr()).collect();
    let ptrs: &'static mut [*mut c_int] = Box::leak(ptrs.into_boxed_slice());
    // SAFETY: the pointer array and the atomics it points to live forever.
    unsafe { sys::proto_register_subtree_array(ptrs.as_ptr(), ptrs.len() as c_int) };
}

fn register_experts(proto: c_int) {
    // SAFETY: expert_field is plain data (two ints); all-zero is its "unregistered" state.
    let experts: &'static mut Experts = Box::leak(Box::new(Experts(unsafe { std::mem::zeroed() })));
    let mut infos: Vec<sys::ei_register_info> = Vec::with_capacity(NANOM);
    for (i, a) in Anomaly::ALL.iter().enumerate() {
        use crate::core::anomaly::{Group, Severity};
        let group = match a.group() {
            Group::Malformed => sys::PI_MALFORMED,
            Group::Protocol => sys::PI_PROTOCOL,
            Group::Undecoded => sys::PI_UNDECODED,
            Group::Reassemble => sys::PI_REASSEMBLE,
            Group::Sequence => sys::PI_SEQUENCE,
        };
        let severity = match a.severity() {
            Severity::Note => sys::PI_NOTE,
            Severity::Warning => sys::PI_WARN,
            Severity::Error => sys::PI_ERROR,
        };
        // SAFETY: ei_register_info is plain data; zero is EXPFILL's value for the rest.
        let mut info: sys::ei_register_info = unsafe { std::mem::zeroed() };
        info.ids = &mut experts.0[i];
        info.eiinfo.name = leak_cstr(&format!("ws.expert.{}", a.key()));
        info.eiinfo.group = group as c_int;
        info.eiinfo.severity = severity as c_int;
        info.eiinfo.summary = leak_cstr(a.summary());
        // EXPFILL: the embedded hfinfo's HFILL part.
        info.eiinfo.hf_info.hfinfo.id = -1;
        info.eiinfo.hf_info.hfinfo.same_name_prev_id = -1;
        infos.push(info);
    }
    EI_PTR.store(experts as *mut Experts, Relaxed);
    let infos: &'static mut [sys::ei_register_info] = Box::leak(infos.into_boxed_slice());
    // SAFETY: leaked arrays live forever; the module pointer comes from Wireshark.
    unsafe {
        let module = sys::expert_register_protocol(proto);
        sys::expert_register_field_array(module, infos.as_mut_ptr(), infos.len() as c_int);
    }
}

fn register_prefs(proto: c_int) {
    // SAFETY: the atomics live forever and have the layout of guint; Wireshark writes them on the
    // GUI/main thread, we read them with relaxed loads.
    unsafe {
        let module = sys::prefs_register_protocol(proto, None);
        sys::prefs_register_uint_preference(
            module,
            c"max_unmask".as_ptr(),
            c"Unmasked payload shown (bytes)".as_ptr(),
            c"At most this many bytes of a masked frame's payload are unmasked and shown; an expert note says when the cap cuts".as_ptr(),
            10,
            PREF_MAX_UNMASK.as_ptr() as *mut c_uint,
        );
        sys::prefs_register_uint_preference(
            module,
            c"max_message".as_ptr(),
            c"Reassembled message kept (bytes)".as_ptr(),
            c"At most this many bytes of a fragmented message are reassembled; an expert note says when the cap cuts".as_ptr(),
            10,
            PREF_MAX_MESSAGE.as_ptr() as *mut c_uint,
        );
        sys::prefs_register_uint_preference(
            module,
            c"max_inflate".as_ptr(),
            c"Decompressed message kept (bytes)".as_ptr(),
            c"permessage-deflate: inflating a message stops after this many bytes, with an expert warning (a deflate bomb costs no more)".as_ptr(),
            10,
            PREF_MAX_INFLATE.as_ptr() as *mut c_uint,
        );
        super::dispatch::wsk_dispatch_register_prefs(module);
    }
}

fn handle_named(name: &CStr) -> sys::dissector_handle_t {
    // SAFETY: valid string; a read-only lookup that returns NULL when absent.
    unsafe { sys::find_dissector(name.as_ptr()) }
}

pub fn register_handoff() {
    let proto = proto_ws();
    if proto < 0 {
        return;
    }
    // SAFETY: registration calls with valid, static arguments; done once, on the main thread.
    unsafe {
        let named = handle_named(c"ws").is_null();
        if !named {
            warn("ws-keepalive: a dissector named 'ws' exists already; using an anonymous handle");
        }
        PROTO_HTTP.store(sys::proto_get_id_by_filter_name(c"http".as_ptr()), Relaxed);
        let handle = sys::wsk_make_ws_handle(proto, named as c_int);
        sys::wsk_set_handles(handle, handle_named(c"http-over-tcp"));

        // After an HTTP Upgrade, HTTP hands the connection to whoever is registered here; plugin
        // hand-offs run after the built-in ones, so this replaces the built-in WebSocket dissector.
        sys::dissector_add_string(c"http.upgrade".as_ptr(), c"websocket".as_ptr(), handle);
        sys::dissector_add_for_decode_as(c"tcp.port".as_ptr(), handle);

        let heur_name = if sys::wsk_heur_name_taken(c"ws_tcp".as_ptr()) == 0 {
            c"ws_tcp"
        } else {
            warn(
                "ws-keepalive: heuristic name 'ws_tcp' is taken; registered as 'ws_keepalive_tcp'",
            );
            c"ws_keepalive_tcp"
        };
        if sys::wsk_heur_name_taken(heur_name.as_ptr()) == 0 {
            sys::wsk_add_heuristic(heur_name.as_ptr(), proto);
        }

        // One postdissector for both protocols (keep-alive analysis of every TCP segment; the
        // handshake read from its bytes; how a connection ended). It asks for no fields, so no tree
        // is built for it; its handle belongs to no protocol, so epan adds no layer for it to every
        // packet: it checks itself which of `ws` and `keepalive` are enabled.
        let post = sys::create_dissector_handle(Some(super::post::postdissect), -1);
        sys::register_postdissector(post);

        super::app_reg::register_handoff();
        super::dispatch::wsk_dispatch_init();
        sys::register_init_routine(Some(init_routine));
        sys::register_cleanup_routine(Some(cleanup_routine));
        super::tap::wsk_stats_register();
    }
}

pub fn register_keepalive_protoinfo() {
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
    register_fields(id, &KA_FIELDS, &HF_KA);
    let ett: &'static mut [*mut c_int] = Box::leak(Box::new([ETT_KA.as_ptr()]));
    // SAFETY: expert_field is plain data (two ints); all-zero is its unregistered state.
    let experts: *mut KaExperts = Box::into_raw(Box::new(KaExperts(unsafe { std::mem::zeroed() })));
    KA_EXPERTS.store(experts, Relaxed);
    let defs = [
        (EI_UNANSWERED, "keepalive.expert.unanswered", sys::PI_WARN, "Keep-alive probe or ping got no answer"),
        (EI_UNSOLICITED, "keepalive.expert.unsolicited_pong", sys::PI_NOTE, "Pong that answers no ping (RFC 6455 §5.5.3: an unsolicited pong is a unidirectional heartbeat)"),
        (EI_VERDICT, "keepalive.expert.verdict", sys::PI_WARN, "Connection given up after unanswered keep-alives"),
        (EI_LATE, "keepalive.expert.late", sys::PI_WARN, "Application heartbeat later than its protocol's negotiated cadence allows"),
    ];
    let mut infos = Vec::new();
    for (i, name, sev, summary) in defs {
        // SAFETY: ei_register_info is plain data; zero is EXPFILL's value for the rest.
        let mut info: sys::ei_register_info = unsafe { std::mem::zeroed() };
        info.ids = ei_ka(i);
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

/// A capture file is opened: start with empty state.
extern "C" fn init_routine() {
    guard("init_routine", (), super::state::clear);
}

/// A capture file is closed (or dissected again from scratch): drop its state.
extern "C" fn cleanup_routine() {
    guard("cleanup_routine", (), super::state::clear);
}
