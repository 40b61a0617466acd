//! The `extern "C"` callbacks: TCP heuristic, the dissector (HTTP hand-off, Decode As,
//! conversation), `tcp_dissect_pdus`' length and PDU callbacks. The handshake is in handshake.rs,
//! a frame's tree in tree.rs.
//!
//! Wireshark's tvb and tree functions throw (longjmp) on out-of-bounds access. Every offset and
//! length passed to them is checked against the captured length first, so none of them can throw
//! while Rust values with destructors are alive; calls into other dissectors go through the C shim,
//! which catches their exceptions.
use std::ffi::c_void;
use std::os::raw::{c_int, c_uint};
use std::sync::atomic::Ordering::Relaxed;

use super::guard::guard;
use super::ids::*;
use super::pkt::*;
use super::resync::Seen;
use super::state::{self, conv_index, FrameRecord};
use super::sys;
use super::tree::{build_tree, dispatch, message_tvb, Shown};
use crate::core::anomaly::Anomaly;
use crate::core::backlog::Kind;
use crate::core::frame::{parse_header, FrameHeader, Status};
use crate::core::info::push_frame_info;
use crate::core::resync::SkipKind;

thread_local! {
    /// The Info text of the frame being dissected (its allocation reused frame after frame).
    static INFO_BUF: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Frames of one packet that get a tree of their own (see `dissect_pdu_inner`).
const MAX_TREES_PER_PACKET: u32 = 2000;

/// Ordinal of the next WebSocket frame within this dissection of the packet. The counter lives in
/// the packet-scoped pool, so it restarts at 0 every time the packet is dissected again.
unsafe fn next_ordinal(pinfo: Pinfo) -> u32 {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        let proto = proto_ws();
        let cur = sys::p_get_proto_data((*pinfo).pool, pinfo, proto, 0) as usize;
        sys::p_set_proto_data((*pinfo).pool, pinfo, proto, 0, (cur + 1) as *mut c_void);
        cur as u32
    }
}

unsafe fn starts_with_http(tvb: Tvb) -> bool {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        let head = captured(tvb, 0, 8);
        head.starts_with(b"GET ") || head.starts_with(b"HTTP/1.")
    }
}

/// Called by the C dissector (`wsk_dissect_ws` in shim.c) before it runs `tcp_dissect_pdus`:
/// learns the handshake bytes of this packet (first pass), and returns 1 when the bytes are the HTTP handshake itself (Decode As,
/// or a connection the heuristic claimed), which then goes to HTTP; 0 for WebSocket frames.
#[no_mangle]
pub unsafe extern "C" fn wsk_rs_prepare(
    tvb: Tvb,
    pinfo: Pinfo,
    _tree: Tree,
    have_seq: c_int,
    seq: u32,
    ctx: *mut sys::wsk_pdu_ctx,
) -> c_int {
    // SAFETY: Wireshark (through shim.c) passes the live tvb, pinfo and tree of this packet, and
    // shim.c its own live context for the frame callbacks.
    guard("wsk_rs_prepare", 0, || unsafe {
        let conv = conv_index(pinfo, true);
        if let (Some(c), false) = (conv, ctx.is_null()) {
            (*ctx).have_conv = 1;
            (*ctx).conv = c;
        }
        // HTTP may call us for the bytes after a 101 in the same segment, before the postdissector
        // has seen the 101: learn the handshake now (first pass; once per frame).
        super::handshake::learn(pinfo, None);
        // A one-byte TCP keep-alive probe's garbage byte (0x00) is not a WebSocket frame; TCP hands
        // it over when its sequence analysis is off.
        if sys::tvb_reported_length(tvb) == 1 {
            super::keepalive::feed_tcp(pinfo);
            if super::keepalive::is_one_byte_probe((*pinfo).num) {
                return 2;
            }
        }
        // A connection recognised mid-stream: a segment may begin with the rest of a frame that
        // began before the capture (counted on the first pass, used by wsk_rs_pdu_len).
        if let Some(conv) = conv {
            if super::midstream::is_midstream(conv) {
                if !visited(pinfo) {
                    let payload = captured(tvb, 0, 64 * 1024);
                    let src = src_endpoint(pinfo);
                    let seq = (have_seq != 0).then_some(seq);
                    let len = sys::tvb_reported_length(tvb);
                    let n = super::midstream::first_pass_unit(pinfo, conv, &src, seq, len, payload);
                    let seq = seq.unwrap_or(0);
                    if n == 0 && have_seq != 0 {
                        first_pass_resync(tvb, pinfo, conv, seq);
                    }
                }
                return 0;
            }
        }
        // Between an Upgrade request and its 101 (or forever, when refused), the connection is
        // HTTP's: response bodies too. A WebSocket frame never starts with "GET " or "HTTP/"
        // (reserved opcode / fragmented Close), so such bytes up to the 101 are HTTP's as well;
        // after the 101 they are frames, whatever they look like.
        let num = (*pinfo).num;
        let Some(conv) = conv else {
            return 0;
        };
        let st = state::capture();
        let hs = st.ws.conns.get(&conv).map(|c| &c.hs);
        let (request, response) = (
            hs.and_then(|h| h.request_frame),
            hs.and_then(|h| h.response_frame),
        );
        drop(st);
        if starts_with_http(tvb) && response.is_none_or(|r| num <= r) {
            return 1;
        }
        let before_101 = match (request, response) {
            (Some(_), None) => true,
            (_, Some(resp)) => num < resp,
            (None, None) => false,
        };
        if !before_101 && have_seq != 0 && !visited(pinfo) {
            first_pass_resync(tvb, pinfo, conv, seq);
        }
        before_101 as c_int
    })
}

