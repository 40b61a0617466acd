//! The tree of one WebSocket frame: header, what the first pass learnt, payload views (unmasked,
//! reassembled, decompressed), close analysis, the message, expert infos; and handing the message
//! to a payload dissector.
use std::os::raw::{c_int, c_uint};
use std::ptr;
use std::sync::{Arc, Mutex};

use super::ids::*;
use super::pkt::*;
use super::state::{self, conv_index, FrameRecord};
use super::sys;
use crate::core::anomaly::Anomaly;
use crate::core::app::{App, Basis};
use crate::core::closing::CloseRole;
use crate::core::frame::{FrameHeader, LengthForm};
use crate::fields::F;

pub(super) struct Shown<'a> {
    pub header_len: usize,
    pub payload_captured: usize,
    pub shown: usize,
    /// The unmasked payload: the tvb's own bytes, or (masked frames) memory of the packet pool.
    pub payload: &'a [u8],
}

#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn build_tree(
    tvb: Tvb,
    pinfo: Pinfo,
    tree: Tree,
    hdr: &FrameHeader,
    rec: &Arc<FrameRecord>,
    s: &Shown<'_>,
    info: &std::ffi::CStr,
) -> Tvb {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        let o = &rec.outcome;
        // The whole application message of a completed Text/Binary message, for payload dissectors.
        let mut msg_tvb: Tvb = ptr::null_mut();
        let cap_total = sys::tvb_captured_length(tvb) as c_int;
        let ti =
            sys::proto_tree_add_item(tree, proto_ws(), tvb, 0, cap_total, sys::ENC_NA as c_uint);
        sys::proto_item_append_text(ti, c", %s".as_ptr(), info.as_ptr());
        let st = sys::proto_item_add_subtree(ti, ett(ETT_WS));
        // A tree nobody looks at (a filter or a field export): only the items somebody asked for
        // (filters, -e fields, columns) or that carry an expert info. A visible tree gets all.
        let want = |f: F| referenced(st, hf(f));
        let anomalies: Vec<Anomaly> = o
            .anomalies
            .iter()
            .chain(rec.extra.iter())
            .copied()
            .collect();
        let mask_expert = anomalies.iter().any(|a| {
            matches!(
                a,
                Anomaly::UnmaskedFrameFromClient | Anomaly::MaskedFrameFromServer
            )
        });
        let len_expert = hdr.frame_len() > MAX_REASSEMBLED_FRAME
            || anomalies
                .iter()
                .any(|a| matches!(a, Anomaly::LengthNotMinimal | Anomaly::Length64MsbSet));

        // Header bits (the header is complete, so bytes 0..header_len are captured).
        let enc_be = sys::ENC_BIG_ENDIAN as c_uint;
        // The header's first byte and the mask bit, as parsed: each field applies its bitmask
        // to the byte (as an item read from the tvb would), without reading the tvb again.
        let b0 = u32::from(hdr.fin) << 7
            | u32::from(hdr.rsv1) << 6
            | u32::from(hdr.rsv2) << 5
            | u32::from(hdr.rsv3) << 4
            | u32::from(hdr.opcode_raw);
        for f in [F::Fin, F::Rsv1, F::Rsv2, F::Rsv3] {
            if want(f) {
                sys::proto_tree_add_boolean(st, hf(f), tvb, 0, 1, b0);
            }
        }
        if want(F::Opcode) {
            sys::proto_tree_add_uint(st, hf(F::Opcode), tvb, 0, 1, b0);
        }
        let mask_it = if want(F::Mask) || mask_expert {
            sys::proto_tree_add_boolean(st, hf(F::Mask), tvb, 1, 1, u32::from(hdr.masked) << 7)
        } else {
            ti
        };
        let (len_off, len_len, form) = match hdr.length_form {
            LengthForm::Short => (1, 1, &b" (7-bit length)"[..]),
            LengthForm::Extended16 => (2, 2, &b" (16-bit extended length)"[..]),
            LengthForm::Extended64 => (2, 8, &b" (64-bit extended length)"[..]),
        };
        let len_it = if want(F::Len) || len_expert {
            // "<length> (<form>)", written on the stack (no allocation, and Wireshark's
            // formatting has only a string to copy).
            let mut text = [0u8; 48];
            let n = length_label(&mut text, hdr.payload_len, form);
            sys::proto_tree_add_uint64_format_value(
                st,
                hf(F::Len),
                tvb,
                len_off,
                len_len,
                hdr.payload_len,
                c"%s".as_ptr(),
                text[..=n].as_ptr(),
            )
        } else {
            ti
        };
        if hdr.masked && want(F::MaskingKey) {
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
        if want(F::Dir) {
            add_string(st, F::Dir, tvb, o.dir.as_str());
        }
        if want(F::DetectedBy) {
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
        }
        if want(F::MsgIndex) {
            add_gen_uint(st, F::MsgIndex, tvb, o.msg_index);
        }
        if want(F::MsgType) {
            add_gen_uint(st, F::MsgType, tvb, o.msg_type as u32);
        }
        if want(F::MsgFragment) {
            add_gen_uint(st, F::MsgFragment, tvb, o.fragment);
        }
        if let Some(n) = rec.request_frame.filter(|_| want(F::HandshakeRequestIn)) {
            add_gen_uint(st, F::HandshakeRequestIn, tvb, n);
        }
        if let Some(n) = rec.response_frame.filter(|_| want(F::HandshakeResponseIn)) {
            add_gen_uint(st, F::HandshakeResponseIn, tvb, n);
        }

        // The last text field's bytes, decoded once: the payload's and the message's text of a
        // one-frame message are the same bytes of the same tvb.
        let mut text_seen: Option<(Tvb, usize, *const std::os::raw::c_char)> = None;
        // Payload: as on the wire, then unmasked (its own data source).
        let hl = s.header_len as c_int;
        let mut payload_it: Item = ptr::null_mut();
        let ptvb: Tvb = if s.payload_captured == 0 {
            ptr::null_mut()
        } else if hdr.masked {
            if want(F::MaskedPayload) {
                sys::proto_tree_add_item(
                    st,
                    hf(F::MaskedPayload),
                    tvb,
                    hl,
                    s.payload_captured as c_int,
                    sys::ENC_NA as c_uint,
                );
            }
            // SAFETY: a masked frame's payload was unmasked into the packet pool.
            pool_tvb(tvb, pinfo, &s.payload[..s.shown], c"Unmasked payload")
        } else {
            sys::tvb_new_subset_length_caplen(
                tvb,
                hl,
                s.payload_captured as c_int,
                s.payload_captured as c_int,
            )
        };
        if !ptvb.is_null() && s.shown > 0 {
            if want(F::Payload) || s.shown < s.payload_captured {
                payload_it = sys::proto_tree_add_item(
                    st,
                    hf(F::Payload),
                    ptvb,
                    0,
                    s.shown as c_int,
                    sys::ENC_NA as c_uint,
                );
            }
            // A compressed frame's payload is deflate data, not text (RFC 7692 §6): its text is the
            // inflated message, shown below on the frame that completes it.
            if o.msg_type == 1 && !hdr.opcode.is_control() && !o.compressed && want(F::PayloadText)
            {
                add_text(pinfo, st, hf(F::PayloadText), ptvb, s.shown, &mut text_seen);
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
                    let st = state::capture();
                    let c = st.ws.conns.get(&conv).map(|c| &c.closing);
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
            if want(F::MsgLen) {
                add_gen_u64(mst, F::MsgLen, tvb, app_len);
            }
            if want(F::MsgWireLen) {
                add_gen_u64(mst, F::MsgWireLen, tvb, c.total_len);
            }
            if want(F::MsgFrames) {
                add_gen_uint(mst, F::MsgFrames, tvb, c.frames);
            }
            if !hdr.opcode.is_control() && want(F::MsgCompressed) {
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
                    record_tvb(tvb, pinfo, rec, d, c"Reassembled message");
                }
            }
            let (mtvb, mlen): (Tvb, usize) = match (&rec.inflated, &c.data) {
                (Some(d), _) if !d.is_empty() => (
                    record_tvb(tvb, pinfo, rec, d, c"Decompressed message"),
                    d.len(),
                ),
                (Some(_), _) => (tvb, 0),
                (None, Some(d)) if !d.is_empty() => (
                    record_tvb(tvb, pinfo, rec, d, c"Reassembled message"),
                    d.len(),
                ),
                (None, Some(_)) => (tvb, 0),
                (None, None) if !ptvb.is_null() => (ptvb, s.shown),
                (None, None) => (tvb, 0),
            };
            message_view = Some((mtvb, mlen));
            // The inflated text of a compressed message is this frame's text too (as Wireshark's
            // websocket.payload.text), so one filter finds text on compressed and plain connections.
            if o.msg_type == 1
                && o.compressed
                && rec.inflated.is_some()
                && mlen > 0
                && want(F::PayloadText)
            {
                add_text(pinfo, st, hf(F::PayloadText), mtvb, mlen, &mut text_seen);
            }
            if o.msg_type == 1 && want(F::MsgText) {
                let it = add_text(pinfo, mst, hf(F::MsgText), mtvb, mlen, &mut text_seen);
                if mtvb == tvb {
                    sys::wsk_item_set_generated(it)
                }
            }
            if want(F::MsgData) {
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
        }

        if matches!(o.msg_type, 1 | 2) {
            if let Some((t, n)) = message_view {
                if n > 0 {
                    msg_tvb = t;
                }
            }
        }
        for a in &anomalies {
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
}

/// Writes `value` in decimal, then `form`, then a NUL into `buf` (20 digits and the longest form
/// fit); returns the index of the NUL.
fn length_label(buf: &mut [u8; 48], value: u64, form: &[u8]) -> usize {
    let mut digits = [0u8; 20];
    let digits = crate::core::info::decimal(value, &mut digits);
    let nd = digits.len();
    let form = &form[..form.len().min(buf.len() - 1 - nd)];
    buf[..nd].copy_from_slice(digits);
    buf[nd..nd + form.len()].copy_from_slice(form);
    buf[nd + form.len()] = 0;
    nd + form.len()
}

/// Without a tree: the tvb of a completed Text/Binary message for its payload dissector (the same
/// one `build_tree` hands on), or NULL. No items, no views that only a tree would show.
pub(super) unsafe fn message_tvb(
    tvb: Tvb,
    pinfo: Pinfo,
    hdr: &FrameHeader,
    rec: &Arc<FrameRecord>,
    s: &Shown<'_>,
) -> Tvb {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        let o = &rec.outcome;
        let Some(c) = &o.completes else {
            return ptr::null_mut();
        };
        if !matches!(o.msg_type, 1 | 2) {
            return ptr::null_mut();
        }
        match (&rec.inflated, &c.data) {
            (Some(d), _) if !d.is_empty() => {
                record_tvb(tvb, pinfo, rec, d, c"Decompressed message")
            }
            (None, Some(d)) if !d.is_empty() => {
                record_tvb(tvb, pinfo, rec, d, c"Reassembled message")
            }
            (None, None) if s.payload_captured > 0 && s.shown > 0 => {
                if hdr.masked {
                    // A masked frame's payload was unmasked into the packet pool. No data source:
                    // without a tree nothing shows one.
                    let p = &s.payload[..s.shown];
                    sys::tvb_new_child_real_data(
                        tvb,
                        p.as_ptr(),
                        p.len() as c_uint,
                        p.len() as c_int,
                    )
                } else {
                    sys::tvb_new_subset_length_caplen(
                        tvb,
                        s.header_len as c_int,
                        s.payload_captured as c_int,
                        s.payload_captured as c_int,
                    )
                }
            }
            _ => ptr::null_mut(),
        }
    }
}

/// Hand a completed message to the dissector for its subprotocol, its server port (Decode As),
/// or JSON.
pub(super) unsafe fn dispatch(
    msg: Tvb,
    pinfo: Pinfo,
    tree: Tree,
    conv: Option<u32>,
    ordinal: u32,
    is_text: bool,
) {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        // The push-service protocols (Socket.IO, STOMP, SignalR, GraphQL; MQTT's heartbeats).
        if super::app::dissect_message(msg, pinfo, tree, conv, ordinal, is_text) {
            return;
        }
        let Some(conv) = conv else {
            return;
        };
        let (proto, port) = {
            let st = state::capture();
            let cs = st.ws.conns.get(&conv);
            // Decode As chose MQTT for this connection: Wireshark's MQTT dissector shows it.
            let forced_mqtt = st.app.sessions.get(&conv).and_then(|s| s.app())
                == Some((App::Mqtt, Basis::DecodeAs));
            (
                if forced_mqtt {
                    Some("mqtt".to_string())
                } else {
                    cs.and_then(|c| c.hs.protocol.clone())
                },
                cs.and_then(|c| c.server.as_ref().map(|e| e.port))
                    .unwrap_or(0),
            )
        };
        let proto = proto.map(|p| cstring(p.split(',').next().unwrap_or("").trim()));
        let pp = proto.as_ref().map_or(ptr::null(), |c| c.as_ptr());
        super::dispatch::wsk_dispatch_message(msg, pinfo, tree, pp, port, is_text as c_int);
    }
}

/// A text field over the first `len` bytes of `tvb` (a real-data tvb). Text that needs no decoding
/// (valid UTF-8 without a NUL: Wireshark's decoding would give the same string) is handed over
/// as it is, which spares Wireshark decoding it byte by byte; any other goes through ENC_UTF_8.
/// `seen` keeps the string handed over last (its tvb and length), for a second field over the
/// same bytes.
unsafe fn add_text(
    pinfo: Pinfo,
    tree: Tree,
    hfid: c_int,
    tvb: Tvb,
    len: usize,
    seen: &mut Option<(Tvb, usize, *const std::os::raw::c_char)>,
) -> Item {
    // SAFETY: the caller's contract: the live packet's pinfo, tree and tvb, `len` within the
    // tvb's captured bytes; the copy lives in the packet pool, NUL-terminated, as long as the
    // packet (so a string kept in `seen` is still valid for this packet's next field).
    unsafe {
        if tree.is_null() {
            return ptr::null_mut();
        }
        if let Some((t, l, p)) = *seen {
            if t == tvb && l == len {
                return sys::proto_tree_add_string(tree, hfid, tvb, 0, len as c_int, p);
            }
        }
        let bytes = captured(tvb, 0, len);
        if bytes.len() == len && crate::core::info::is_plain_text(bytes) {
            let p = sys::wmem_alloc((*pinfo).pool, len + 1) as *mut u8;
            if !p.is_null() {
                ptr::copy_nonoverlapping(bytes.as_ptr(), p, len);
                *p.add(len) = 0;
                *seen = Some((tvb, len, p as *const _));
                return sys::proto_tree_add_string(tree, hfid, tvb, 0, len as c_int, p as *const _);
            }
        }
        sys::proto_tree_add_item(tree, hfid, tvb, 0, len as c_int, sys::ENC_UTF_8 as c_uint)
    }
}

/// Records whose bytes back a live tvb (`record_tvb`), by the address of those bytes: held until
/// Wireshark frees the tvb, so the bytes outlive it whatever happens to the capture's state.
static HELD: Mutex<Option<state::Map<usize, Vec<Arc<FrameRecord>>>>> = Mutex::new(None);

/// The tvb's free callback (Wireshark passes the tvb's data pointer): lets one hold go.
unsafe extern "C" fn release_held(data: *mut std::ffi::c_void) {
    // No panic may cross into C; a poisoned lock is still usable (the map stays consistent).
    let _ = std::panic::catch_unwind(|| {
        let mut g = HELD.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(m) = g.as_mut() {
            let key = data as usize;
            if let Some(v) = m.get_mut(&key) {
                v.pop();
                if v.is_empty() {
                    m.remove(&key);
                }
            }
        }
    });
}

/// A tvb over `bytes`, which are part of `rec` (its inflated or reassembled message), without
/// copying them: the record is held until the tvb is freed.
unsafe fn record_tvb(
    parent: Tvb,
    pinfo: Pinfo,
    rec: &Arc<FrameRecord>,
    bytes: &[u8],
    name: &std::ffi::CStr,
) -> Tvb {
    // SAFETY: the caller's contract: the live packet's tvb and pinfo; `bytes` lie in `rec`'s own
    // heap data, which the hold taken here keeps alive (and unmoved: the record is shared and never
    // changed) until Wireshark frees the tvb and calls release_held.
    unsafe {
        HELD.lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert_with(Default::default)
            .entry(bytes.as_ptr() as usize)
            .or_default()
            .push(rec.clone());
        let len = bytes.len();
        let t = sys::tvb_new_child_real_data(parent, bytes.as_ptr(), len as c_uint, len as c_int);
        sys::tvb_set_free_cb(t, Some(release_held));
        sys::add_new_data_source(pinfo, t, name.as_ptr());
        t
    }
}

#[cfg(test)]
mod tests {
    use super::length_label;

    #[test]
    fn length_label_is_the_value_and_its_form() {
        for (v, form, want) in [
            (0u64, &b" (7-bit length)"[..], "0 (7-bit length)"),
            (125, b" (7-bit length)", "125 (7-bit length)"),
            (
                65535,
                b" (16-bit extended length)",
                "65535 (16-bit extended length)",
            ),
            (
                u64::MAX,
                b" (64-bit extended length)",
                "18446744073709551615 (64-bit extended length)",
            ),
        ] {
            let mut buf = [0xffu8; 48];
            let n = length_label(&mut buf, v, form);
            assert_eq!(std::str::from_utf8(&buf[..n]).unwrap(), want);
            assert_eq!(buf[n], 0);
            assert_eq!(format!("{v}{}", std::str::from_utf8(form).unwrap()), want);
        }
    }
}
