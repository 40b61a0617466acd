//! The WebSocket handshake, read from the bytes that carried it (first pass, in order): the
//! Upgrade request and the 101 response, in the frame's TCP payload or in a data source of the
//! packet (TCP's reassembled segments, TLS's decrypted records). Recorded per connection, and
//! shown on the 101 response from what was stored. Also shows how a WebSocket connection ended
//! on its first TCP FIN/RST.
use std::os::raw::c_uint;
use std::sync::atomic::Ordering::Relaxed;

use super::ids::*;
use super::pkt::*;
use super::state::{self, config_for, conv_index, HandshakeShown};
use super::sys;
use crate::core::anomaly::Anomaly;
use crate::core::http::{self, MAX_HEADER_BLOCK};
use crate::fields::F;

/// Handshake messages in `tvb` from `offset` (at most `len` bytes), if it starts with one.
unsafe fn message_at(tvb: Tvb, offset: usize, len: usize) -> Option<http::Message> {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        if !http::could_start(captured(tvb, offset, http::PEEK.min(len))) {
            return None;
        }
        http::parse(captured(tvb, offset, len.min(MAX_HEADER_BLOCK)))
    }
}

/// First pass: learn the handshake messages this packet carries (once per frame, in order).
/// Called by the dissector (HTTP may hand over the bytes after a 101 before the postdissector
/// runs) and by the postdissector. Only packets that HTTP dissected count: with HTTP (and so the
/// upgrade) not applied to a connection, its bytes are not claimed as a handshake.
/// `known`: this packet's TCP segment when the caller has read it already.
pub(super) unsafe fn learn(pinfo: Pinfo, known: Option<&Segment>) {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        if visited(pinfo) || !layers_have(pinfo, proto_http()) {
            return;
        }
        let num = (*pinfo).num;
        {
            let mut st = state::capture();
            if st.ws.learnt >= num {
                return;
            }
            st.ws.learnt = num;
        }
        let frame = frame_tvb(pinfo);
        let Some(seg) = known.copied().or_else(|| tcp_segment(pinfo, frame)) else {
            return;
        };
        let mut found = Vec::new();
        if seg.payload_captured >= 16 {
            found.extend(message_at(frame, seg.payload_at, seg.payload_captured));
        }
        // Reassembled TCP segments and decrypted TLS records are data sources of their own.
        for i in 1..16 {
            let t = sys::wsk_data_source(pinfo, i);
            if t.is_null() {
                break;
            }
            let len = sys::tvb_captured_length(t) as usize;
            found.extend(message_at(t, 0, len));
        }
        if found.is_empty() {
            return;
        }
        let Some(conv) = conv_index(pinfo, true) else {
            return;
        };
        let src = src_endpoint(pinfo);
        let max = PREF_MAX_MESSAGE.load(Relaxed) as usize;
        let mut st = state::capture();
        let ws = &mut st.ws;
        let cs = ws.conn(conv, max);
        let mut shown = None;
        for m in found {
            if m.request {
                cs.hs.key = m.key;
                cs.hs.target = m.target;
                cs.hs.request_frame = Some(num);
                cs.client = Some(src.clone());
            } else if cs.hs.response_frame.is_none() {
                // A 101 with `Upgrade: websocket` is what makes HTTP hand the connection over, with a
                // readable Accept or not (a missing one is shown as a mismatch).
                cs.hs.accept = m.accept.clone();
                cs.hs.response_frame = Some(num);
                cs.hs.protocol = m.protocol.clone();
                cs.hs.extensions = m.extensions.clone();
                cs.server = Some(src.clone());
                shown = Some(HandshakeShown {
                    request_frame: cs.hs.request_frame,
                    key: cs.hs.key.clone(),
                    accept: m.accept,
                    protocol: m.protocol,
                    extensions: m.extensions,
                });
            }
        }
        let cfg = config_for(&cs.hs, max);
        cs.conn.set_config(cfg);
        if let Some(h) = shown {
            ws.handshakes.insert(num, h);
        }
    }
}