/// First pass: where this tvb stands in its direction's frame structure (see `core::resync`).
unsafe fn first_pass_resync(tvb: Tvb, pinfo: Pinfo, conv: u32, seq: u32) {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        let len = sys::tvb_reported_length(tvb);
        super::resync::first_pass_tvb(conv, src_endpoint(pinfo), (*pinfo).num, seq, len, || {
            copy_captured(tvb, 0, 64 * 1024)
        });
    }
}

/// The TCP sequence number of the tvb's first byte, when TCP handed it to us (`data` is then
/// TCP's `struct tcpinfo`, passed on by the C dissector; NULL otherwise).
unsafe fn tvb_seq(data: *mut c_void) -> Option<u32> {
    // SAFETY: the caller's contract: `data` is shim.c's live `struct wsk_pdu_ctx`, whose
    // `tcpinfo` is NULL or TCP's live `struct tcpinfo`.
    unsafe {
        let ctx = data as *const sys::wsk_pdu_ctx;
        let ti = if ctx.is_null() {
            std::ptr::null()
        } else {
            (*ctx).tcpinfo
        };
        (!ti.is_null()).then(|| sys::wsk_tcpinfo_seq(ti))
    }
}

/// The connection wsk_rs_prepare looked up for this packet (`data` as in [`tvb_seq`]).
unsafe fn ctx_conv(data: *mut c_void) -> Option<u32> {
    // SAFETY: the caller's contract: `data` is NULL or shim.c's live `struct wsk_pdu_ctx`.
    unsafe {
        let ctx = data as *const sys::wsk_pdu_ctx;
        (!ctx.is_null() && (*ctx).have_conv != 0).then(|| (*ctx).conv)
    }
}

