//! The symbols Wireshark's plugin loader looks up (wsutil/plugins.c).
use std::os::raw::c_int;

use super::guard::guard;
use super::register;
use super::sys;

const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

const fn version_bytes<const N: usize>() -> [u8; N] {
    let src = VERSION.as_bytes();
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N && i < src.len() {
        out[i] = src[i];
        i += 1;
    }
    out
}

#[no_mangle]
#[used]
pub static plugin_version: [u8; VERSION.len()] = version_bytes::<{ VERSION.len() }>();

#[no_mangle]
#[used]
pub static plugin_want_major: c_int = sys::WS_MAJOR;

#[no_mangle]
#[used]
pub static plugin_want_minor: c_int = sys::WS_MINOR;

/// `WS_PLUGIN_DESC_DISSECTOR` (wsutil/plugins.h, 4.4+).
#[cfg(ws_4_4_plus)]
const WS_PLUGIN_DESC_DISSECTOR: u32 = 1 << 0;

/// 4.4+: the loader asks what kind of plugin this is (`tshark -G plugins` shows "dissector").
#[cfg(ws_4_4_plus)]
#[no_mangle]
pub extern "C" fn plugin_describe() -> u32 {
    WS_PLUGIN_DESC_DISSECTOR
}

static PLUGIN: sys::proto_plugin = sys::proto_plugin {
    register_protoinfo: Some(register_protoinfo),
    register_handoff: Some(register_handoff),
};

extern "C" fn register_protoinfo() {
    guard("register_protoinfo", (), register::register_protoinfo);
}

extern "C" fn register_handoff() {
    guard("register_handoff", (), register::register_handoff);
}

#[no_mangle]
pub extern "C" fn plugin_register() {
    guard("plugin_register", (), || {
        // SAFETY: PLUGIN is a static that lives for the whole program, as Wireshark requires.
        unsafe { sys::proto_register_plugin(&PLUGIN) }
    });
}
