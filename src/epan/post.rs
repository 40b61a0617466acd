//! The postdissector (the entry point Wireshark calls after all dissectors of a packet): feed the
//! packet's TCP segment to keep-alive analysis and learn its handshake messages (first pass),
//! then show what is stored for the frame. One postdissector serves both protocols: its handle
//! belongs to neither, so it checks here which of them are enabled.
use std::ffi::c_void;
use std::os::raw::c_int;

use super::guard::guard;
use super::ids::{proto_ka, proto_ws};
use super::pkt::{protos_enabled, Pinfo, Tree, Tvb};
use super::{handshake, keepalive, state, sys};

/// Protocol `ws`: the handshake on the 101 response and how a connection ended on its first
/// FIN/RST. Protocol `keepalive`: probes, ACKs, pings and pongs of this packet. The TCP segment is
/// fed (first pass) before anything is shown.
pub unsafe extern "C" fn postdissect(
    tvb: Tvb,
    pinfo: Pinfo,
    tree: Tree,
    _data: *mut c_void,
) -> c_int {
    // SAFETY: Wireshark passes the frame's live tvb, pinfo and tree to postdissectors.
    guard("postdissect", 0, || unsafe {
        let (ws, ka) = protos_enabled(proto_ws(), proto_ka());
        if !ws && !ka {
            return 0;
        }
        // TCP's segment: keep-alive analysis, and the FIN/RST that ends a WebSocket connection.
        // (The segment's header and connection, once read, serve the mid-stream feed too.)
        let tcp = keepalive::feed_tcp(pinfo);
        if ws {
            handshake::learn_last(pinfo, tcp.as_ref().map(|t| &t.0));
            // A segment of a connection being watched for WebSocket that TCP's heuristics were
            // not offered (HTTP's port, or another dissector's): mid-stream detection (first pass).
            super::midstream::feed_late(pinfo, tcp);
        }
        // What the first pass stored for this frame, looked at once (most frames have nothing).
        let shown = state::capture().shown((*pinfo).num);
        if ws && (shown.end || shown.handshake) {
            // Expert infos are attributed to the protocol named in pinfo (epan names the handle's
            // protocol, and this handle has none).
            let old = sys::wsk_set_current_proto(pinfo, proto_ws());
            if shown.end {
                handshake::show_end(tvb, pinfo, tree);
            }
            if shown.handshake {
                handshake::show(tvb, pinfo, tree);
            }
            sys::wsk_restore_current_proto(pinfo, old);
        }
        if ka && shown.keepalive {
            let old = sys::wsk_set_current_proto(pinfo, proto_ka());
            keepalive::show(tvb, pinfo, tree);
            sys::wsk_restore_current_proto(pinfo, old);
        }
        0
    })
}
