//! Message assembly: a sequence of frames parsed from the input goes through
//! `Connection::on_frame` (plus Close pairing and the Info text), as the glue does.
//! Input: byte 0 = config (handshake known, allowed RSV, small max_message), then records of
//! [direction/cut byte][frame bytes...]; a frame's payload is whatever of it is left.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ws_keepalive::core::closing::Closing;
use ws_keepalive::core::frame::{parse_header, Status};
use ws_keepalive::core::info::frame_info;
use ws_keepalive::core::mask::unmask;
use ws_keepalive::core::message::{Config, Connection, Direction};

fuzz_target!(|data: &[u8]| {
    let Some((&cfg, mut rest)) = data.split_first() else {
        return;
    };
    let mut conn = Connection::new(Config {
        handshake_known: cfg & 0x80 != 0,
        allowed_rsv: (cfg >> 4) & 0x7,
        max_message: [0usize, 1, 16, 125, 4096, 1 << 20][(cfg & 0x0F) as usize % 6],
    });
    let mut closing = Closing::default();
    let mut frame_no = 0u32;
    while let Some((&ctl, after)) = rest.split_first() {
        let dir = if ctl & 1 == 0 {
            Direction::Client
        } else {
            Direction::Server
        };
        let Status::Complete(hdr) = parse_header(after) else {
            break;
        };
        frame_no += 1;
        let body = &after[hdr.header_len..];
        // Bytes of this frame present in the input; bit 1 of ctl cuts the payload short
        // (as a capture that ends inside a frame).
        let mut avail = usize::try_from(hdr.payload_len)
            .unwrap_or(usize::MAX)
            .min(body.len());
        if ctl & 2 != 0 {
            avail = avail.min((ctl >> 2) as usize);
        }
        let complete = avail as u64 == hdr.payload_len;
        let mut payload = body[..avail].to_vec();
        if let Some(key) = hdr.mask {
            unmask(&mut payload, key, 0);
        }
        let out = conn.on_frame(dir, &hdr, &payload, complete);
        let _ = frame_info(&out, &hdr, &payload);
        if let Some(c) = &out.close {
            let _ = c.reason_lossy();
            let _ = closing.on_close(dir, frame_no, c.code);
        }
        if let Some(done) = &out.completes {
            if let Some(d) = &done.data {
                assert!(d.len() <= conn.config().max_message.max(payload.len()) + payload.len());
            }
        }
        let _ = conn.frames_seen();
        let _ = conn.close_seen(dir);
        rest = &body[avail..];
    }
    let _ = closing.initiator();
    let _ = closing.reply_in(1);
    let _ = closing.on_tcp_end(Direction::Client, data.len() % 2 == 0);
});