/// `tcp_dissect_pdus` length callback: the whole frame's length, 0 for "need more bytes".
#[no_mangle]
pub unsafe extern "C" fn wsk_rs_pdu_len(
    pinfo: Pinfo,
    tvb: Tvb,
    offset: c_int,
    data: *mut c_void,
) -> c_uint {
    // After a panic, the rest of the tvb is one unit: 0 would mean "one more segment" to TCP and
    // hide the rest of this direction.
    // SAFETY: tcp_dissect_pdus passes the live tvb.
    let reported = unsafe { sys::tvb_reported_length(tvb) } as c_int;
    let rest = reported.saturating_sub(offset).max(1) as c_uint;
    // SAFETY: tcp_dissect_pdus passes the live pinfo and tvb, and TCP's tcpinfo (or NULL).
    guard("wsk_rs_pdu_len", rest, || unsafe {
        let off = offset.max(0) as usize;
        let frame = (*pinfo).num;
        let seq = tvb_seq(data);
        // Mid-stream: a unit the first pass worked out (the rest of a frame begun before the
        // capture; before the decision, every unit of the segment).
        if let Some(n) = super::midstream::unit_len(frame, off as u32) {
            return n;
        }
        if off == 0 {
            // Bytes that are not frame headers (after a gap in the capture, or the rest of a frame
            // shown before): one unit, shown by wsk_rs_pdu.
            match seq.and_then(|s| super::resync::skip_of(frame, s)) {
                Some((n, kind)) => {
                    super::resync::hand_over(frame, seq.unwrap_or(0), n, kind);
                    if n > 0 {
                        return n;
                    }
                    // n == 0: a note for the frame that starts here.
                }
                None => super::resync::clear_handed(),
            }
        } else {
            super::resync::clear_handed();
        }
        let reported_left = (sys::tvb_reported_length(tvb) as usize).saturating_sub(off);
        let head = captured(tvb, off, 14);
        let can_wait = (*pinfo).can_desegment != 0 && head.len() == reported_left.min(14);
        let (len, seen) = match parse_header(head) {
            Status::Complete(h) => {
                let total = h.frame_len();
                if total > MAX_REASSEMBLED_FRAME {
                    (reported_left.max(2) as c_uint, Seen::Lost)
                } else {
                    (total as c_uint, Seen::Frame(total))
                }
            }
            Status::Partial if can_wait && reported_left < 14 => (0, Seen::HeaderPending),
            // Header cut by the capture (or no reassembly): show what there is.
            Status::Partial => (reported_left.max(2) as c_uint, Seen::Lost),
        };
        if let Some(s) = seq {
            if !visited(pinfo) {
                super::resync::seen(frame, s, s.wrapping_add(off as u32), seen);
            }
        }
        len
    })
}

/// One WebSocket frame (a PDU from `tcp_dissect_pdus`).
#[no_mangle]
pub unsafe extern "C" fn wsk_rs_pdu(
    tvb: Tvb,
    pinfo: Pinfo,
    tree: Tree,
    data: *mut c_void,
) -> c_int {
    // SAFETY: tcp_dissect_pdus passes the live PDU tvb, pinfo and tree.
    guard("wsk_rs_pdu", 0, || unsafe {
        dissect_pdu_inner(tvb, pinfo, tree, tvb_seq(data), ctx_conv(data))
    })
}

