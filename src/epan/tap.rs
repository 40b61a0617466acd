//! The "ws" tap (src/epan/tap.c): events for statistics listeners such as `-z ws,tree`.
use std::ffi::CString;
use std::os::raw::{c_char, c_int};
use std::ptr;

use super::state::{self, Endpoint};
use super::sys;

pub const MESSAGE: c_int = 1;
pub const PING: c_int = 2;
pub const PONG: c_int = 3;
pub const PROBE: c_int = 4;
pub const ACK: c_int = 5;
pub const CLOSE: c_int = 6;
pub const END: c_int = 7;
pub const APP: c_int = 8;
pub const HEARTBEAT: c_int = 9;

extern "C" {
    pub fn wsk_tap_register();
    fn wsk_tap_listening() -> c_int;
    /// Registers the "WebSocket/Connections" stats tree (src/epan/stats.c); call in the handoff.
    pub fn wsk_stats_register();
    /// Does the tap have a listener (else queueing an event is wasted work)?
    fn wsk_tap_active() -> c_int;
    fn wsk_tap_queue(
        pinfo: *mut sys::packet_info,
        conv: u32,
        client: *const c_char,
        server: *const c_char,
        kind: c_int,
        from_client: c_int,
        opcode: c_int,
        len: u64,
        rtt: f64,
        close_code: c_int,
        abnormal: c_int,
        text: *const c_char,
        app: *const c_char,
        what: *const c_char,
        late: c_int,
    );
}

/// Is any tap listener (statistics) attached to the "ws" tap?
pub fn listening() -> bool {
    // SAFETY: reads the registered tap id; no arguments.
    unsafe { wsk_tap_listening() != 0 }
}

/// What an application-protocol event adds to a tap record.
#[derive(Default)]
pub struct AppNote<'a> {
    /// The protocol (a message's protocol name, or keep-alive's name of a heartbeat's).
    pub app: Option<&'a str>,
    /// The message unit's command or event.
    pub what: Option<&'a str>,
    pub late: bool,
}

/// "address:port" for IPv4/IPv6 endpoints (hex for other address types).
pub fn endpoint_text(e: &Endpoint) -> String {
    let a = &e.addr;
    let host = match a.len() {
        4 => format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3]),
        16 => {
            let v: Vec<String> = a
                .chunks(2)
                .map(|c| format!("{:x}", u16::from_be_bytes([c[0], c[1]])))
                .collect();
            format!("[{}]", v.join(":"))
        }
        _ => a.iter().map(|b| format!("{b:02x}")).collect(),
    };
    format!("{host}:{}", e.port)
}

/// One event of WebSocket connection `conv`; `from` is the sender's endpoint.
#[allow(clippy::too_many_arguments)]
pub unsafe fn queue(
    pinfo: *mut sys::packet_info,
    conv: u32,
    from: Option<&Endpoint>,
    kind: c_int,
    opcode: c_int,
    len: u64,
    rtt: Option<f64>,
    close_code: Option<u16>,
    end: Option<(&str, bool)>,
) {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        queue_note(
            pinfo,
            conv,
            from,
            kind,
            opcode,
            len,
            rtt,
            close_code,
            end,
            &AppNote::default(),
        )
    }
}

/// As [`queue`], with an application protocol's note.
#[allow(clippy::too_many_arguments)]
pub unsafe fn queue_note(
    pinfo: *mut sys::packet_info,
    conv: u32,
    from: Option<&Endpoint>,
    kind: c_int,
    opcode: c_int,
    len: u64,
    rtt: Option<f64>,
    close_code: Option<u16>,
    end: Option<(&str, bool)>,
    note: &AppNote,
) {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        // SAFETY: reads the tap id registered at start-up and asks epan for its listeners.
        if wsk_tap_active() == 0 {
            return;
        }
        let (client, server, from_client) = {
            let st = state::capture();
            let Some(cs) = st.ws.conns.get(&conv) else {
                return;
            };
            let fc = match (from, &cs.client, &cs.server) {
                (Some(f), Some(c), _) => (f == c) as c_int,
                (Some(f), None, Some(s)) => (f != s) as c_int,
                _ => -1,
            };
            (
                cs.client
                    .as_ref()
                    .map(endpoint_text)
                    .unwrap_or_else(|| "?".into()),
                cs.server
                    .as_ref()
                    .map(endpoint_text)
                    .unwrap_or_else(|| "?".into()),
                fc,
            )
        };
        let (c, s) = (
            CString::new(client).unwrap_or_default(),
            CString::new(server).unwrap_or_default(),
        );
        let text = end.map(|(t, _)| CString::new(t).unwrap_or_default());
        let app = note.app.map(|t| CString::new(t).unwrap_or_default());
        let what = note.what.map(|t| CString::new(t).unwrap_or_default());
        wsk_tap_queue(
            pinfo,
            conv,
            c.as_ptr(),
            s.as_ptr(),
            kind,
            from_client,
            opcode,
            len,
            rtt.unwrap_or(-1.0),
            close_code.map_or(-1, c_int::from),
            end.is_some_and(|(_, ab)| ab) as c_int,
            text.as_ref().map_or(ptr::null(), |t| t.as_ptr()),
            app.as_ref().map_or(ptr::null(), |t| t.as_ptr()),
            what.as_ref().map_or(ptr::null(), |t| t.as_ptr()),
            note.late as c_int,
        );
    }
}
