//! The postdissectors (entry points Wireshark calls after all dissectors of a packet): feed the
//! packet's TCP segment to keep-alive analysis and learn its handshake messages (first pass),
//! then show what is stored for the frame.
use std::ffi::c_void;
use std::os::raw::c_int;

use super::guard::guard;
use super::pkt::{Pinfo, Tree, Tvb};
use super::{handshake, keepalive};

/// Protocol `ws`: the handshake on the 101 response and how a connection ended on its first
/// FIN/RST. Runs first (registered first), so the TCP segment is fed before anything is shown.
pub unsafe extern "C" fn postdissect_ws(
    tvb: Tvb,
    pinfo: Pinfo,
    tree: Tree,
    _data: *mut c_void,
) -> c_int {
    // SAFETY: Wireshark passes the frame's live tvb, pinfo and tree to postdissectors.
    guard("postdissect_ws", 0, || unsafe {
        // TCP's segment: keep-alive analysis, and the FIN/RST that ends a WebSocket connection.
        keepalive::feed_tcp(pinfo);
        handshake::learn(pinfo);
        // A connection on a port HTTP owns whose segments HTTP could not read: mid-stream
        // detection (first pass).
        super::midstream::feed_from_http(pinfo);
        handshake::show_end(tvb, pinfo, tree);
        handshake::show(tvb, pinfo, tree);
        0
    })
}

/// Protocol `keepalive`: probes, ACKs, pings and pongs of this packet.
pub unsafe extern "C" fn postdissect_keepalive(
    tvb: Tvb,
    pinfo: Pinfo,
    tree: Tree,
    _data: *mut c_void,
) -> c_int {
    // SAFETY: Wireshark passes the frame's live tvb, pinfo and tree to postdissectors.
    guard("postdissect_keepalive", 0, || unsafe {
        // (A no-op when protocol ws already fed this frame.)
        keepalive::feed_tcp(pinfo);
        keepalive::show(tvb, pinfo, tree);
        0
    })
}