unsafe fn dissect_pdu_inner(
    tvb: Tvb,
    pinfo: Pinfo,
    tree: Tree,
    seq: Option<u32>,
    conv: Option<u32>,
) -> c_int {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        let reported = sys::tvb_reported_length(tvb) as c_int;
        let ordinal = next_ordinal(pinfo);
        // The connection, looked up once for everything this packet does.
        let conv = conv.or_else(|| conv_index(pinfo, true));
        let first_in_packet = ordinal == 0;
        if first_in_packet {
            sys::col_set_str((*pinfo).cinfo, sys::COL_PROTOCOL as c_int, c"WS".as_ptr());
            // After a 101 in the same segment, HTTP's Info stays and the frames are appended to it.
            if !is_response_frame(pinfo, conv) {
                sys::col_clear((*pinfo).cinfo, sys::COL_INFO as c_int);
            }
        }
        // Mid-stream: a unit the first pass worked out.
        let mut tvb = tvb;
        if let Some(u) = super::midstream::unit_of((*pinfo).num, ordinal) {
            if u.len as c_int == reported {
                match (u.kind, &u.bytes) {
                    (Kind::Frame, _) => {}
                    (Kind::Stored, Some(b)) => {
                        tvb = child_tvb(tvb, pinfo, b, c"Frame begun in earlier segments");
                    }
                    (kind, _) => {
                        show_mid_unit(tvb, pinfo, tree, u.len, kind);
                        return reported;
                    }
                }
            }
        }

        if let Some((n, kind)) =
            seq.and_then(|s| super::resync::take_handed((*pinfo).num, s, reported as u32))
        {
            show_skip(tvb, pinfo, tree, n as c_int, kind);
            if n > 0 {
                return reported;
            }
        }

        let head = captured(tvb, 0, 14);
        let hdr = match parse_header(head) {
            Status::Complete(h) => h,
            Status::Partial => {
                let ti =
                    sys::proto_tree_add_item(tree, proto_ws(), tvb, 0, -1, sys::ENC_NA as c_uint);
                sys::proto_item_append_text(
                    ti,
                    c"%s".as_ptr(),
                    c", truncated frame header".as_ptr(),
                );
                sys::expert_add_info(pinfo, ti, ei(Anomaly::PayloadTruncated));
                sys::wsk_info_append(pinfo, c"[truncated WebSocket frame header]".as_ptr());
                return reported;
            }
        };

        // Copy the captured payload once (never more than the frame says), and unmask it.
        let cap_total = sys::tvb_captured_length(tvb) as usize;
        let payload_captured =
            (cap_total.saturating_sub(hdr.header_len) as u64).min(hdr.payload_len) as usize;
        let complete = payload_captured as u64 == hdr.payload_len;
        let max_unmask = PREF_MAX_UNMASK.load(Relaxed) as usize;
        // Borrowed from the tvb when not masked; unmasked straight into the packet pool (one
        // pass, no zeroing) when masked, where it also backs the "Unmasked payload" tvb.
        let raw = captured(tvb, hdr.header_len, payload_captured);
        let payload = match hdr.mask {
            Some(key) => unmask_into_pool(pinfo, raw, key),
            None => raw,
        };
        let shown = payload
            .len()
            .min(if hdr.masked { max_unmask } else { usize::MAX });

        let rec = frame_record(pinfo, conv, ordinal, &hdr, payload, complete);
        let Some(rec) = rec else { return reported };
        tap_frame(pinfo, conv, &rec);
        super::follow::queue(pinfo, &rec, payload, complete);

        // A compressed message's preview is its inflated text.
        let preview: &[u8] = match &rec.inflated {
            Some(d) => d,
            None => &payload[..shown],
        };
        let s = Shown {
            header_len: hdr.header_len,
            payload_captured,
            shown,
            payload,
        };
        // Without a tree (a plain read, a field export that needs no ws field) and without columns,
        // nothing of the frame is shown: only a completed message goes on to its payload dissector.
        let has_cols = !(*pinfo).cinfo.is_null();
        if tree.is_null() && !has_cols {
            let msg = message_tvb(tvb, pinfo, &hdr, &rec, &s);
            if !msg.is_null() {
                dispatch(msg, pinfo, tree, conv, ordinal, rec.outcome.msg_type == 1);
            }
            return reported;
        }
        // No NUL inside: previews show control characters as '.'. One buffer for every frame
        // (taken, so a nested dissection gets its own, and put back at the end).
        let mut info_buf = INFO_BUF.take();
        info_buf.clear();
        push_frame_info(&mut info_buf, &rec.outcome, &hdr, preview);
        info_buf.push(0);
        let info_c = std::ffi::CStr::from_bytes_with_nul(&info_buf).unwrap_or_default();
        if has_cols {
            sys::wsk_info_append(pinfo, info_c.as_ptr());
        }

        // Wireshark aborts a packet's dissection past gui.max_tree_items; a segment can hold ~32,000
        // tiny frames, so past this many frames in one packet only the Info column and state are kept.
        if tree.is_null() {
            let msg = message_tvb(tvb, pinfo, &hdr, &rec, &s);
            if !msg.is_null() {
                dispatch(msg, pinfo, tree, conv, ordinal, rec.outcome.msg_type == 1);
            }
        } else if ordinal < MAX_TREES_PER_PACKET && tree_has_room(tree, 64) {
            let msg = build_tree(tvb, pinfo, tree, &hdr, &rec, &s, info_c);
            if !msg.is_null() {
                dispatch(msg, pinfo, tree, conv, ordinal, rec.outcome.msg_type == 1);
            }
        } else if ordinal == MAX_TREES_PER_PACKET {
            let ti = sys::proto_tree_add_item(tree, proto_ws(), tvb, 0, 0, sys::ENC_NA as c_uint);
            let note = c", further frames of this packet are in the Info column only";
            sys::proto_item_append_text(ti, c"%s".as_ptr(), note.as_ptr());
        }
        INFO_BUF.set(info_buf);
        reported
    }
}

