//! Declarations of src/epan/dispatch.c: handing a message to Wireshark's dissector for its
//! subprotocol, port, or JSON.
use std::os::raw::{c_char, c_int};

use super::sys;

extern "C" {
    pub fn wsk_dispatch_register_prefs(module: *mut sys::module_t);
    pub fn wsk_dispatch_init();
    pub fn wsk_dispatch_message(
        tvb: *mut sys::tvbuff_t,
        pinfo: *mut sys::packet_info,
        tree: *mut sys::proto_tree,
        subprotocol: *const c_char,
        server_port: u32,
        is_text: c_int,
    ) -> c_int;
}
