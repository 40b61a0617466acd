//! The ids Wireshark hands out at registration (protocols, fields, subtrees, expert infos) and
//! the preferences it writes: the bottom of the glue, read by everything above.
use std::os::raw::c_int;
use std::ptr;
use std::sync::atomic::{AtomicI32, AtomicPtr, AtomicU32, Ordering::Relaxed};

use super::sys;
use crate::core::anomaly::Anomaly;
use crate::fields::{F, FIELDS, K, KA_FIELDS};

/// Largest WebSocket frame (header + payload) handed to TCP reassembly. Longer frames are shown
/// as far as the segment goes, with an expert note; nothing is ever sized by the 64-bit length.
pub const MAX_REASSEMBLED_FRAME: u64 = 0x7fff_0000;

pub const NFIELDS: usize = FIELDS.len();
pub const NANOM: usize = Anomaly::ALL.len();

/// Field and protocol ids, written by Wireshark during registration.
pub static PROTO_WS: AtomicI32 = AtomicI32::new(-1);
pub static HF: [AtomicI32; NFIELDS] = [const { AtomicI32::new(-1) }; NFIELDS];
pub static ETT: [AtomicI32; ETT_COUNT] = [const { AtomicI32::new(-1) }; ETT_COUNT];

pub const ETT_WS: usize = 0;
pub const ETT_MESSAGE: usize = 1;
pub const ETT_HANDSHAKE: usize = 2;
pub const ETT_COUNT: usize = 3;

/// Expert fields: `expert_field` is two ints written by Wireshark; they must never move.
pub struct Experts(pub [sys::expert_field; NANOM]);
// SAFETY: written only during single-threaded registration, read-only afterwards.
unsafe impl Sync for Experts {}
pub static EI_PTR: AtomicPtr<Experts> = AtomicPtr::new(ptr::null_mut());

/// Preferences (Wireshark writes through the pointers when the user changes them).
pub static PREF_MAX_UNMASK: AtomicU32 = AtomicU32::new(16 * 1024 * 1024);
pub static PREF_MAX_MESSAGE: AtomicU32 = AtomicU32::new(16 * 1024 * 1024);
pub static PREF_MAX_INFLATE: AtomicU32 = AtomicU32::new(10 * 1024 * 1024);

pub fn hf(f: F) -> c_int {
    HF[f as usize].load(Relaxed)
}
pub fn ett(i: usize) -> c_int {
    ETT[i].load(Relaxed)
}
pub fn proto_ws() -> c_int {
    PROTO_WS.load(Relaxed)
}
/// Wireshark's HTTP protocol id (set in the handoff; -1 when HTTP is not there).
pub static PROTO_HTTP: AtomicI32 = AtomicI32::new(-1);
pub fn proto_http() -> c_int {
    PROTO_HTTP.load(Relaxed)
}
pub fn ei(a: Anomaly) -> *mut sys::expert_field {
    let p = EI_PTR.load(Relaxed);
    if p.is_null() {
        return ptr::null_mut();
    }
    let idx = Anomaly::ALL.iter().position(|x| *x == a).unwrap_or(0);
    // SAFETY: p points to the leaked, never-freed Experts array; idx < NANOM.
    unsafe { (*p).0.as_mut_ptr().add(idx) }
}

// The keep-alive protocol.
pub const NKA: usize = KA_FIELDS.len();
pub static PROTO_KA: AtomicI32 = AtomicI32::new(-1);
pub static HF_KA: [AtomicI32; NKA] = [const { AtomicI32::new(-1) }; NKA];
pub static ETT_KA: AtomicI32 = AtomicI32::new(-1);

/// Expert fields (two ints each, written by Wireshark at registration; they must never move):
/// a leaked array, reached only through this raw pointer.
pub struct KaExperts(pub [sys::expert_field; 4]);
pub static KA_EXPERTS: AtomicPtr<KaExperts> = AtomicPtr::new(ptr::null_mut());
pub const EI_UNANSWERED: usize = 0;
pub const EI_UNSOLICITED: usize = 1;
pub const EI_VERDICT: usize = 2;
pub const EI_LATE: usize = 3;

pub fn hf_ka(k: K) -> c_int {
    HF_KA[k as usize].load(Relaxed)
}

pub fn ei_ka(i: usize) -> *mut sys::expert_field {
    let p = KA_EXPERTS.load(Relaxed);
    if p.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: p is the leaked, never-freed array of 4 fields and i < 4; no reference is made.
    unsafe { ptr::addr_of_mut!((*p).0).cast::<sys::expert_field>().add(i) }
}

pub fn proto_ka() -> c_int {
    PROTO_KA.load(Relaxed)
}
