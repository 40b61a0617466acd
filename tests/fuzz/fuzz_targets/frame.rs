//! Frame header parser: never panics, and the prefix property holds (a header completes exactly at
//! header_len and stays the same for every longer prefix).
#![no_main]
use libfuzzer_sys::fuzz_target;
use ws_keepalive::core::frame::{parse_header, LengthForm, Status};

fuzz_target!(|data: &[u8]| {
    let full = parse_header(data);
    if let Status::Complete(h) = full {
        assert!((2..=14).contains(&h.header_len));
        assert!(h.header_len <= data.len());
        assert!(h.frame_len() >= h.payload_len);
        let _ = h.header_anomalies();
        let _ = h.rsv_bits();
        match h.length_form {
            LengthForm::Short => assert!(h.payload_len <= 125),
            LengthForm::Extended16 => assert!(h.payload_len <= 0xFFFF),
            LengthForm::Extended64 => {}
        }
        // Every shorter prefix is Partial, the exact prefix gives the same header.
        for cut in 0..h.header_len {
            assert_eq!(parse_header(&data[..cut]), Status::Partial);
        }
        assert_eq!(parse_header(&data[..h.header_len]), full);
    }
});
