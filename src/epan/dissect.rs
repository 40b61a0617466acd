//! The `extern "C"` callbacks: TCP heuristic, the dissector (HTTP hand-off, Decode As,
//! conversation), `tcp_dissect_pdus`' length and PDU callbacks, and the handshake postdissector.
//!
//! Wireshark's tvb and tree functions throw (longjmp) on out-of-bounds access. Every offset and
//! length passed to them is checked against the captured length first, so none of them can throw
//! while Rust values with destructors are alive; calls into other dissectors go through the C shim,
//! which catches their exceptions.
use std::ffi::{c_void, CString};
use std::os::raw::{c_char, c_int, c_uint};
use std::ptr;
use std::sync::atomic::Ordering::Relaxed;

use super::guard::guard;
use super::register::*;
use super::state::{self, config_for, Endpoint, FrameRecord};
use super::sys;
use crate::core::anomaly::Anomaly;
use crate::core::closing::CloseRole;
use crate::core::frame::{parse_header, FrameHeader, LengthForm, Status};
use crate::core::info::frame_info;
use crate::core::mask::unmask;
use crate::fields::F;

type Tvb = *mut sys::tvbuff_t;
type Pinfo = *mut sys::packet_info;
type Tree = *mut sys::proto_tree;
type Item = *mut sys::proto_item;

/// Largest WebSocket frame (header + payload) handed to TCP reassembly. Longer frames are shown
/// as far as the segment goes, with an expert note; nothing is ever sized by the 64-bit length.
const MAX_REASSEMBLED_FRAME: u64 = 0x7fff_0000;

/// Frames of one packet that get a tree of their own (see `dissect_pdu_inner`).
const MAX_TREES_PER_PACKET: u32 = 2000;

fn cstring(s: &str) -> CString {
    CString::new(s.replace('\0', "\\0")).unwrap_or_default()
}

/// Captured bytes of `tvb` from `offset`, at most `max`.
///
/// SAFETY (caller): `tvb` is a live tvb.
unsafe fn copy_captured(tvb: Tvb, offset: usize, max: usize) -> Vec<u8> {
    let cap = sys::tvb_captured_length(tvb) as usize;
    if offset >= cap {
        return Vec::new();
    }
    let n = (cap - offset).min(max);
    let mut v = vec![0u8; n];
    if n > 0 {
        // SAFETY: offset + n <= captured length, so tvb_memcpy cannot throw; v has n bytes.
        sys::tvb_memcpy(tvb, v.as_mut_ptr() as *mut c_void, offset as c_int, n);
    }
    v
}

unsafe fn visited(pinfo: Pinfo) -> bool {
    // SAFETY (caller): pinfo and its frame_data are live for the whole dissection.
    (*(*pinfo).fd).visited() != 0
}

unsafe fn src_endpoint(pinfo: Pinfo) -> Endpoint {
    let a = &(*pinfo).src;
    let addr = if a.data.is_null() || a.len <= 0 {
        Vec::new()
    } else {
        // SAFETY: an address's data holds `len` bytes while the packet is dissected.
        std::slice::from_raw_parts(a.data as *const u8, a.len as usize).to_vec()
    };
    Endpoint {
        addr_type: a.type_,
        addr,
        port: (*pinfo).srcport,
    }
}

unsafe fn dst_endpoint(pinfo: Pinfo) -> Endpoint {
    let a = &(*pinfo).dst;
    let addr = if a.data.is_null() || a.len <= 0 {
        Vec::new()
    } else {
        // SAFETY: an address's data holds `len` bytes while the packet is dissected.
        std::slice::from_raw_parts(a.data as *const u8, a.len as usize).to_vec()
    };
    Endpoint {
        addr_type: a.type_,
        addr,
        port: (*pinfo).destport,
    }
}

unsafe fn conv_index(pinfo: Pinfo, create: bool) -> Option<u32> {
    let conv = if create {
        sys::find_or_create_conversation(pinfo)
    } else {
        sys::find_conversation_pinfo(pinfo, 0)
    };
    if conv.is_null() {
        None
    } else {
        Some((*conv).conv_index)
    }
}

/// Ordinal of the next WebSocket frame within this dissection of the packet. The counter lives in
/// the packet-scoped pool, so it restarts at 0 every time the packet is dissected again.
unsafe fn next_ordinal(pinfo: Pinfo) -> u32 {
    let proto = proto_ws();
    let cur = sys::p_get_proto_data((*pinfo).pool, pinfo, proto, 0) as usize;
    sys::p_set_proto_data((*pinfo).pool, pinfo, proto, 0, (cur + 1) as *mut c_void);
    cur as u32
}

