//! The packet layer: what a callback reads of the packet it was given (captured bytes, checked so
//! that nothing throws; endpoints, conversation, the TCP segment from the header bytes) and the
//! generated tree items it adds. Imports only the bindings and the ids.
use std::ffi::CString;
use std::os::raw::{c_int, c_uint};
use std::ptr;

use super::ids::hf;
use super::sys;
use crate::core::http::PEEK;
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
    pub addr: Addr,
    pub port: u32,
}

/// An address's bytes, held inline (IPv4 and IPv6 fit; longer ones are cut at 16 bytes): an
/// endpoint costs no allocation per packet.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Addr {
    len: u8,
    bytes: [u8; 16],
}

impl Addr {
    pub fn new(b: &[u8]) -> Addr {
        let n = b.len().min(16);
        let mut bytes = [0u8; 16];
        // IPv4 and IPv6 (every TCP packet) without a call to memcpy.
        match n {
            4 => bytes[..4].copy_from_slice(&b[..4]),
            16 => bytes.copy_from_slice(&b[..16]),
            _ => bytes[..n].copy_from_slice(&b[..n]),
        }
        Addr {
            len: n as u8,
            bytes,
        }
    }

    /// A total order for canonical keys (not the order of the addresses as numbers).
    pub fn rank(&self) -> (u128, u8) {
        (u128::from_ne_bytes(self.bytes), self.len)
    }
}

impl std::ops::Deref for Addr {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }
}

impl std::fmt::Debug for Addr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

pub(super) fn cstring(s: &str) -> CString {
    if s.as_bytes().contains(&0) {
        CString::new(s.replace('\0', "\\0")).unwrap_or_default()
    } else {
        CString::new(s).unwrap_or_default()
    }
}

/// Captured bytes of `tvb` from `offset`, at most `max`, copied.
///
/// SAFETY (caller): `tvb` is a live tvb.
pub(super) unsafe fn copy_captured(tvb: Tvb, offset: usize, max: usize) -> Vec<u8> {
    // SAFETY: the caller's contract (a live tvb); `captured` checks the bounds.
    unsafe { captured(tvb, offset, max).to_vec() }
}

/// Captured bytes of `tvb` from `offset`, at most `max`, borrowed from the tvb (no copy).
///
/// SAFETY (caller): `tvb` is a live tvb, and the slice is not kept past the callback that was
/// handed the tvb (a tvb's bytes live as long as the packet's dissection).
pub(super) unsafe fn captured<'a>(tvb: Tvb, offset: usize, max: usize) -> &'a [u8] {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        let cap = sys::tvb_captured_length(tvb) as usize;
        if offset >= cap {
            return &[];
        }
        let n = (cap - offset).min(max);
        if n == 0 {
            return &[];
        }
        // SAFETY: offset + n <= captured length, so tvb_get_ptr cannot throw; it returns a pointer
        // to n contiguous bytes that live as long as the tvb.
        let p = sys::tvb_get_ptr(tvb, offset as c_int, n as c_int);
        if p.is_null() {
            return &[];
        }
        std::slice::from_raw_parts(p, n)
    }
}

