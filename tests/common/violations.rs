//! The hand-made capture with one frame per RFC 6455 violation (tests/golden.rs checks each
//! expert on its frame, tests/experts.rs that every expert has a source).
use super::pcap::{Conn, Pcap};
use super::{Frame, LengthForm, Tshark};

pub struct Violations {
    /// The capture, where tshark's user can read it.
    pub cap: String,
    /// (expert key, the frames that must raise it), for every violation in the capture.
    pub want: Vec<(&'static str, Vec<u32>)>,
    /// A correct frame of the first connection, which raises nothing.
    pub ok: u32,
}

pub fn violations(t: &Tshark) -> Violations {
    let k = [0x11, 0x22, 0x33, 0x44];
    let mut p = Pcap::new();
    let mut want: Vec<(&str, Vec<u32>)> = Vec::new();

    let mut a = Conn::open(&mut p, 40001, 8765);
    a.ws_handshake(&mut p, None);
    let ok = a.client(&mut p, &Frame::text(b"fine").masked(k).encode());
    want.push((
        "unmasked_client_frame",
        vec![a.client(&mut p, &Frame::text(b"a").encode())],
    ));
    want.push((
        "masked_server_frame",
        vec![a.server(&mut p, &Frame::text(b"b").masked(k).encode())],
    ));
    want.push((
        "rsv_without_extension",
        vec![a.client(&mut p, &Frame::text(b"c").rsv(2).masked(k).encode())],
    ));
    want.push((
        "reserved_opcode",
        vec![a.client(&mut p, &Frame::new(3, b"d").masked(k).encode())],
    ));
    want.push((
        "control_frame_too_big",
        vec![a.client(&mut p, &Frame::ping(&[b'p'; 126]).masked(k).encode())],
    ));
    want.push((
        "control_frame_fragmented",
        vec![a.client(&mut p, &Frame::ping(b"q").fin(false).masked(k).encode())],
    ));
    want.push((
        "continuation_without_start",
        vec![a.client(&mut p, &Frame::continuation(b"e").masked(k).encode())],
    ));
    a.client(&mut p, &Frame::text(b"ab").fin(false).masked(k).encode());
    want.push((
        "data_frame_in_unfinished_message",
        vec![a.client(&mut p, &Frame::text(b"cd").masked(k).encode())],
    ));
    want.push((
        "invalid_utf8_text",
        vec![a.client(&mut p, &Frame::text(&[0x61, 0xff, 0xfe]).masked(k).encode())],
    ));
    want.push((
        "length_not_minimal",
        vec![a.client(
            &mut p,
            &Frame::binary(b"xyz")
                .masked(k)
                .length_form(LengthForm::Bits16)
                .encode(),
        )],
    ));

    let mut b = Conn::open(&mut p, 40002, 8765);
    b.ws_handshake(&mut p, None);
    want.push((
        "close_payload_one_byte",
        vec![b.client(&mut p, &Frame::close(&[0x03]).masked(k).encode())],
    ));

    let mut c = Conn::open(&mut p, 40003, 8765);
    c.ws_handshake(&mut p, None);
    want.push((
        "close_code_not_on_wire",
        vec![c.client(
            &mut p,
            &Frame::close(&1005u16.to_be_bytes()).masked(k).encode(),
        )],
    ));
    want.push((
        "close_code_invalid",
        vec![c.server(&mut p, &Frame::close(&2000u16.to_be_bytes()).encode())],
    ));

    let mut d = Conn::open(&mut p, 40004, 8765);
    d.ws_handshake(&mut p, None);
    let mut bad_reason = 1000u16.to_be_bytes().to_vec();
    bad_reason.extend_from_slice(&[0xc3, 0x28]);
    want.push((
        "invalid_utf8_close_reason",
        vec![d.server(&mut p, &Frame::close(&bad_reason).encode())],
    ));
    want.push((
        "data_after_close",
        vec![d.server(&mut p, &Frame::text(b"late").encode())],
    ));

    let mut e = Conn::open(&mut p, 40005, 8765);
    let (_, resp) = e.ws_handshake(&mut p, Some("AAAAAAAAAAAAAAAAAAAAAAAAAAA="));
    want.push(("accept_mismatch", vec![resp]));

    let mut f = Conn::open(&mut p, 40006, 8765);
    f.ws_handshake(&mut p, None);
    // A 64-bit length of 2^63: the header says so, the segment holds 4 bytes of payload.
    let mut huge = Frame::binary(b"")
        .claimed_len(1 << 63)
        .length_form(LengthForm::Bits64)
        .encode();
    huge.extend_from_slice(b"abcd");
    want.push(("length_msb_set", vec![f.server(&mut p, &huge)]));

    let mut g = Conn::open(&mut p, 40007, 8765);
    g.ws_handshake(&mut p, None);
    // The capture kept 10 of the frame's 2+4+100 bytes (snap length).
    let cut = g.client_cut(&mut p, &Frame::binary(&[7u8; 100]).masked(k).encode(), 10);
    // The 2^63 frame above is also only partly there.
    let huge_frame = want.last().unwrap().1[0];
    want.push(("payload_truncated", vec![huge_frame, cut]));
    want.push(("frame_too_large", vec![huge_frame]));

    let cap = t.write_capture("handmade_violations.pcap", p.bytes());
    Violations { cap, want, ok }
}