/// The postdissector's call of [`learn`]: the last look at this frame's bytes on the first pass.
/// A frame whose TCP payload cannot begin a handshake message and that has no other data source
/// is passed by without the walk over its layers and the lock (`learn` would find nothing in it;
/// marking it learnt changes nothing, as no later call sees this frame on the first pass).
pub(super) unsafe fn learn_last(pinfo: Pinfo, known: Option<&Segment>) {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        if visited(pinfo) {
            return;
        }
        if let Some(seg) = known {
            if (seg.payload_captured < 16 || !http::could_start(seg.head()))
                && sys::wsk_data_source(pinfo, 1).is_null()
            {
                return;
            }
        }
        learn(pinfo, known);
    }
}

/// On the first FIN/RST of a WebSocket connection: how it ended. A Close answered after the
/// closer's FIN is known only once the capture has been read on: the first pass says that the
/// answer may still come, a revisit says what happened.
pub(super) unsafe fn show_end(tvb: Tvb, pinfo: Pinfo, tree: Tree) {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        let num = (*pinfo).num;
        let complete = visited(pinfo);
        let (end, initiator) = {
            let st = state::capture();
            let Some(conv) = st.ws.ends.get(&num) else {
                return;
            };
            let Some(c) = st.ws.conns.get(conv).map(|c| &c.closing) else {
                return;
            };
            let Some(end) = c.end_in(num, complete) else {
                return;
            };
            (end, c.initiator())
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
        if !tree_has_room(tree, 8) {
            return;
        }
        let ti = sys::proto_tree_add_item(tree, proto_ws(), tvb, 0, 0, sys::ENC_NA as c_uint);
        sys::proto_item_append_text(ti, c"%s".as_ptr(), c", connection end".as_ptr());
        sys::wsk_item_set_generated(ti);
        let st = sys::proto_item_add_subtree(ti, ett(ETT_HANDSHAKE));
        let it = add_string(st, F::End, tvb, &end.text);
        let ab =
            sys::proto_tree_add_boolean(st, hf(F::EndAbnormal), tvb, 0, 0, end.abnormal as u32);
        sys::wsk_item_set_generated(ab);
        if let Some(d) = initiator {
            add_string(st, F::CloseInitiator, tvb, d.as_str());
        }
        if let Some(a) = end.anomaly {
            sys::expert_add_info(pinfo, it, ei(a));
        }
    }
}

/// On the 101 response: what the first pass stored of the handshake: the request's key, the
/// accept and whether it is right, the subprotocol and the extensions.
pub(super) unsafe fn show(tvb: Tvb, pinfo: Pinfo, tree: Tree) {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        {
            let num = (*pinfo).num;
            let Some(h) = state::capture().ws.handshakes.get(&num).cloned() else {
                return;
            };
            if !tree_has_room(tree, 16) {
                return;
            }
            let ti = sys::proto_tree_add_item(tree, proto_ws(), tvb, 0, 0, sys::ENC_NA as c_uint);
            sys::proto_item_append_text(ti, c"%s".as_ptr(), c", WebSocket handshake".as_ptr());
            let st = sys::proto_item_add_subtree(ti, ett(ETT_HANDSHAKE));
            if let Some(n) = h.request_frame {
                let it = sys::proto_tree_add_uint(st, hf(F::HandshakeRequestIn), tvb, 0, 0, n);
                sys::wsk_item_set_generated(it);
            }
            if let Some(k) = &h.key {
                add_string(st, F::HandshakeKey, tvb, k);
            }
            if let Some(a) = &h.accept {
                add_string(st, F::HandshakeAccept, tvb, a);
            }
            if let Some(k) = &h.key {
                let ok = h
                    .accept
                    .as_deref()
                    .is_some_and(|a| crate::core::handshake::accept_is_valid(k, a));
                let it = sys::proto_tree_add_boolean(
                    st,
                    hf(F::HandshakeAcceptValid),
                    tvb,
                    0,
                    0,
                    ok as u32,
                );
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
        }
    }
}