/// `bytes` unmasked into memory of the packet's pool (one pass, no zeroing); lives as long as
/// the packet's dissection, and can back a tvb (`pool_tvb`).
///
/// SAFETY (caller): `pinfo` is the live packet; the slice is not kept past its dissection.
pub(super) unsafe fn unmask_into_pool<'a>(pinfo: Pinfo, bytes: &[u8], key: [u8; 4]) -> &'a [u8] {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        if bytes.is_empty() {
            return &[];
        }
        let buf = sys::wmem_alloc((*pinfo).pool, bytes.len()) as *mut u8;
        // SAFETY: wmem_alloc returned bytes.len() writable bytes (it aborts rather than fail).
        let out = std::slice::from_raw_parts_mut(buf, bytes.len());
        crate::core::mask::unmask_into(bytes, out, key, 0);
        out
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
            Addr::default()
        } else {
            // SAFETY: an address's data holds `len` bytes while the packet is dissected.
            Addr::new(std::slice::from_raw_parts(
                a.data as *const u8,
                a.len as usize,
            ))
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

/// Wireshark's conversation index of this packet (a conversation table lookup; `state::conv_index`
/// remembers it per TCP connection).
pub(super) unsafe fn conv_lookup(pinfo: Pinfo, create: bool) -> Option<u32> {
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
#[derive(Clone, Copy)]
pub(super) struct Segment {
    pub hdr: TcpHeader,
    /// Offset of the TCP payload in the frame's bytes, and how much of it was captured.
    pub payload_at: usize,
    pub payload_captured: usize,
    /// The payload's first bytes (as many as were captured, up to `http::PEEK`): enough to tell
    /// whether it could begin a handshake message without reading the tvb again.
    pub payload_head: [u8; PEEK],
}

impl Segment {
    /// The captured part of [`Segment::payload_head`].
    pub fn head(&self) -> &[u8] {
        &self.payload_head[..self.payload_captured.min(PEEK)]
    }
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
        if (*pinfo).ptype != sys::port_type_PT_TCP {
            return None;
        }
        let (mut at, mut avail): (c_uint, c_uint) = (0, 0);
        let p = sys::wsk_ip_header(pinfo, frame, &mut at, &mut avail);
        if p.is_null() {
            return None;
        }
        let (ip_at, avail) = (at as usize, avail as usize);
        // SAFETY: wsk_ip_header returned a pointer to `avail` captured bytes of the frame's tvb,
        // which live as long as the packet's dissection; the slice does not outlive this call.
        let ip = std::slice::from_raw_parts(p, avail);
        let hdr = tcphdr::parse(&ip[..avail.min(512)], avail)?;
        if u32::from(hdr.src_port) != (*pinfo).srcport
            || u32::from(hdr.dst_port) != (*pinfo).destport
        {
            return None;
        }
        let payload_captured = avail
            .saturating_sub(hdr.payload_offset)
            .min(hdr.payload_len as usize);
        let mut payload_head = [0u8; PEEK];
        let n = payload_captured.min(PEEK);
        if let Some(head) = ip.get(hdr.payload_offset..hdr.payload_offset + n) {
            // A whole head (most segments) is copied without a call to memcpy.
            match head.try_into() {
                Ok(whole) => payload_head = whole,
                Err(_) => payload_head[..n].copy_from_slice(head),
            }
        }
        Some(Segment {
            hdr,
            payload_at: ip_at + hdr.payload_offset,
            payload_captured,
            payload_head,
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
        // Wireshark copies the string: a short one (most are names like "client") is made
        // NUL-terminated on the stack, a longer one in a CString.
        let mut buf = [0u8; 64];
        let it = if value.len() < buf.len() && !value.as_bytes().contains(&0) {
            buf[..value.len()].copy_from_slice(value.as_bytes());
            sys::proto_tree_add_string(tree, hf(f), tvb, 0, 0, buf.as_ptr().cast())
        } else {
            let c = cstring(value);
            sys::proto_tree_add_string(tree, hf(f), tvb, 0, 0, c.as_ptr())
        };
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
        pool_tvb(parent, pinfo, std::slice::from_raw_parts(buf, len), name)
    }
}

/// A tvb over `bytes` that already live in the packet pool (`unmask_into_pool`): no copy.
///
/// SAFETY (caller): `bytes` is memory of `pinfo`'s pool (or empty).
pub(super) unsafe fn pool_tvb(
    parent: Tvb,
    pinfo: Pinfo,
    bytes: &[u8],
    name: &std::ffi::CStr,
) -> Tvb {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe {
        let len = bytes.len();
        let t = sys::tvb_new_child_real_data(parent, bytes.as_ptr(), len as c_uint, len as c_int);
        sys::add_new_data_source(pinfo, t, name.as_ptr());
        t
    }
}

/// Is protocol `proto` (an id) among the layers of this packet? No name lookups.
pub(super) unsafe fn layers_have(pinfo: Pinfo, proto: c_int) -> bool {
    // SAFETY: the caller's contract: the pointers are the live packet's, as Wireshark passed them
    // to the entry point; offsets handed on are checked against the captured length first.
    unsafe { proto >= 0 && sys::wsk_layers_have(pinfo, proto) != 0 }
}

/// Are protocols `a` and `b` (ids; -1 when not registered) enabled?
pub(super) unsafe fn protos_enabled(a: c_int, b: c_int) -> (bool, bool) {
    // SAFETY: looks up registered protocols by id; no packet data involved.
    let bits = unsafe { sys::wsk_protos_enabled(a, b) };
    (bits & 1 != 0, bits & 2 != 0)
}

/// Does anyone need field `hf` in this tree: a visible tree (every field), a filter, a `-e` field,
/// a column? A tree nobody looks at gets only those (as Wireshark's `proto_field_is_referenced`).
pub(super) unsafe fn referenced(tree: Tree, hf: c_int) -> bool {
    // SAFETY: the caller's contract: tree is null or the packet's live tree.
    unsafe { sys::wsk_referenced(tree, hf) != 0 }
}