/// Mid-stream: bytes of a segment that are not a frame of their own (see `core::backlog`).
unsafe fn show_mid_unit(tvb: Tvb, pinfo: Pinfo, tree: Tree, n: u32, kind: Kind) {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; the unit is the whole PDU tvb.
    unsafe {
        let (item, info) = match kind {
            Kind::Prefix => (
                format!(", {n} bytes: the start of a frame shown in a later segment"),
                format!("[start of a frame shown later, {n} bytes]"),
            ),
            Kind::Repeat => (
                format!(", {n} bytes sent again"),
                format!("[{n} bytes sent again]"),
            ),
            _ => (
                format!(", {n} bytes of a frame that began before the capture (or before sync)"),
                format!("[continuation of a frame begun before the capture, {n} bytes]"),
            ),
        };
        let ti = sys::proto_tree_add_item(tree, proto_ws(), tvb, 0, -1, sys::ENC_NA as c_uint);
        let item = cstring(&item);
        sys::proto_item_append_text(ti, c"%s".as_ptr(), item.as_ptr());
        let info = cstring(&info);
        sys::col_append_sep_str(
            (*pinfo).cinfo,
            sys::COL_INFO as c_int,
            c" | ".as_ptr(),
            info.as_ptr(),
        );
    }
}

/// Bytes at the start of a segment that are not parsed as frames (see `core::resync`).
unsafe fn show_skip(tvb: Tvb, pinfo: Pinfo, tree: Tree, n: c_int, kind: SkipKind) {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        let (item, info, anomaly) = match kind {
            SkipKind::Gap { missing } if n == 0 => (
                format!(", {missing} bytes missing from the capture before this frame"),
                format!("[{missing} bytes missing from the capture]"),
                Some(Anomaly::CaptureGap),
            ),
            SkipKind::Found if n == 0 => (
                ", frame structure found again at this frame".to_string(),
                "[in sync again]".to_string(),
                Some(Anomaly::Resynchronized),
            ),
            SkipKind::Gap { missing } => (
                format!(
                    ", {n} bytes after {missing} bytes missing from the capture (frame structure lost)"
                ),
                format!("[{missing} bytes missing from the capture; {n} bytes skipped]"),
                Some(Anomaly::CaptureGap),
            ),
            SkipKind::Searching => (
                format!(", {n} bytes skipped (frame structure lost after a gap in the capture)"),
                format!("[{n} bytes skipped, not in sync]"),
                None,
            ),
            SkipKind::Found => (
                format!(", {n} bytes skipped before the frame structure was found again"),
                format!("[{n} bytes skipped; in sync again]"),
                Some(Anomaly::Resynchronized),
            ),
            SkipKind::Rest => (
                format!(", {n} bytes continuing a frame begun in an earlier segment"),
                format!("[continuation, {n} bytes]"),
                None,
            ),
        };
        let len = if n == 0 { 0 } else { -1 };
        let ti = sys::proto_tree_add_item(tree, proto_ws(), tvb, 0, len, sys::ENC_NA as c_uint);
        let item = cstring(&item);
        sys::proto_item_append_text(ti, c"%s".as_ptr(), item.as_ptr());
        if let Some(a) = anomaly {
            sys::expert_add_info(pinfo, ti, ei(a));
        }
        let info = cstring(&info);
        sys::wsk_info_append(pinfo, info.as_ptr());
    }
}

