//! Payload (un)masking (RFC 6455 §5.3).
//!
//! "Octet i of the transformed data is the XOR of octet i of the original
//! data with octet at index i modulo 4 of the masking key."

/// Byte-wise reference implementation. `buf[0]` is payload byte number
/// `offset`, so byte `i` uses `key[(offset + i) % 4]`.
pub fn unmask_bytewise(buf: &mut [u8], key: [u8; 4], offset: u64) {
    let start = (offset % 4) as usize;
    for (i, b) in buf.iter_mut().enumerate() {
        *b ^= key[(start + i) % 4];
    }
}

/// Same result as [`unmask_bytewise`], processing eight bytes at a time.
pub fn unmask(buf: &mut [u8], key: [u8; 4], offset: u64) {
    let start = (offset % 4) as usize;
    let rot = [
        key[start % 4],
        key[(start + 1) % 4],
        key[(start + 2) % 4],
        key[(start + 3) % 4],
    ];
    let wide = u64::from_ne_bytes([
        rot[0], rot[1], rot[2], rot[3], rot[0], rot[1], rot[2], rot[3],
    ]);
    let mut chunks = buf.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_ne_bytes(word) ^ wide;
        chunk.copy_from_slice(&x.to_ne_bytes());
    }
    // Every chunk is a multiple of 4 bytes, so the rotation is unchanged for
    // the tail.
    unmask_bytewise(chunks.into_remainder(), rot, 0);
}

/// `src` unmasked into `dst` (the first `src.len().min(dst.len())` bytes): one pass that reads
/// `src` and writes `dst`, for a copy that needs unmasking anyway (no zeroing, no second pass).
pub fn unmask_into(src: &[u8], dst: &mut [u8], key: [u8; 4], offset: u64) {
    let n = src.len().min(dst.len());
    let (src, dst) = (&src[..n], &mut dst[..n]);
    let start = (offset % 4) as usize;
    let rot = [
        key[start % 4],
        key[(start + 1) % 4],
        key[(start + 2) % 4],
        key[(start + 3) % 4],
    ];
    let wide = u64::from_ne_bytes([
        rot[0], rot[1], rot[2], rot[3], rot[0], rot[1], rot[2], rot[3],
    ]);
    let mut s = src.chunks_exact(8);
    let mut d = dst.chunks_exact_mut(8);
    for (a, b) in (&mut s).zip(&mut d) {
        let mut word = [0u8; 8];
        word.copy_from_slice(a);
        b.copy_from_slice(&(u64::from_ne_bytes(word) ^ wide).to_ne_bytes());
    }
    for (i, (a, b)) in s.remainder().iter().zip(d.into_remainder()).enumerate() {
        *b = a ^ rot[i % 4];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unmask_into_matches_bytewise_at_every_length_offset_and_alignment() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        let src: Vec<u8> = (0..300u32).map(|i| (i * 31 + 7) as u8).collect();
        for start in 0..8 {
            for len in 0..(src.len() - start) {
                for off in 0..4u64 {
                    let mut want = src[start..start + len].to_vec();
                    unmask_bytewise(&mut want, key, off);
                    let mut got = vec![0xAA; len + 3];
                    unmask_into(&src[start..start + len], &mut got[1..], key, off);
                    assert_eq!(
                        &got[1..1 + len],
                        &want[..],
                        "start {start} len {len} off {off}"
                    );
                    assert_eq!(got[0], 0xAA);
                    assert!(got[1 + len..].iter().all(|&b| b == 0xAA));
                }
            }
        }
    }

    #[test]
    fn rfc_example() {
        let mut p = [0x7f, 0x9f, 0x4d, 0x51, 0x58];
        unmask(&mut p, [0x37, 0xfa, 0x21, 0x3d], 0);
        assert_eq!(&p, b"Hello");
    }

    #[test]
    fn fast_equals_bytewise() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        let src: Vec<u8> = (0..300u32)
            .map(|i| (i.wrapping_mul(131) ^ 0x5a) as u8)
            .collect();
        for len in 0..=300 {
            for offset in 0..=7u64 {
                let mut a = src[..len].to_vec();
                let mut b = a.clone();
                unmask(&mut a, key, offset);
                unmask_bytewise(&mut b, key, offset);
                assert_eq!(a, b, "len {len} offset {offset}");
            }
        }
    }

    #[test]
    fn split_unmask_equals_whole() {
        let key = [1, 2, 3, 0x80];
        let src: Vec<u8> = (0..100u8).collect();
        let mut whole = src.clone();
        unmask(&mut whole, key, 0);
        for cut in 0..=src.len() {
            let mut parts = src.clone();
            let (a, b) = parts.split_at_mut(cut);
            unmask(a, key, 0);
            unmask(b, key, cut as u64);
            assert_eq!(parts, whole);
        }
        // Huge offsets are fine.
        let mut x = [0u8; 4];
        unmask(&mut x, key, u64::MAX - 2); // MAX-2 % 4 == 1
        assert_eq!(x, [2, 3, 0x80, 1]);
    }

    #[test]
    fn involution() {
        let key = [9, 8, 7, 6];
        let src: Vec<u8> = (0..77u8).collect();
        let mut v = src.clone();
        unmask(&mut v, key, 3);
        unmask(&mut v, key, 3);
        assert_eq!(v, src);
    }
}