unsafe fn tree_string(tree: Tree, hfid: c_int) -> Option<String> {
    if tree.is_null() || hfid <= 0 {
        return None;
    }
    let mut buf = vec![0u8; 8192];
    let n = sys::wsk_tree_string_field(tree, hfid, buf.as_mut_ptr() as *mut c_char, buf.len());
    if n == 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    buf.truncate(end);
    Some(String::from_utf8_lossy(&buf).into_owned())
}

struct Harvest {
    key: Option<String>,
    /// Set only on a 101 response.
    accept: Option<String>,
    protocol: Option<String>,
    extensions: Option<String>,
}

/// Read the handshake fields HTTP put into this packet's tree and, on the first pass, store them
/// for the connection. A response counts only when it is a 101 (a refused upgrade is not
/// WebSocket).
unsafe fn harvest_handshake(pinfo: Pinfo, tree: Tree) -> Option<(u32, Harvest)> {
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

unsafe fn add_string(tree: Tree, f: F, tvb: Tvb, value: &str) -> Item {
    let c = cstring(value);
    let it = sys::proto_tree_add_string(tree, hf(f), tvb, 0, 0, c.as_ptr());
    sys::wsk_item_set_generated(it);
    it
}

/// On the first FIN/RST of a WebSocket connection: how it ended.
unsafe fn show_end(tvb: Tvb, pinfo: Pinfo, tree: Tree) {
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

unsafe fn starts_with_http(tvb: Tvb) -> bool {
    let head = copy_captured(tvb, 0, 8);
    head.starts_with(b"GET ") || head.starts_with(b"HTTP/1.")
}

/// Called by the C dissector (`wsk_dissect_ws` in shim.c) before it runs `tcp_dissect_pdus`:
/// harvests the handshake, and returns 1 when the bytes are the HTTP handshake itself (Decode As,
/// or a connection the heuristic claimed), which then goes to HTTP; 0 for WebSocket frames.
#[no_mangle]
pub unsafe extern "C" fn wsk_rs_prepare(tvb: Tvb, pinfo: Pinfo, tree: Tree) -> c_int {
    guard("wsk_rs_prepare", 0, || unsafe {
        // HTTP may call us for the bytes after a 101 in the same segment: its fields are in the tree.
        harvest_handshake(pinfo, tree);
        // A one-byte TCP keep-alive probe's garbage byte (0x00) is not a WebSocket frame; TCP hands
        // it over when its sequence analysis is off.
        if sys::tvb_reported_length(tvb) == 1 {
            super::keepalive::feed_tcp(pinfo, tree);
            if super::keepalive::is_one_byte_probe((*pinfo).num) {
                return 2;
            }
        }
        // A connection recognised mid-stream: a segment may begin with the rest of a frame that
        // began before the capture (counted on the first pass, used by wsk_rs_pdu_len).
        if let Some(conv) = conv_index(pinfo, true) {
            if super::midstream::is_midstream(conv) {
                if !visited(pinfo) {
                    let payload = copy_captured(tvb, 0, 64 * 1024);
                    let src = src_endpoint(pinfo);
                    super::midstream::first_pass_skip(pinfo, tree, conv, &src, &payload);
                }
                return 0;
            }
        }
        // A WebSocket frame never starts with "GET " or "HTTP/" (reserved opcode / fragmented Close).
        if starts_with_http(tvb) {
            return 1;
        }
        // Between an Upgrade request and its 101 (or forever, when refused), the connection is
        // HTTP's: response bodies too.
        let num = (*pinfo).num;
        let Some(conv) = conv_index(pinfo, true) else {
            return 0;
        };
        let st = state::store();
        let hs = st.conns.get(&conv).map(|c| &c.hs);
        let before_101 = match (
            hs.and_then(|h| h.request_frame),
            hs.and_then(|h| h.response_frame),
        ) {
            (Some(_), None) => true,
            (_, Some(resp)) => num < resp,
            (None, None) => false,
        };
        before_101 as c_int
    })
}

/// `tcp_dissect_pdus` length callback: the whole frame's length, 0 for "need more bytes".
#[no_mangle]
pub unsafe extern "C" fn wsk_rs_pdu_len(
    pinfo: Pinfo,
    tvb: Tvb,
    offset: c_int,
    _data: *mut c_void,
) -> c_uint {
    guard("wsk_rs_pdu_len", 0, || unsafe {
        let off = offset.max(0) as usize;
        if off == 0 {
            let skip = super::midstream::skip_of((*pinfo).num);
            if skip > 0 {
                return skip;
            }
        }
        let reported_left = (sys::tvb_reported_length(tvb) as usize).saturating_sub(off);
        let head = copy_captured(tvb, off, 14);
        let can_wait = (*pinfo).can_desegment != 0 && head.len() == reported_left.min(14);
        match parse_header(&head) {
            Status::Complete(h) => {
                let total = h.frame_len();
                if total > MAX_REASSEMBLED_FRAME {
                    reported_left.max(2) as c_uint
                } else {
                    total as c_uint
                }
            }
            Status::Partial if can_wait && reported_left < 14 => 0,
            // Header cut by the capture (or no reassembly): show what there is.
            Status::Partial => reported_left.max(2) as c_uint,
        }
    })
}

struct Shown {
    header_len: usize,
    payload_captured: usize,
    shown: usize,
    payload: Vec<u8>,
}

/// One WebSocket frame (a PDU from `tcp_dissect_pdus`).
#[no_mangle]
pub unsafe extern "C" fn wsk_rs_pdu(
    tvb: Tvb,
    pinfo: Pinfo,
    tree: Tree,
    _data: *mut c_void,
) -> c_int {
    guard("wsk_rs_pdu", 0, || unsafe {
        dissect_pdu_inner(tvb, pinfo, tree)
    })
}

unsafe fn dissect_pdu_inner(tvb: Tvb, pinfo: Pinfo, tree: Tree) -> c_int {
    let reported = sys::tvb_reported_length(tvb) as c_int;
    let ordinal = next_ordinal(pinfo);
    let first_in_packet = ordinal == 0;
    if first_in_packet {
        sys::col_set_str((*pinfo).cinfo, sys::COL_PROTOCOL as c_int, c"WS".as_ptr());
        // After a 101 in the same segment, HTTP's Info stays and the frames are appended to it.
        if !is_response_frame(pinfo) {
            sys::col_clear((*pinfo).cinfo, sys::COL_INFO as c_int);
        }
        // Mid-stream: the rest of a frame that began before the capture.
        let skip = super::midstream::skip_of((*pinfo).num);
        if skip > 0 && skip as c_int == reported {
            let ti = sys::proto_tree_add_item(tree, proto_ws(), tvb, 0, -1, sys::ENC_NA as c_uint);
            let note = cstring(&format!(
                ", {skip} bytes of a frame that began before the capture (or before sync)"
            ));
            sys::proto_item_append_text(ti, c"%s".as_ptr(), note.as_ptr());
            let info = cstring(&format!(
                "[continuation of a frame begun before the capture, {skip} bytes]"
            ));
            sys::col_append_sep_str(
                (*pinfo).cinfo,
                sys::COL_INFO as c_int,
                c" | ".as_ptr(),
                info.as_ptr(),
            );
            return reported;
        }
    }

    let head = copy_captured(tvb, 0, 14);
    let hdr = match parse_header(&head) {
        Status::Complete(h) => h,
        Status::Partial => {
            let ti = sys::proto_tree_add_item(tree, proto_ws(), tvb, 0, -1, sys::ENC_NA as c_uint);
            sys::proto_item_append_text(ti, c"%s".as_ptr(), c", truncated frame header".as_ptr());
            sys::expert_add_info(pinfo, ti, ei(Anomaly::PayloadTruncated));
            sys::col_append_sep_str(
                (*pinfo).cinfo,
                sys::COL_INFO as c_int,
                c" | ".as_ptr(),
                c"[truncated WebSocket frame header]".as_ptr(),
            );
            return reported;
        }
    };

    // Copy the captured payload once (never more than the frame says), and unmask it.
    let cap_total = sys::tvb_captured_length(tvb) as usize;
    let payload_captured =
        (cap_total.saturating_sub(hdr.header_len) as u64).min(hdr.payload_len) as usize;
    let complete = payload_captured as u64 == hdr.payload_len;
    let max_unmask = PREF_MAX_UNMASK.load(Relaxed) as usize;
    let mut payload = copy_captured(tvb, hdr.header_len, payload_captured);
    if let Some(key) = hdr.mask {
        unmask(&mut payload, key, 0);
    }
    let shown = payload
        .len()
        .min(if hdr.masked { max_unmask } else { usize::MAX });

    let rec = frame_record(pinfo, ordinal, &hdr, &payload, complete);
    let Some(rec) = rec else { return reported };
    tap_frame(pinfo, &rec);

    // A compressed message's preview is its inflated text.
    let preview: &[u8] = match &rec.inflated {
        Some(d) => d,
        None => &payload[..shown],
    };
    let info = frame_info(&rec.outcome, &hdr, preview);
    let info_c = cstring(&info);
    sys::col_append_sep_str(
        (*pinfo).cinfo,
        sys::COL_INFO as c_int,
        c" | ".as_ptr(),
        info_c.as_ptr(),
    );

    let s = Shown {
        header_len: hdr.header_len,
        payload_captured,
        shown,
        payload,
    };
    // Wireshark aborts a packet's dissection past gui.max_tree_items; a segment can hold ~32,000
    // tiny frames, so past this many frames in one packet only the Info column and state are kept.
    if ordinal < MAX_TREES_PER_PACKET {
        let msg = build_tree(tvb, pinfo, tree, &hdr, &rec, &s, &info_c);
        if !msg.is_null() {
            dispatch(msg, pinfo, tree, rec.outcome.msg_type == 1);
        }
    } else if ordinal == MAX_TREES_PER_PACKET {
        let ti = sys::proto_tree_add_item(tree, proto_ws(), tvb, 0, 0, sys::ENC_NA as c_uint);
        let note = c", further frames of this packet are in the Info column only";
        sys::proto_item_append_text(ti, c"%s".as_ptr(), note.as_ptr());
    }
    reported
}

/// Statistics taps: a completed message, a Close.
unsafe fn tap_frame(pinfo: Pinfo, rec: &FrameRecord) {
    let o = &rec.outcome;
    let Some(conv) = conv_index(pinfo, true) else {
        return;
    };
    let src = src_endpoint(pinfo);
    if let Some(c) = &o.completes {
        let len = rec
            .inflated
            .as_ref()
            .map_or(c.total_len, |d| d.len() as u64);
        super::tap::queue(
            pinfo,
            conv,
            Some(&src),
            super::tap::MESSAGE,
            o.msg_type as c_int,
            len,
            None,
            None,
            None,
        );
    }
    if let Some(close) = &o.close {
        super::tap::queue(
            pinfo,
            conv,
            Some(&src),
            super::tap::CLOSE,
            8,
            0,
            None,
            close.code,
            None,
        );
    }
}

/// Is this packet the connection's 101 response (which HTTP shows)?
unsafe fn is_response_frame(pinfo: Pinfo) -> bool {
    let Some(conv) = conv_index(pinfo, true) else {
        return false;
    };
    let num = (*pinfo).num;
    state::store()
        .conns
        .get(&conv)
        .is_some_and(|c| c.hs.response_frame == Some(num))
}

unsafe fn frame_record(
    pinfo: Pinfo,
    ordinal: u32,
    hdr: &FrameHeader,
    payload: &[u8],
    complete: bool,
) -> Option<std::sync::Arc<FrameRecord>> {
    let key = ((*pinfo).num, ordinal);
    if visited(pinfo) {
        if let Some(r) = state::store().frames.get(&key) {
            return Some(r.clone());
        }
    }
    let conv = conv_index(pinfo, true)?;
    let src = src_endpoint(pinfo);
    let max = PREF_MAX_MESSAGE.load(Relaxed) as usize;
    let rec = {
        let mut st = state::store();
        if let Some(r) = st.frames.get(&key) {
            return Some(r.clone());
        }
        let max_inflate = PREF_MAX_INFLATE.load(Relaxed) as usize;
        st.first_pass_frame(conv, key, &src, hdr, payload, complete, max, max_inflate)
    };
    // Keep-alive analysis sees pings, pongs and data in order, on the first pass.
    let opcode = match hdr.opcode_raw {
        0 => 1, // a continuation is data too
        o => o,
    };
    super::keepalive::feed_ws(pinfo, conv, opcode, payload);
    Some(rec)
}

unsafe fn add_gen_uint(tree: Tree, f: F, tvb: Tvb, v: u32) -> Item {
    let it = sys::proto_tree_add_uint(tree, hf(f), tvb, 0, 0, v);
    sys::wsk_item_set_generated(it);
    it
}

unsafe fn add_gen_u64(tree: Tree, f: F, tvb: Tvb, v: u64) -> Item {
    let it = sys::proto_tree_add_uint64(tree, hf(f), tvb, 0, 0, v);
    sys::wsk_item_set_generated(it);
    it
}

/// A tvb over `bytes`, copied into the packet pool (lives as long as the packet's dissection).
unsafe fn child_tvb(parent: Tvb, pinfo: Pinfo, bytes: &[u8], name: &std::ffi::CStr) -> Tvb {
    let len = bytes.len();
    let buf = sys::wmem_alloc((*pinfo).pool, len.max(1)) as *mut u8;
    ptr::copy_nonoverlapping(bytes.as_ptr(), buf, len);
    let t = sys::tvb_new_child_real_data(parent, buf, len as c_uint, len as c_int);
    sys::add_new_data_source(pinfo, t, name.as_ptr());
    t
}

#[allow(clippy::too_many_arguments)]
unsafe fn build_tree(
    tvb: Tvb,
    pinfo: Pinfo,
    tree: Tree,
    hdr: &FrameHeader,
    rec: &FrameRecord,
    s: &Shown,
    info: &CString,
) -> Tvb {
    let o = &rec.outcome;
    // The whole application message of a completed Text/Binary message, for payload dissectors.
    let mut msg_tvb: Tvb = ptr::null_mut();
    let cap_total = sys::tvb_captured_length(tvb) as c_int;
    let ti = sys::proto_tree_add_item(tree, proto_ws(), tvb, 0, cap_total, sys::ENC_NA as c_uint);
    sys::proto_item_append_text(ti, c", %s".as_ptr(), info.as_ptr());
    let st = sys::proto_item_add_subtree(ti, ett(ETT_WS));

    // Header bits (the header is complete, so bytes 0..header_len are captured).
    let enc_be = sys::ENC_BIG_ENDIAN as c_uint;
    for f in [F::Fin, F::Rsv1, F::Rsv2, F::Rsv3, F::Opcode] {
        sys::proto_tree_add_item(st, hf(f), tvb, 0, 1, enc_be);
    }
    let mask_it = sys::proto_tree_add_item(st, hf(F::Mask), tvb, 1, 1, enc_be);
    let (len_off, len_len, form) = match hdr.length_form {
        LengthForm::Short => (1, 1, "7-bit length"),
        LengthForm::Extended16 => (2, 2, "16-bit extended length"),
        LengthForm::Extended64 => (2, 8, "64-bit extended length"),
    };
    let len_text = cstring(&format!("{} ({form})", hdr.payload_len));
    let len_it = sys::proto_tree_add_uint64_format_value(
        st,
        hf(F::Len),
        tvb,
        len_off,
        len_len,
        hdr.payload_len,
        c"%s".as_ptr(),
        len_text.as_ptr(),
    );
    if hdr.masked {
        sys::proto_tree_add_item(
            st,
            hf(F::MaskingKey),
            tvb,
            (hdr.header_len - 4) as c_int,
            4,
            sys::ENC_NA as c_uint,
        );
    }

    // What the first pass learnt.
    add_string(st, F::Dir, tvb, o.dir.as_str());
    let detected = if rec.response_frame.is_some() {
        "handshake"
    } else {
        "midstream"
    };
    let dit = add_string(st, F::DetectedBy, tvb, detected);
    if rec.response_frame.is_none() {
        let note = c" (capture began mid-connection: extensions and subprotocol unknown, messages numbered from the first one seen)";
        sys::proto_item_append_text(dit, c"%s".as_ptr(), note.as_ptr());
    }
    add_gen_uint(st, F::MsgIndex, tvb, o.msg_index);
    add_gen_uint(st, F::MsgType, tvb, o.msg_type as u32);
    add_gen_uint(st, F::MsgFragment, tvb, o.fragment);
    if let Some(n) = rec.request_frame {
        add_gen_uint(st, F::HandshakeRequestIn, tvb, n);
    }
    if let Some(n) = rec.response_frame {
        add_gen_uint(st, F::HandshakeResponseIn, tvb, n);
    }

    // Payload: as on the wire, then unmasked (its own data source).
    let hl = s.header_len as c_int;
    let mut payload_it: Item = ptr::null_mut();
    let ptvb: Tvb = if s.payload_captured == 0 {
        ptr::null_mut()
    } else if hdr.masked {
        sys::proto_tree_add_item(
            st,
            hf(F::MaskedPayload),
            tvb,
            hl,
            s.payload_captured as c_int,
            sys::ENC_NA as c_uint,
        );
        child_tvb(tvb, pinfo, &s.payload[..s.shown], c"Unmasked payload")
    } else {
        sys::tvb_new_subset_length_caplen(
            tvb,
            hl,
            s.payload_captured as c_int,
            s.payload_captured as c_int,
        )
    };
    if !ptvb.is_null() && s.shown > 0 {
        payload_it = sys::proto_tree_add_item(
            st,
            hf(F::Payload),
            ptvb,
            0,
            s.shown as c_int,
            sys::ENC_NA as c_uint,
        );
        if o.msg_type == 1 && !hdr.opcode.is_control() {
            sys::proto_tree_add_item(
                st,
                hf(F::PayloadText),
                ptvb,
                0,
                s.shown as c_int,
                sys::ENC_UTF_8 as c_uint,
            );
        }
    }
    if s.shown < s.payload_captured {
        let note = cstring(&format!(
            "Unmasked payload cut at {} of {} bytes (preference ws.max_unmask)",
            s.shown, s.payload_captured
        ));
        sys::expert_add_info_format(
            pinfo,
            payload_it,
            ei(Anomaly::UnmaskCapped),
            c"%s".as_ptr(),
            note.as_ptr(),
        );
    }

    let mut message_view: Option<(Tvb, usize)> = None;
    // Close frame: who closed first, which Close answers which.
    if let Some(role) = rec.close_role {
        let (initiator, reply_in) = match conv_index(pinfo, true) {
            Some(conv) => {
                let st = state::store();
                let c = st.conns.get(&conv).map(|c| &c.closing);
                (
                    c.and_then(|c| c.initiator()),
                    c.and_then(|c| c.reply_in((*pinfo).num)),
                )
            }
            None => (None, None),
        };
        if let Some(d) = initiator {
            add_string(st, F::CloseInitiator, tvb, d.as_str());
        }
        match role {
            CloseRole::Initiator => {
                if let Some(r) = reply_in {
                    add_gen_uint(st, F::CloseReplyIn, tvb, r);
                }
            }
            CloseRole::Reply { to } => {
                add_gen_uint(st, F::CloseReplyTo, tvb, to);
            }
            CloseRole::Extra => {}
        }
    }
    // Close frame: code and reason.
    if let Some(close) = &o.close {
        if !ptvb.is_null() && s.shown >= 2 && close.code.is_some() {
            sys::proto_tree_add_item(st, hf(F::CloseCode), ptvb, 0, 2, enc_be);
            if s.shown > 2 {
                sys::proto_tree_add_item(
                    st,
                    hf(F::CloseReason),
                    ptvb,
                    2,
                    (s.shown - 2) as c_int,
                    sys::ENC_UTF_8 as c_uint,
                );
            }
        }
    }

    // The frame that completes a message carries the whole message.
    if let Some(c) = &o.completes {
        let mst = sys::proto_tree_add_subtree(
            st,
            tvb,
            0,
            0,
            ett(ETT_MESSAGE),
            ptr::null_mut(),
            c"Message".as_ptr(),
        );
        // The application's message: inflated when compressed (RFC 7692), else the bytes.
        let app_len = rec
            .inflated
            .as_ref()
            .map_or(c.total_len, |d| d.len() as u64);
        add_gen_u64(mst, F::MsgLen, tvb, app_len);
        add_gen_u64(mst, F::MsgWireLen, tvb, c.total_len);
        add_gen_uint(mst, F::MsgFrames, tvb, c.frames);
        if !hdr.opcode.is_control() {
            let it = sys::proto_tree_add_boolean(
                mst,
                hf(F::MsgCompressed),
                tvb,
                0,
                0,
                c.compressed as u32,
            );
            sys::wsk_item_set_generated(it);
        }
        if let Some(d) = &c.data {
            if !d.is_empty() && rec.inflated.is_some() {
                // The compressed message as reassembled, before inflating.
                child_tvb(tvb, pinfo, d, c"Reassembled message");
            }
        }
        let (mtvb, mlen): (Tvb, usize) = match (&rec.inflated, &c.data) {
            (Some(d), _) if !d.is_empty() => {
                (child_tvb(tvb, pinfo, d, c"Decompressed message"), d.len())
            }
            (Some(_), _) => (tvb, 0),
            (None, Some(d)) if !d.is_empty() => {
                (child_tvb(tvb, pinfo, d, c"Reassembled message"), d.len())
            }
            (None, Some(_)) => (tvb, 0),
            (None, None) if !ptvb.is_null() => (ptvb, s.shown),
            (None, None) => (tvb, 0),
        };
        message_view = Some((mtvb, mlen));
        if o.msg_type == 1 {
            let it = sys::proto_tree_add_item(
                mst,
                hf(F::MsgText),
                mtvb,
                0,
                mlen as c_int,
                sys::ENC_UTF_8 as c_uint,
            );
            if mtvb == tvb {
                sys::wsk_item_set_generated(it)
            }
        }
        let it = sys::proto_tree_add_item(
            mst,
            hf(F::MsgData),
            mtvb,
            0,
            mlen as c_int,
            sys::ENC_NA as c_uint,
        );
        if mtvb == tvb {
            sys::wsk_item_set_generated(it)
        }
    }

    if matches!(o.msg_type, 1 | 2) {
        if let Some((t, n)) = message_view {
            if n > 0 {
                msg_tvb = t;
            }
        }
    }
    for a in o.anomalies.iter().chain(rec.extra.iter()) {
        let item = match a {
            Anomaly::UnmaskedFrameFromClient | Anomaly::MaskedFrameFromServer => mask_it,
            Anomaly::LengthNotMinimal | Anomaly::Length64MsbSet => len_it,
            _ => ti,
        };
        sys::expert_add_info(pinfo, item, ei(*a));
    }
    if hdr.frame_len() > MAX_REASSEMBLED_FRAME {
        sys::expert_add_info_format(
            pinfo,
            len_it,
            ei(Anomaly::FrameTooLarge),
            c"%s".as_ptr(),
            c"Frame length is beyond what is reassembled; only this segment's bytes are shown"
                .as_ptr(),
        );
    }
    msg_tvb
}

/// Hand a completed message to the dissector for its subprotocol, its server port (Decode As),
/// or JSON.
unsafe fn dispatch(msg: Tvb, pinfo: Pinfo, tree: Tree, is_text: bool) {
    let Some(conv) = conv_index(pinfo, true) else {
        return;
    };
    let (proto, port) = {
        let st = state::store();
        let cs = st.conns.get(&conv);
        (
            cs.and_then(|c| c.hs.protocol.clone()),
            cs.and_then(|c| c.server.as_ref().map(|e| e.port))
                .unwrap_or(0),
        )
    };
    let proto = proto.map(|p| cstring(p.split(',').next().unwrap_or("").trim()));
    let pp = proto.as_ref().map_or(ptr::null(), |c| c.as_ptr());
    super::dispatch::wsk_dispatch_message(msg, pinfo, tree, pp, port, is_text as c_int);
}

/// `ws_tcp` (the C heuristic in shim.c asks this): is this the start of a WebSocket Upgrade request?
#[no_mangle]
pub unsafe extern "C" fn wsk_rs_heur_check(tvb: Tvb, pinfo: Pinfo, tree: Tree) -> c_int {
    guard("wsk_rs_heur_check", 0, || unsafe {
        let head = copy_captured(tvb, 0, 4096);
        if crate::core::upgrade::looks_like_upgrade_request(&head) {
            return 1;
        }
        // Mid-stream: only on the first, in-order pass (later passes follow its decision).
        if visited(pinfo) {
            return 0;
        }
        let Some(conv) = conv_index(pinfo, true) else {
            return 0;
        };
        let src = src_endpoint(pinfo);
        let payload = copy_captured(tvb, 0, 64 * 1024);
        let Some((dir, client)) = super::midstream::heuristic(pinfo, tree, conv, &src, &payload)
        else {
            return 0;
        };
        // Masking names the client (RFC 6455 §5.1).
        let client_ep = match client {
            Some(c) if c == dir => Some(src),
            Some(_) => Some(dst_endpoint(pinfo)),
            None => None,
        };
        let max = PREF_MAX_MESSAGE.load(Relaxed) as usize;
        let mut st = state::store();
        let cs = st.conn(conv, max);
        if cs.client.is_none() {
            cs.client = client_ep;
        }
        1
    })
}
