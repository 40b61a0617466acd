//! The WebSocket handshake as HTTP parsed it: a postdissector reads HTTP's Sec-WebSocket-*
//! fields (first pass, in order), records them per connection, and shows them on the 101
//! response; it also shows how a WebSocket connection ended on its first TCP FIN/RST.
use std::ffi::c_void;
use std::os::raw::{c_int, c_uint};
use std::sync::atomic::Ordering::Relaxed;

use super::guard::guard;
use super::register::*;
use super::state::{self, config_for};
use super::sys;
use super::util::*;
use crate::core::anomaly::Anomaly;
use crate::fields::F;

pub(super) struct Harvest {
    key: Option<String>,
    /// Set only on a 101 response.
    accept: Option<String>,
    protocol: Option<String>,
    extensions: Option<String>,
}

/// Read the handshake fields HTTP put into this packet's tree and, on the first pass, store them
/// for the connection. A response counts only when it is a 101 (a refused upgrade is not
/// WebSocket).
pub(super) unsafe fn harvest_handshake(pinfo: Pinfo, tree: Tree) -> Option<(u32, Harvest)> {
    let key = tree_string(tree, HTTP_KEY.load(Relaxed));
    let accept = tree_string(tree, HTTP_ACCEPT.load(Relaxed));
    if key.is_none() && accept.is_none() {
        return None;
    }
    let mut code = 0u32;
    let is_101 =
        sys::wsk_tree_uint_field(tree, HTTP_CODE.load(Relaxed), &mut code) != 0 && code == 101;
    let h = Harvest {
        key,
        accept: accept.filter(|_| is_101),
        protocol: tree_string(tree, HTTP_PROTOCOL.load(Relaxed)),
        extensions: tree_string(tree, HTTP_EXTENSIONS.load(Relaxed)),
    };
    let conv = conv_index(pinfo, true)?;
    if !visited(pinfo) {
        let num = (*pinfo).num;
        let src = src_endpoint(pinfo);
        let max = PREF_MAX_MESSAGE.load(Relaxed) as usize;
        let mut st = state::store();
        let cs = st.conn(conv, max);
        if let Some(k) = &h.key {
            cs.hs.key = Some(k.clone());
            cs.hs.request_frame = Some(num);
            cs.client = Some(src.clone());
        }
        if let Some(a) = &h.accept {
            cs.hs.accept = Some(a.clone());
            cs.hs.response_frame = Some(num);
            cs.hs.protocol = h.protocol.clone();
            cs.hs.extensions = h.extensions.clone();
            cs.server = Some(src);
        }
        let cfg = config_for(&cs.hs, max);
        cs.conn.set_config(cfg);
    }
    Some((conv, h))
}

/// On the first FIN/RST of a WebSocket connection: how it ended.
pub(super) unsafe fn show_end(tvb: Tvb, pinfo: Pinfo, tree: Tree) {
    let num = (*pinfo).num;
    let (end, initiator) = {
        let st = state::store();
        let Some((conv, end)) = st.ends.get(&num) else {
            return;
        };
        let init = st.conns.get(conv).and_then(|c| c.closing.initiator());
        (end.clone(), init)
    };
    if let Some(conv) = conv_index(pinfo, false) {
        let src = src_endpoint(pinfo);
        let end_info = Some((end.text.as_str(), end.abnormal));
        super::tap::queue(
            pinfo,
            conv,
            Some(&src),
            super::tap::END,
            0,
            0,
            None,
            None,
            end_info,
        );
    }
    let ti = sys::proto_tree_add_item(tree, proto_ws(), tvb, 0, 0, sys::ENC_NA as c_uint);
    sys::proto_item_append_text(ti, c"%s".as_ptr(), c", connection end".as_ptr());
    sys::wsk_item_set_generated(ti);
    let st = sys::proto_item_add_subtree(ti, ett(ETT_HANDSHAKE));
    let it = add_string(st, F::End, tvb, &end.text);
    let ab = sys::proto_tree_add_boolean(st, hf(F::EndAbnormal), tvb, 0, 0, end.abnormal as u32);
    sys::wsk_item_set_generated(ab);
    if let Some(d) = initiator {
        add_string(st, F::CloseInitiator, tvb, d.as_str());
    }
    if let Some(a) = end.anomaly {
        sys::expert_add_info(pinfo, it, ei(a));
    }
}

/// Postdissector: records the handshake (first pass) and, on the 101 response, shows it: the
/// request's key, the accept and whether it is right, the subprotocol and the extensions.
pub unsafe extern "C" fn postdissect_handshake(
    tvb: Tvb,
    pinfo: Pinfo,
    tree: Tree,
    _data: *mut c_void,
) -> c_int {
    guard("postdissect_handshake", 0, || unsafe {
        // TCP's FIN/RST (first pass) tells how a WebSocket connection ended.
        super::keepalive::feed_tcp(pinfo, tree);
        show_end(tvb, pinfo, tree);
        // The handshake is only in packets HTTP dissected: skip the field lookups elsewhere.
        if tree.is_null() || !frame_has_protocol(pinfo, c"http") {
            return 0;
        }
        let Some((conv, h)) = harvest_handshake(pinfo, tree) else {
            return 0;
        };
        let Some(accept) = &h.accept else { return 0 };
        let (key, request) = {
            let st = state::store();
            let hs = st.conns.get(&conv).map(|c| &c.hs);
            (
                hs.and_then(|h| h.key.clone()),
                hs.and_then(|h| h.request_frame),
            )
        };
        let ti = sys::proto_tree_add_item(tree, proto_ws(), tvb, 0, 0, sys::ENC_NA as c_uint);
        sys::proto_item_append_text(ti, c"%s".as_ptr(), c", WebSocket handshake".as_ptr());
        let st = sys::proto_item_add_subtree(ti, ett(ETT_HANDSHAKE));
        if let Some(n) = request {
            let it = sys::proto_tree_add_uint(st, hf(F::HandshakeRequestIn), tvb, 0, 0, n);
            sys::wsk_item_set_generated(it);
        }
        if let Some(k) = &key {
            add_string(st, F::HandshakeKey, tvb, k);
        }
        add_string(st, F::HandshakeAccept, tvb, accept);
        if let Some(k) = &key {
            let ok = crate::core::handshake::accept_is_valid(k, accept);
            let it =
                sys::proto_tree_add_boolean(st, hf(F::HandshakeAcceptValid), tvb, 0, 0, ok as u32);
            sys::wsk_item_set_generated(it);
            if !ok {
                sys::expert_add_info(pinfo, it, ei(Anomaly::AcceptMismatch));
            }
        }
        if let Some(p) = &h.protocol {
            add_string(st, F::HandshakeProtocol, tvb, p);
        }
        if let Some(e) = &h.extensions {
            add_string(st, F::HandshakeExtensions, tvb, e);
        }
        0
    })
}
