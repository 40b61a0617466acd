//! Micro-benchmarks of the pure-Rust core: `core::mask::unmask` against `copy_from_slice`
//! (memcpy) on the same buffer size, and `core::frame::parse_header` walking back-to-back
//! small frames. Run through scripts/dev/bench-core.sh (release build, WSK_NO_EPAN=1).
//!
//! Usage: wsk-bench-core [RUNS] (default 9). Prints one line per measurement: median, min and
//! max over RUNS runs, single thread.
use std::hint::black_box;
use std::time::Instant;

use ws_keepalive::core::frame::{parse_header, Status};
use ws_keepalive::core::mask::{unmask, unmask_bytewise};

const BIG: usize = 64 << 20;

/// xorshift64*: deterministic bytes without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

/// Runs `f` `runs` times (after one warm-up run); returns seconds per run, sorted.
fn measure(runs: usize, mut f: impl FnMut()) -> Vec<f64> {
    f();
    let mut t: Vec<f64> = (0..runs)
        .map(|_| {
            let t0 = Instant::now();
            f();
            t0.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(|a, b| a.partial_cmp(b).unwrap());
    t
}

fn median(v: &[f64]) -> f64 {
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Throughput line in GB/s (10^9 bytes/s); the fastest run gives the max.
fn report_bytes(name: &str, bytes: usize, t: &[f64]) -> f64 {
    let gbs = |s: f64| bytes as f64 / s / 1e9;
    let med = gbs(median(t));
    println!(
        "{name:<44} {med:8.2} GB/s  (min {:.2}, max {:.2}; {} runs of {} MiB)",
        gbs(t[t.len() - 1]),
        gbs(t[0]),
        t.len(),
        bytes >> 20
    );
    med
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(9)
        .max(1);
    let mut rng = Rng(0x6455_6455_6455_6455);
    let key = [0x37, 0xfa, 0x21, 0x3d];

    // ---- unmasking vs memcpy, 64 MiB, in cache-cold memory (buffer >> LLC)
    let mut src = vec![0u8; BIG + 64];
    rng.fill(&mut src);
    let mut dst = vec![0u8; BIG + 64];
    let mut buf = src.clone();
    println!("# unmasking, one 64 MiB buffer, single thread");
    let t = measure(runs, || {
        dst[..BIG].copy_from_slice(black_box(&src[..BIG]));
        black_box(&mut dst);
    });
    let memcpy = report_bytes("memcpy (copy_from_slice), 64 MiB", BIG, &t);
    let t = measure(runs, || {
        unmask(black_box(&mut buf[..BIG]), key, 0);
        black_box(&mut buf);
    });
    let um = report_bytes("core::mask::unmask, in place, aligned", BIG, &t);
    let t = measure(runs, || {
        unmask(black_box(&mut buf[1..BIG + 1]), key, 3);
        black_box(&mut buf);
    });
    report_bytes("core::mask::unmask, in place, start+1", BIG, &t);
    // What the plugin does: copy the masked bytes out of the tvb, then unmask the copy.
    let t = measure(runs, || {
        dst[..BIG].copy_from_slice(black_box(&src[..BIG]));
        unmask(black_box(&mut dst[..BIG]), key, 0);
        black_box(&mut dst);
    });
    report_bytes("copy + unmask (copy out of the packet)", BIG, &t);
    let t = measure(runs.min(3), || {
        unmask_bytewise(black_box(&mut buf[..BIG]), key, 0);
        black_box(&mut buf);
    });
    report_bytes("core::mask::unmask_bytewise (reference)", BIG, &t);
    println!("unmask / memcpy = {:.2}", um / memcpy);

    // ---- unmasking in cache: 64 KiB, many times (per-call cost without memory bandwidth)
    let small = 64 << 10;
    let reps = BIG / small;
    let t = measure(runs, || {
        for _ in 0..reps {
            unmask(black_box(&mut buf[..small]), key, 0);
        }
        black_box(&mut buf);
    });
    report_bytes("core::mask::unmask, 64 KiB buffer (in L2)", BIG, &t);
    let t = measure(runs, || {
        for _ in 0..reps {
            dst[..small].copy_from_slice(black_box(&src[..small]));
        }
        black_box(&mut dst);
    });
    report_bytes("memcpy, 64 KiB buffer (in L2)", BIG, &t);
    // Small payloads, as in the 60% of messages under 126 bytes
    let sizes: Vec<usize> = (0..4096).map(|_| (rng.next() % 126) as usize).collect();
    let total_small: usize = sizes.iter().sum::<usize>() * 256;
    let t = measure(runs, || {
        for _ in 0..256 {
            let mut off = 0;
            for &n in &sizes {
                if off + n > small {
                    off = 0;
                }
                unmask(black_box(&mut buf[off..off + n]), key, 0);
                off += n;
            }
        }
        black_box(&mut buf);
    });
    report_bytes("core::mask::unmask, payloads of 0-125 bytes", total_small, &t);
    println!(
        "  = {:.1} M payloads/s",
        (sizes.len() * 256) as f64 / median(&t) / 1e6
    );

    // ---- frame scanning: back-to-back small frames, half masked (client), half not
    println!("# frame header scanning (core::frame::parse_header), single thread");
    let mut stream = Vec::with_capacity(BIG + 200);
    let mut nframes = 0usize;
    while stream.len() < BIG {
        let n = (rng.next() % 126) as usize; // 0..=125: short length form
        let masked = nframes % 2 == 0;
        stream.push(0x82);
        stream.push(n as u8 | if masked { 0x80 } else { 0 });
        if masked {
            stream.extend_from_slice(&(rng.next() as u32).to_be_bytes());
        }
        let at = stream.len();
        stream.resize(at + n, 0);
        rng.fill(&mut stream[at..]);
        nframes += 1;
    }
    let scan = |data: &[u8]| -> (usize, u64) {
        let mut pos = 0usize;
        let mut count = 0usize;
        let mut sum = 0u64;
        while pos < data.len() {
            match parse_header(&data[pos..]) {
                Status::Complete(h) => {
                    sum = sum.wrapping_add(h.payload_len);
                    pos += h.frame_len() as usize;
                    count += 1;
                }
                Status::Partial => break,
            }
        }
        (count, sum)
    };
    let mut seen = 0;
    let t = measure(runs, || {
        let (c, s) = scan(black_box(&stream));
        seen = c;
        black_box(s);
    });
    assert_eq!(seen, nframes);
    let gb = report_bytes(
        &format!("parse_header walk, {nframes} frames of 0-125 B"),
        stream.len(),
        &t,
    );
    println!(
        "  = {:.1} M frames/s ({:.1} ns/frame, {:.1} B mean frame)",
        nframes as f64 / median(&t) / 1e6,
        median(&t) * 1e9 / nframes as f64,
        stream.len() as f64 / nframes as f64
    );
    black_box(gb);
    // Headers only (2- and 6-byte headers, empty payloads): the parser's own cost.
    let mut hdrs = Vec::with_capacity(BIG / 4);
    let mut nh = 0usize;
    while hdrs.len() < BIG / 4 {
        if nh % 2 == 0 {
            hdrs.extend_from_slice(&[0x82, 0x80, 1, 2, 3, 4]);
        } else {
            hdrs.extend_from_slice(&[0x82, 0x00]);
        }
        nh += 1;
    }
    let t = measure(runs, || {
        let (c, s) = scan(black_box(&hdrs));
        seen = c;
        black_box(s);
    });
    assert_eq!(seen, nh);
    report_bytes(&format!("parse_header walk, {nh} empty frames"), hdrs.len(), &t);
    println!(
        "  = {:.1} M frames/s ({:.1} ns/frame)",
        nh as f64 / median(&t) / 1e6,
        median(&t) * 1e9 / nh as f64
    );
}
