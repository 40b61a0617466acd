//! Follow Stream (src/epan/follow.c): each completed message of a followed connection is handed
//! to the `ws` follower as one block (`core::follow`), in the order the frames were sent; and
//! each data message to Wireshark's own WebSocket follower (4.4+), which would otherwise stay
//! empty for the connections the plugin took over.
use std::os::raw::{c_int, c_uint};

use super::pkt::{frame_tvb, Pinfo};
use super::state::FrameRecord;
use super::sys;
use crate::core::follow::{block, Message};
use crate::core::message::Direction;
use crate::core::opcode::OpCode;

extern "C" {
    /// Registers the "ws_follow" tap and the follower of protocol `proto` (once, at registration).
    pub fn wsk_follow_register(proto: c_int);
    fn wsk_follow_wanted() -> c_int;
    fn wsk_follow_queue(
        pinfo: *mut sys::packet_info,
        from_client: c_int,
        data: *const u8,
        len: c_uint,
    );
    fn wsk_follow_builtin_queue(
        parent: *mut sys::tvbuff_t,
        pinfo: *mut sys::packet_info,
        data: *const u8,
        len: c_uint,
    );
}

const OURS: c_int = 1;
const BUILTIN: c_int = 2;

fn c_len(b: &[u8]) -> c_uint {
    b.len().min(c_uint::MAX as usize) as c_uint
}

/// On the frame that completes a message: its block, when someone follows. `payload` is this
/// frame's unmasked payload (the whole message when it has one frame).
///
/// # Safety
/// `pinfo` is the live packet's, as Wireshark passed it to the entry point.
pub unsafe fn queue(pinfo: Pinfo, rec: &FrameRecord, payload: &[u8], payload_complete: bool) {
    // SAFETY: reads of the tap registry.
    let who = unsafe { wsk_follow_wanted() };
    if who == 0 {
        return;
    }
    let o = &rec.outcome;
    let Some(c) = &o.completes else { return };
    let (data, truncated): (&[u8], bool) = match (&rec.inflated, &c.data) {
        (Some(d), _) => (d, c.truncated),
        (None, Some(d)) => (d, c.truncated),
        (None, None) => (payload, c.truncated || !payload_complete),
    };
    if who & OURS != 0 {
        let m = Message {
            dir: o.dir,
            index: o.msg_index,
            msg_type: o.msg_type,
            data,
            wire_len: c.total_len,
            frames: c.frames,
            compressed: c.compressed,
            truncated,
            close: o.close.as_ref(),
        };
        let b = block(&m);
        let from_client = (o.dir == Direction::Client) as c_int;
        // SAFETY: `b` holds at least `c_len(&b)` bytes; the C side copies them into the packet's pool.
        unsafe { wsk_follow_queue(pinfo, from_client, b.as_ptr(), c_len(&b)) };
    }
    // As Wireshark's own dissector taps them: data messages with at least one byte.
    if who & BUILTIN != 0 && !OpCode::from_u8(o.msg_type).is_control() && !data.is_empty() {
        // SAFETY: the frame's tvb lives until the packet's taps have run; the bytes are copied.
        unsafe { wsk_follow_builtin_queue(frame_tvb(pinfo), pinfo, data.as_ptr(), c_len(data)) };
    }
}
