//! The packet layer: what a callback reads of the packet it was given (captured bytes, checked so
//! that nothing throws; endpoints, conversation, the TCP segment from the header bytes) and the
//! generated tree items it adds. Imports only the bindings and the ids.
use std::ffi::{c_void, CString};
use std::os::raw::{c_int, c_uint};
use std::ptr;

use super::ids::hf;
use super::sys;
use crate::core::tcphdr::{self, TcpHeader};
use crate::fields::F;

pub(super) type Tvb = *mut sys::tvbuff_t;
pub(super) type Pinfo = *mut sys::packet_info;
pub(super) type Tree = *mut sys::proto_tree;
pub(super) type Item = *mut sys::proto_item;

/// One side of a TCP connection: address type, address bytes and port.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Endpoint {
    pub addr_type: i32,
    pub addr: Vec<u8>,
    pub port: u32,
}

pub(super) fn cstring(s: &str) -> CString {
    CString::new(s.replace('\0', "\\0")).unwrap_or_default()
}

/// Captured bytes of `tvb` from `offset`, at most `max`.
///
/// SAFETY (caller): `tvb` is a live tvb.
pub(super) unsafe fn copy_captured(tvb: Tvb, offset: usize, max: usize) -> Vec<u8> {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
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
}

pub(super) unsafe fn visited(pinfo: Pinfo) -> bool {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        // SAFETY (caller): pinfo and its frame_data are live for the whole dissection.
        (*(*pinfo).fd).visited() != 0
    }
}

/// An address and port of the packet as an owned endpoint.
unsafe fn endpoint(a: &sys::address, port: u32) -> Endpoint {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        let addr = if a.data.is_null() || a.len <= 0 {
            Vec::new()
        } else {
            // SAFETY: an address's data holds `len` bytes while the packet is dissected.
            std::slice::from_raw_parts(a.data as *const u8, a.len as usize).to_vec()
        };
        Endpoint {
            addr_type: a.type_,
            addr,
            port,
        }
    }
}

pub(super) unsafe fn src_endpoint(pinfo: Pinfo) -> Endpoint {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe { endpoint(&(*pinfo).src, (*pinfo).srcport) }
}

pub(super) unsafe fn dst_endpoint(pinfo: Pinfo) -> Endpoint {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe { endpoint(&(*pinfo).dst, (*pinfo).destport) }
}

pub(super) unsafe fn conv_index(pinfo: Pinfo, create: bool) -> Option<u32> {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
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
}

/// This packet's TCP segment as its header bytes say (no protocol tree needed), and where its
/// payload lies in the frame.
pub(super) struct Segment {
    pub hdr: TcpHeader,
    /// Offset of the TCP payload in the frame's bytes, and how much of it was captured.
    pub payload_at: usize,
    pub payload_captured: usize,
}

/// The frame's own bytes (data source 0), whichever tvb of the packet a callback was given.
pub(super) unsafe fn frame_tvb(pinfo: Pinfo) -> Tvb {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        // SAFETY (caller): pinfo is the live packet; its data source list holds the frame first.
        sys::wsk_data_source(pinfo, 0)
    }
}

/// The TCP segment this packet carries: found through the network-layer source address, which
/// the innermost IP layer points into the frame's bytes; checked against TCP's ports.
pub(super) unsafe fn tcp_segment(pinfo: Pinfo, frame: Tvb) -> Option<Segment> {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        if frame.is_null() || (*pinfo).ptype != sys::port_type_PT_TCP {
            return None;
        }
        let mut version: c_int = 0;
        let at = sys::wsk_net_src_offset(pinfo, frame, &mut version);
        if at < 0 {
            return None;
        }
        let ip_at = (at as usize).checked_sub(if version == 4 { 12 } else { 8 })?;
        let cap = sys::tvb_captured_length(frame) as usize;
        let head = copy_captured(frame, ip_at, 512);
        let hdr = tcphdr::parse(&head, cap - ip_at)?;
        if u32::from(hdr.src_port) != (*pinfo).srcport
            || u32::from(hdr.dst_port) != (*pinfo).destport
        {
            return None;
        }
        let payload_at = ip_at + hdr.payload_offset;
        Some(Segment {
            hdr,
            payload_at,
            payload_captured: cap.saturating_sub(payload_at).min(hdr.payload_len as usize),
        })
    }
}

/// Is there room for `n` more tree items before Wireshark's item limit (which throws)?
pub(super) unsafe fn tree_has_room(tree: Tree, n: u32) -> bool {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        // SAFETY (caller): tree is null or the packet's live tree.
        sys::wsk_tree_has_room(tree, n) != 0
    }
}

pub(super) unsafe fn add_string(tree: Tree, f: F, tvb: Tvb, value: &str) -> Item {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        let c = cstring(value);
        let it = sys::proto_tree_add_string(tree, hf(f), tvb, 0, 0, c.as_ptr());
        sys::wsk_item_set_generated(it);
        it
    }
}

pub(super) unsafe fn add_gen_uint(tree: Tree, f: F, tvb: Tvb, v: u32) -> Item {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        let it = sys::proto_tree_add_uint(tree, hf(f), tvb, 0, 0, v);
        sys::wsk_item_set_generated(it);
        it
    }
}

pub(super) unsafe fn add_gen_u64(tree: Tree, f: F, tvb: Tvb, v: u64) -> Item {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        let it = sys::proto_tree_add_uint64(tree, hf(f), tvb, 0, 0, v);
        sys::wsk_item_set_generated(it);
        it
    }
}

/// A tvb over `bytes`, copied into the packet pool (lives as long as the packet's dissection).
pub(super) unsafe fn child_tvb(
    parent: Tvb,
    pinfo: Pinfo,
    bytes: &[u8],
    name: &std::ffi::CStr,
) -> Tvb {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        let len = bytes.len();
        let buf = sys::wmem_alloc((*pinfo).pool, len.max(1)) as *mut u8;
        ptr::copy_nonoverlapping(bytes.as_ptr(), buf, len);
        let t = sys::tvb_new_child_real_data(parent, buf, len as c_uint, len as c_int);
        sys::add_new_data_source(pinfo, t, name.as_ptr());
        t
    }
}

/// Is `name` among the protocols of this packet? (`gboolean` in 4.0, `bool` from 4.2.)
#[allow(clippy::unnecessary_cast)]
pub(super) unsafe fn frame_has_protocol(pinfo: Pinfo, name: &std::ffi::CStr) -> bool {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        // SAFETY (caller): pinfo is the live packet; its layer list lives as long as it.
        sys::proto_is_frame_protocol((*pinfo).layers, name.as_ptr()) as i32 != 0
    }
}