/// Statistics taps: a completed message, a Close.
unsafe fn tap_frame(pinfo: Pinfo, conv: Option<u32>, rec: &FrameRecord) {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        let o = &rec.outcome;
        let Some(conv) = conv else {
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
}

/// Is this packet the connection's 101 response (which HTTP shows)?
unsafe fn is_response_frame(pinfo: Pinfo, conv: Option<u32>) -> bool {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        let Some(conv) = conv else {
            return false;
        };
        let num = (*pinfo).num;
        state::capture()
            .ws
            .conns
            .get(&conv)
            .is_some_and(|c| c.hs.response_frame == Some(num))
    }
}

unsafe fn frame_record(
    pinfo: Pinfo,
    conv: Option<u32>,
    ordinal: u32,
    hdr: &FrameHeader,
    payload: &[u8],
    complete: bool,
) -> Option<std::sync::Arc<FrameRecord>> {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        let key = ((*pinfo).num, ordinal);
        if visited(pinfo) {
            if let Some(r) = state::capture().ws.frames.get(&key) {
                return Some(r.clone());
            }
        }
        let conv = conv?;
        let src = src_endpoint(pinfo);
        let max = PREF_MAX_MESSAGE.load(Relaxed) as usize;
        let rec = {
            let mut st = state::capture();
            if let Some(r) = st.ws.frames.get(&key) {
                return Some(r.clone());
            }
            let max_inflate = PREF_MAX_INFLATE.load(Relaxed) as usize;
            st.ws
                .first_pass_frame(conv, key, &src, hdr, payload, complete, max, max_inflate)
        };
        // Keep-alive analysis sees pings, pongs and data in order, on the first pass.
        let opcode = match hdr.opcode_raw {
            0 => 1, // a continuation is data too
            o => o,
        };
        super::keepalive::feed_ws(pinfo, conv, opcode, payload);
        Some(rec)
    }
}

/// `ws_tcp` (the C heuristic in shim.c asks this): is this the start of a WebSocket Upgrade
/// request, or a connection recognised mid-stream? 0 for no, else the frame from which the
/// connection is ours (a mid-stream connection's earlier segments are shown on later passes).
#[no_mangle]
pub unsafe extern "C" fn wsk_rs_heur_check(
    tvb: Tvb,
    pinfo: Pinfo,
    _tree: Tree,
    have_seq: c_int,
    seq: u32,
) -> u32 {
    // SAFETY: the heuristic in shim.c passes TCP's live tvb, pinfo and tree.
    guard("wsk_rs_heur_check", 0, || unsafe {
        let head = captured(tvb, 0, 4096);
        if crate::core::upgrade::looks_like_upgrade_request(head) {
            return (*pinfo).num;
        }
        // A capture that begins between the Upgrade request and its 101: the 101 (shown by HTTP)
        // opens the connection as well, unless the connection was already seen (first pass only).
        if !visited(pinfo)
            && crate::core::upgrade::looks_like_upgrade_response(head)
            && conv_index(pinfo, true).is_some_and(|c| !state::capture().mid.conns.contains_key(&c))
        {
            return (*pinfo).num;
        }
        // Mid-stream: only on the first, in-order pass (later passes follow its decision).
        if visited(pinfo) || have_seq == 0 {
            return 0;
        }
        let Some(conv) = conv_index(pinfo, true) else {
            return 0;
        };
        let src = src_endpoint(pinfo);
        let dst = dst_endpoint(pinfo);
        let payload = captured(tvb, 0, 64 * 1024);
        let len = sys::tvb_reported_length(tvb);
        // Masking names the client (RFC 6455 §5.1): the heuristic records it.
        match super::midstream::heuristic(pinfo, conv, &src, &dst, seq, len, payload) {
            Some(from_frame) => from_frame.max(1),
            None => 0,
        }
    })
}
