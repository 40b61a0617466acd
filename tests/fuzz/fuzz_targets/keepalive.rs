//! Keep-alive tracking: TCP segments and WebSocket Ping/Pong/data decoded from the input, fed
//! in order to one `Tracker`, then every frame's future-dependent answers are asked.
//! Record (14 bytes): kind/flags, side, dt (u16), seq delta (u32), ack delta (u32), len (u8),
//! extra; Ping/Pong payloads follow their record.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ws_keepalive::core::keepalive::{Segment, Tracker};

fuzz_target!(|data: &[u8]| {
    let mut t = Tracker::new();
    let mut frame = 0u32;
    let mut time: i64 = 1_700_000_000_000_000_000;
    let mut seq = [0x1000_0000u32, 0xFFFF_FF00u32];
    let mut ack = [0u32, 0u32];
    let mut rest = data;
    while rest.len() >= 14 {
        let r = &rest[..14];
        rest = &rest[14..];
        frame += 1;
        let kind = r[0];
        let from = r[1] & 1;
        let dt = i64::from(u16::from_be_bytes([r[2], r[3]]));
        time = time.saturating_add(if r[1] & 2 != 0 { -dt } else { dt * 1_000_000 });
        let sd = u32::from_be_bytes([r[4], r[5], r[6], r[7]]);
        let ad = u32::from_be_bytes([r[8], r[9], r[10], r[11]]);
        let i = usize::from(from);
        match kind & 3 {
            // TCP segment: small deltas mostly, so probes (seq = next - 1) happen.
            0 | 1 => {
                let len = u32::from(r[12] % 4);
                let s = if sd & 0x8000_0000 != 0 {
                    seq[i].wrapping_add(sd)
                } else {
                    seq[i].wrapping_sub(sd % 3)
                };
                let a = if ad & 0x8000_0000 != 0 {
                    ack[i].wrapping_add(ad)
                } else {
                    seq[1 - i].wrapping_add(ad % 3)
                };
                let seg = Segment {
                    frame,
                    time_ns: time,
                    from,
                    seq: s,
                    ack: a,
                    len,
                    flags: r[13],
                };
                let evs = t.on_tcp(&seg);
                assert!(evs.len() <= 2);
                seq[i] = s.wrapping_add(len);
                ack[i] = a;
            }
            // Ping / Pong with a payload from the input.
            2 => {
                let n = usize::from(r[12] % 130).min(rest.len());
                let (p, after) = rest.split_at(n);
                rest = after;
                let _ = t.on_ws_control(frame, time, from, kind & 4 != 0, p);
            }
            _ => {
                if kind & 4 != 0 {
                    t.on_ws_data(time);
                } else {
                    let _ = t.side_of(&r[4..4 + usize::from(r[12] % 9)], u32::from(r[13]));
                }
            }
        }
    }
    for f in 0..=frame + 1 {
        let _ = t.reply_in(f);
        let _ = t.unanswered(f);
        let _ = t.verdict(f);
    }
    let _ = t.approx_bytes();
});
