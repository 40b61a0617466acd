use super::*;

use crate::core::testutil::{Frame, Rng};

fn json(rng: &mut Rng, n: usize) -> Vec<u8> {
    let mut s = String::from("{\"type\":\"update\",\"data\":\"");
    while s.len() < n {
        s.push_str(["price ", "qty ", "ünïcödé ", "€ ", "ok ", "12345 "][rng.below(6) as usize]);
    }
    s.push_str("\"}");
    s.into_bytes()
}

/// One WebSocket frame on the wire, from the client (masked) or server.
struct Event {
    client: bool,
    bytes: Vec<u8>,
}

/// A realistic session: text/binary frames of mixed sizes (short, 126-form,
/// 64-bit form), pings/pongs, a fragmented message and a close handshake.
fn session(rng: &mut Rng, big: bool) -> Vec<Event> {
    let mut ev = Vec::new();
    let push = |ev: &mut Vec<Event>, client: bool, f: Vec<u8>| ev.push(Event { client, bytes: f });
    for round in 0..30 {
        let k = [rng.next() as u8, rng.next() as u8, rng.next() as u8, 0x5a];
        // client request
        let n = [20usize, 90, 300, 1000][rng.below(4) as usize];
        push(&mut ev, true, Frame::text(&json(rng, n)).masked(k).encode());
        // server responses: text, binary 126-form, compressed
        let n = [40usize, 200, 2000, 5000][rng.below(4) as usize];
        push(&mut ev, false, Frame::text(&json(rng, n)).encode());
        let bn = [10usize, 130, 3000][rng.below(3) as usize];
        let b = rng.bytes(bn);
        push(
            &mut ev,
            false,
            Frame::binary(&b)
                .rsv(if rng.below(2) == 0 { 4 } else { 0 })
                .encode(),
        );
        if round % 5 == 2 {
            push(&mut ev, false, Frame::ping(b"hb").encode());
            push(&mut ev, true, Frame::pong(b"hb").masked(k).encode());
            push(&mut ev, true, Frame::ping(b"").masked(k).encode());
            push(&mut ev, false, Frame::pong(b"").encode());
        }
        if round % 7 == 3 {
            // fragmented message with an interleaved ping
            let t = json(rng, 600);
            push(&mut ev, false, Frame::text(&t[..250]).fin(false).encode());
            push(&mut ev, false, Frame::ping(b"").encode());
            push(
                &mut ev,
                false,
                Frame::continuation(&t[250..500]).fin(false).encode(),
            );
            push(&mut ev, false, Frame::continuation(&t[500..]).encode());
            let b = rng.bytes(2500);
            push(
                &mut ev,
                true,
                Frame::binary(&b[..1000]).fin(false).masked(k).encode(),
            );
            push(
                &mut ev,
                true,
                Frame::continuation(&b[1000..]).masked(k).encode(),
            );
        }
        if big && round == 20 {
            let b = rng.bytes(70_000);
            push(&mut ev, false, Frame::binary(&b).encode());
            push(
                &mut ev,
                true,
                Frame::binary(&b[..66_000]).masked(k).encode(),
            );
        }
    }
    let k = [1, 2, 3, 4];
    let mut close = 1000u16.to_be_bytes().to_vec();
    close.extend_from_slice(b"bye");
    push(&mut ev, true, Frame::close(&close).masked(k).encode());
    push(
        &mut ev,
        false,
        Frame::close(&1000u16.to_be_bytes()).encode(),
    );
    ev
}

/// A captured segment.
struct Seg {
    client: bool,
    seq: u32,
    data: Vec<u8>,
    /// Ground truth: bytes of the frame in progress left after this segment.
    pending_after: u64,
}

/// Turn events into segments of at most `mss` bytes (each event is sent on
/// its own, as an application write), dropping the first `skip_c` client
/// bytes and `skip_s` server bytes (the capture started there, inside a
/// frame; the first captured segments then start at those offsets).
fn segments(ev: &[Event], mss: usize, skip_c: usize, skip_s: usize) -> Vec<Seg> {
    let mut out = Vec::new();
    let mut pos = [0usize; 2]; // stream offset per direction
    let skip = [skip_s, skip_c];
    let isn = [0x1234_5678u32, 0xFFFF_F000u32]; // server, client (client wraps)
    for e in ev {
        let i = usize::from(e.client);
        let start = pos[i];
        let end = start + e.bytes.len();
        let mut off = start.max(skip[i]);
        // capture starts at skip: segment boundaries continue from there
        while off < end {
            let n = mss.min(end - off);
            out.push(Seg {
                client: e.client,
                seq: isn[i].wrapping_add(off as u32),
                data: e.bytes[off - start..off - start + n].to_vec(),
                pending_after: (end - off - n) as u64,
            });
            off += n;
        }
        pos[i] = end;
    }
    out
}

/// Feed segments; returns (verdict, index of the deciding segment).
fn run(det: &mut Detector, segs: &[Seg], first_client: bool) -> (Verdict, Option<usize>) {
    let dir = |client: bool| {
        if client == first_client {
            Dir::A
        } else {
            Dir::B
        }
    };
    for (i, s) in segs.iter().enumerate() {
        let v = det.feed(dir(s.client), s.seq, &s.data);
        if v != Verdict::Undecided {
            return (v, Some(i));
        }
    }
    (det.verdict(), None)
}

fn check_ws(segs: &[Seg], label: &str) {
    let first_client = segs[0].client;
    let mut det = Detector::new();
    let (v, at) = run(&mut det, segs, first_client);
    assert_eq!(v, Verdict::WebSocket, "{label}");
    let want = if first_client { Dir::A } else { Dir::B };
    assert_eq!(det.client_dir(), Some(want), "{label}");
    // pending of the deciding segment's direction matches the ground truth
    let at = at.unwrap();
    let s = &segs[at];
    let d = if s.client == first_client {
        Dir::A
    } else {
        Dir::B
    };
    assert!(det.in_sync(d), "{label}");
    assert_eq!(det.pending(d), s.pending_after, "{label} seg {at}");
    assert!(det.partial_header(d).is_empty());
    // and of the other direction at its last segment before the decision
    if let Some(o) = segs[..at].iter().rev().find(|o| o.client != s.client) {
        if det.in_sync(d.other()) {
            assert_eq!(det.pending(d.other()), o.pending_after, "{label} other");
        }
    }
}

#[test]
fn websocket_from_start_of_frames() {
    let mut rng = Rng(7);
    let ev = session(&mut rng, false);
    check_ws(&segments(&ev, 1448, 0, 0), "aligned");
}

#[test]
fn websocket_mid_frame_odd_offsets() {
    let mut rng = Rng(11);
    let ev = session(&mut rng, true);
    let mut ok = 0;
    for (c, s) in [
        (1, 3),
        (7, 101),
        (333, 17),
        (1001, 2999),
        (5, 4097),
        (77, 12345),
    ] {
        let segs = segments(&ev, 1448, c, s);
        check_ws(&segs, &format!("skip {c}/{s}"));
        ok += 1;
    }
    assert_eq!(ok, 6);
}

#[test]
fn websocket_many_start_offsets() {
    // Start the capture at many offsets of both directions; every start must
    // be recognised (never NotWebSocket nor another client).
    let mut rng = Rng(99);
    let ev = session(&mut rng, false);
    let mut results = [0usize; 3];
    for i in 0..200usize {
        let c = (i * 97) % 9000;
        let s = (i * 389 + 13) % 20000;
        let segs = segments(&ev, 1448, c, s);
        let first_client = segs[0].client;
        let mut det = Detector::new();
        let (v, _) = run(&mut det, &segs, first_client);
        match v {
            Verdict::WebSocket => {
                results[0] += 1;
                let want = if first_client { Dir::A } else { Dir::B };
                assert_eq!(det.client_dir(), Some(want));
            }
            Verdict::Undecided => results[1] += 1,
            Verdict::NotWebSocket => results[2] += 1,
        }
    }
    eprintln!("many offsets: ws/undecided/not = {results:?}");
    assert!(results[0] >= 190, "{results:?}");
}

#[test]
fn websocket_server_only_stream() {
    // Only the server direction has data (client idle): >= 6 unmasked frames.
    let mut rng = Rng(5);
    let ev: Vec<Event> = session(&mut rng, false)
        .into_iter()
        .filter(|e| !e.client)
        .collect();
    let segs = segments(&ev, 1448, 0, 777);
    let mut det = Detector::new();
    let (v, _) = run(&mut det, &segs, false);
    assert_eq!(v, Verdict::WebSocket);
    // the unmasked side is the server, so the client is the other direction
    assert_eq!(det.client_dir(), Some(Dir::B));
}

#[test]
fn websocket_small_segments_split_headers() {
    // Small MSS so that headers are cut across segments. (With a very small
    // MSS such as 64, a capture starting inside a long text frame hits the
    // "3 segments without any chain" rule and is rejected, by design.)
    let mut rng = Rng(3);
    let ev = session(&mut rng, false);
    for mss in [100usize, 536, 1000] {
        let segs = segments(&ev, mss, 0, 0);
        let first_client = segs[0].client;
        let mut det = Detector::new();
        let (v, _) = run(&mut det, &segs, first_client);
        assert_eq!(v, Verdict::WebSocket, "mss {mss}");
    }
}

#[test]
fn retransmission_and_gap() {
    let mut rng = Rng(21);
    let ev = session(&mut rng, false);
    let segs = segments(&ev, 1448, 10, 10);
    let mut det = Detector::new();
    let first_client = segs[0].client;
    let dir = |c: bool| if c == first_client { Dir::A } else { Dir::B };
    // feed each segment twice (retransmission): must still work
    let mut v = Verdict::Undecided;
    for s in &segs {
        v = det.feed(dir(s.client), s.seq, &s.data);
        if v != Verdict::Undecided {
            break;
        }
        v = det.feed(dir(s.client), s.seq, &s.data);
        if v != Verdict::Undecided {
            break;
        }
    }
    assert_eq!(v, Verdict::WebSocket);

    // A gap resets sync of that direction without penalty.
    let mut det = Detector::new();
    let s0 = &segs[0];
    det.feed(dir(s0.client), s0.seq, &s0.data);
    let was = det.in_sync(dir(s0.client));
    let s1 = segs.iter().skip(1).find(|s| s.client == s0.client).unwrap();
    // pretend 100 bytes were lost before s1
    det.feed(
        dir(s1.client),
        s1.seq.wrapping_add(100),
        &s1.data[100.min(s1.data.len())..],
    );
    let _ = was;
    assert_ne!(det.verdict(), Verdict::WebSocket);
}

#[test]
fn partial_overlap_trimmed() {
    let mut rng = Rng(8);
    let ev = session(&mut rng, false);
    let segs = segments(&ev, 1448, 0, 0);
    let first_client = segs[0].client;
    let dir = |c: bool| if c == first_client { Dir::A } else { Dir::B };
    let mut det = Detector::new();
    let mut prev: [Option<&Seg>; 2] = [None, None];
    let mut v = Verdict::Undecided;
    for s in &segs {
        let i = usize::from(s.client);
        // resend the last 3 bytes of the previous segment with this one
        let (seq, data) = match prev[i] {
            Some(p) if p.data.len() >= 3 => {
                let mut d = p.data[p.data.len() - 3..].to_vec();
                d.extend_from_slice(&s.data);
                (s.seq.wrapping_sub(3), d)
            }
            _ => (s.seq, s.data.clone()),
        };
        v = det.feed(dir(s.client), seq, &data);
        prev[i] = Some(s);
        if v != Verdict::Undecided {
            break;
        }
    }
    assert_eq!(v, Verdict::WebSocket);
}

// ---------------------------------------------------------------- negatives

/// Feed two directions of byte streams, cut at `mss`, alternating the
/// directions message by message. Returns the final verdict.
fn feed_msgs(msgs: &[(bool, Vec<u8>)], mss: usize) -> Verdict {
    let mut det = Detector::new();
    let mut seq = [1000u32, 0xFFFF_FF00];
    let first = msgs[0].0;
    for (a, m) in msgs {
        let i = usize::from(*a);
        let dir = if *a == first { Dir::A } else { Dir::B };
        for c in m.chunks(mss) {
            let v = det.feed(dir, seq[i], c);
            assert_ne!(v, Verdict::WebSocket);
            seq[i] = seq[i].wrapping_add(c.len() as u32);
        }
    }
    det.verdict()
}

fn assert_not_ws(msgs: &[(bool, Vec<u8>)], label: &str) {
    for mss in [1448usize, 536, 100] {
        let v = feed_msgs(msgs, mss);
        assert_ne!(v, Verdict::WebSocket, "{label} mss {mss}");
    }
    // Also starting the capture later.
    for skip in 1..msgs.len().min(4) {
        let v = feed_msgs(&msgs[skip..], 1448);
        assert_ne!(v, Verdict::WebSocket, "{label} skip {skip}");
    }
}

#[test]
fn http_keepalive_with_ws_like_bodies() {
    let mut msgs = Vec::new();
    for i in 0..20 {
        let body: Vec<u8> = [&[0x81u8, 0x05][..], b"Hello", &[0x82, 0x03, 1, 2, 3][..]].concat();
        let req = format!(
            "POST /api/{i} HTTP/1.1\r\nHost: example.com\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: keep-alive\r\n\r\n",
            body.len()
        );
        msgs.push((true, [req.as_bytes(), &body].concat()));
        let rbody = [&[0x81u8, 0x05][..], b"World"].concat();
        let resp = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nServer: x\r\n\r\n",
            rbody.len()
        );
        msgs.push((false, [resp.as_bytes(), &rbody].concat()));
    }
    assert_not_ws(&msgs, "http");
    // Bodies sent as separate segments (headers first, then body).
    let mut split = Vec::new();
    for (d, m) in &msgs {
        let p = m.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        split.push((*d, m[..p].to_vec()));
        split.push((*d, m[p..].to_vec()));
    }
    assert_not_ws(&split, "http split");
    // Only bodies (capture of a binary-body API, bodies in own segments).
    let bodies: Vec<_> = split.iter().skip(1).step_by(2).cloned().collect();
    assert_not_ws(&bodies, "http bodies");
}

#[test]
fn tls_records() {
    let mut rng = Rng(1);
    let mut msgs = Vec::new();
    let mut hello = vec![
        0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00, 0x00, 0xc4, 0x03, 0x03,
    ];
    hello.extend(rng.bytes(0xc8 - 6));
    msgs.push((true, hello));
    let mut sh = vec![0x16, 0x03, 0x03, 0x00, 0x7a, 0x02];
    sh.extend(rng.bytes(0x79));
    sh.extend_from_slice(&[0x14, 0x03, 0x03, 0x00, 0x01, 0x01]);
    msgs.push((false, sh));
    for i in 0..30 {
        let n = [40usize, 300, 1400, 5000, 16_401][i % 5];
        let mut r = vec![0x17, 0x03, 0x03];
        r.extend_from_slice(&(n as u16).to_be_bytes());
        r.extend(rng.bytes(n));
        msgs.push((i % 2 == 0, r));
    }
    assert_not_ws(&msgs, "tls");
}

#[test]
fn ssh() {
    let mut rng = Rng(2);
    let mut msgs = vec![
        (
            false,
            b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n".to_vec(),
        ),
        (true, b"SSH-2.0-OpenSSH_9.6\r\n".to_vec()),
    ];
    for i in 0..30 {
        let n = [28usize, 60, 1000, 36, 300][i % 5];
        let mut p = (n as u32).to_be_bytes().to_vec();
        p.push(4 + (i % 8) as u8); // padding length
        p.push(if i < 2 { 20 } else { 94 });
        p.extend(rng.bytes(n - 2));
        p.extend(rng.bytes(32)); // MAC
        msgs.push((i % 2 == 0, p));
    }
    assert_not_ws(&msgs, "ssh");
}

#[test]
fn redis_resp() {
    let mut msgs = Vec::new();
    for i in 0..30 {
        let v = format!("value-{i}-{}", "x".repeat(i * 7));
        let cmd = format!(
            "*3\r\n$3\r\nSET\r\n${}\r\nkey:{i:04}\r\n${}\r\n{v}\r\n",
            8,
            v.len()
        );
        msgs.push((true, cmd.into_bytes()));
        msgs.push((false, b"+OK\r\n".to_vec()));
        msgs.push((
            true,
            format!("*2\r\n$3\r\nGET\r\n$8\r\nkey:{i:04}\r\n").into_bytes(),
        ));
        msgs.push((false, format!("${}\r\n{v}\r\n", v.len()).into_bytes()));
    }
    assert_not_ws(&msgs, "redis");
}

#[test]
fn postgresql() {
    let mut msgs = Vec::new();
    // StartupMessage
    let params = b"user\0alice\0database\0app\0\0";
    let mut s = ((8 + params.len()) as u32).to_be_bytes().to_vec();
    s.extend_from_slice(&196608u32.to_be_bytes());
    s.extend_from_slice(params);
    msgs.push((true, s));
    // AuthenticationOk, ParameterStatus, ReadyForQuery
    let mut r = vec![b'R', 0, 0, 0, 8, 0, 0, 0, 0];
    r.extend_from_slice(b"S\0\0\0\x19client_encoding\0UTF8\0");
    r.extend_from_slice(b"Z\0\0\0\x05I");
    msgs.push((false, r));
    for i in 0..25 {
        let q = format!("SELECT * FROM t WHERE id = {i}\0");
        let mut m = vec![b'Q'];
        m.extend_from_slice(&((4 + q.len()) as u32).to_be_bytes());
        m.extend_from_slice(q.as_bytes());
        msgs.push((true, m));
        let mut resp = vec![b'T', 0, 0, 0, 0x1b, 0, 1];
        resp.extend_from_slice(b"id\0\0\0\x40\x01\0\x01\0\0\0\x17\0\x04\xff\xff\xff\xff\0\0");
        for j in 0..(i % 4 + 1) {
            let val = format!("{}", i * 100 + j);
            resp.push(b'D');
            resp.extend_from_slice(&((10 + val.len()) as u32).to_be_bytes());
            resp.extend_from_slice(&[0, 1]);
            resp.extend_from_slice(&(val.len() as u32).to_be_bytes());
            resp.extend_from_slice(val.as_bytes());
        }
        resp.extend_from_slice(b"C\0\0\0\x0dSELECT 1\0Z\0\0\0\x05I");
        msgs.push((false, resp));
    }
    assert_not_ws(&msgs, "postgres");
}

#[test]
fn smtp() {
    let lines: &[(bool, &str)] = &[
        (false, "220 mail.example.com ESMTP Postfix\r\n"),
        (true, "EHLO client.example.org\r\n"),
        (
            false,
            "250-mail.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n",
        ),
        (true, "MAIL FROM:<a@example.org>\r\n"),
        (false, "250 2.1.0 Ok\r\n"),
        (true, "RCPT TO:<b@example.com>\r\n"),
        (false, "250 2.1.5 Ok\r\n"),
        (true, "DATA\r\n"),
        (false, "354 End data with <CR><LF>.<CR><LF>\r\n"),
        (
            true,
            "Subject: hi\r\n\r\nHello there, this is a test message.\r\n.\r\n",
        ),
        (false, "250 2.0.0 Ok: queued as 12345\r\n"),
        (true, "QUIT\r\n"),
        (false, "221 2.0.0 Bye\r\n"),
    ];
    let msgs: Vec<_> = lines
        .iter()
        .map(|(d, s)| (*d, s.as_bytes().to_vec()))
        .collect();
    assert_not_ws(&msgs, "smtp");
}

#[test]
fn binary_81_05_length_prefixed_protocol() {
    // 81 05 + 12 bytes records, both directions unmasked, with various
    // record contents; records batched several per segment.
    let mut rng = Rng(4);
    for content in 0..4 {
        let mut msgs = Vec::new();
        for i in 0..40u32 {
            let mut m = Vec::new();
            for j in 0..(1 + i % 5) {
                m.extend_from_slice(&[0x81, 0x05]);
                let body: Vec<u8> = match content {
                    0 => [&(i * 8 + j).to_be_bytes()[..], &[0u8; 8][..]].concat(),
                    1 => b"hello world!".to_vec(),
                    2 => rng.bytes(12),
                    _ => [&[0x81u8, 0x05][..], &rng.bytes(10)[..]].concat(),
                };
                m.extend_from_slice(&body);
            }
            msgs.push((i % 2 == 0, m));
        }
        assert_not_ws(&msgs, &format!("81-05 content {content}"));
    }
}

#[test]
fn zero_padding_and_constant_data() {
    for b in [0x00u8, 0x80, 0x89, 0xFF, 0x20] {
        let msgs: Vec<_> = (0..20).map(|i| (i % 2 == 0, vec![b; 1448])).collect();
        assert_not_ws(&msgs, &format!("constant {b:02x}"));
    }
    // Repeated empty pings in both directions unmasked: sane frames, but
    // the masking rule says not WebSocket.
    let msgs: Vec<_> = (0..20)
        .map(|i| (i % 2 == 0, [0x89u8, 0x00].repeat(50)))
        .collect();
    assert_eq!(feed_msgs(&msgs, 1448), Verdict::NotWebSocket);
}

/// Random streams: 8 segments of random length 1..=1448, random direction,
/// contiguous sequence numbers per direction. Returns counts of
/// (WebSocket, Undecided, NotWebSocket).
fn random_run(seed: u64, streams: usize, segs_per_stream: usize) -> [usize; 3] {
    let mut rng = Rng(seed);
    let mut out = [0usize; 3];
    for _ in 0..streams {
        let mut det = Detector::new();
        let mut seq = [rng.next() as u32, rng.next() as u32];
        let mut v = Verdict::Undecided;
        for k in 0..segs_per_stream {
            let d = if k == 0 { 0 } else { rng.below(2) as usize };
            let n = 1 + rng.below(1448) as usize;
            let data = rng.bytes(n);
            v = det.feed(if d == 0 { Dir::A } else { Dir::B }, seq[d], &data);
            seq[d] = seq[d].wrapping_add(n as u32);
            if v != Verdict::Undecided {
                break;
            }
        }
        if v == Verdict::WebSocket {
            eprintln!(
                "FP: {:#?}",
                det.dirs
                    .iter()
                    .map(|d| (d.ev, d.segs, d.masked(), d.confirmed))
                    .collect::<Vec<_>>()
            );
        }
        out[match v {
            Verdict::WebSocket => 0,
            Verdict::Undecided => 1,
            Verdict::NotWebSocket => 2,
        }] += 1;
    }
    out
}

#[test]
fn random_data_never_websocket() {
    let r = random_run(0x9E37_79B9_7F4A_7C15, 1000, 8);
    eprintln!("random 1000x8: ws/undecided/not = {r:?}");
    assert_eq!(r[0], 0, "false positives");
    let r = random_run(42, 300, 40);
    eprintln!("random 300x40: ws/undecided/not = {r:?}");
    assert_eq!(r[0], 0, "false positives");
}

#[test]
#[ignore]
fn random_data_large() {
    let r = random_run(0xDEAD_BEEF, 100_000, 8);
    eprintln!("random 100000x8: ws/undecided/not = {r:?}");
    let r2 = random_run(0xFEED, 20_000, 40);
    eprintln!("random 20000x40: ws/undecided/not = {r2:?}");
    assert_eq!(r[0] + r2[0], 0);
}

#[test]
fn random_then_websocket_never_misattributes() {
    // Random garbage first, then a real session: never a wrong client.
    let mut rng = Rng(77);
    let ev = session(&mut rng, false);
    let segs = segments(&ev, 1448, 0, 0);
    let mut det = Detector::new();
    let g = rng.bytes(700);
    det.feed(Dir::A, 0, &g);
    let _ = run(&mut det, &segs, true);
    if det.verdict() == Verdict::WebSocket {
        assert_eq!(det.client_dir(), Some(Dir::A));
    }
}

#[test]
fn segment_cap() {
    // A direction stuck inside a huge frame: NotWebSocket after MAX_SEGMENTS segments.
    let mut det = Detector::new();
    let mut f = vec![0x82, 0x7F, 0, 0, 0, 0x10, 0, 0, 0, 0];
    f.extend(std::iter::repeat_n(b'a', 1438));
    let mut seq = 0u32;
    let v = det.feed(Dir::B, seq, &f);
    assert_eq!(v, Verdict::Undecided);
    seq += f.len() as u32;
    let mut n = 1;
    while det.verdict() == Verdict::Undecided {
        det.feed(Dir::B, seq, &[b'a'; 1448]);
        seq = seq.wrapping_add(1448);
        n += 1;
        assert!(n <= 128);
    }
    assert_eq!(det.verdict(), Verdict::NotWebSocket);
}

#[test]
fn sync_offset_and_pending_simple() {
    // tail of a previous frame (5 bytes of JSON text) then two server frames,
    // the second cut by the segment end.
    let mut seg = b"ok\"}]".to_vec();
    seg.extend(Frame::text(b"{\"a\":1}").encode());
    let f2 = Frame::binary(&[7u8; 300]).encode();
    seg.extend_from_slice(&f2[..100]);
    let mut det = Detector::new();
    assert_eq!(det.feed(Dir::A, 10, &seg), Verdict::Undecided);
    assert!(det.in_sync(Dir::A));
    assert_eq!(det.sync_offset(Dir::A), Some(5));
    assert_eq!(det.pending(Dir::A), (f2.len() - 100) as u64);
    // continue: rest of f2, then a ping
    let mut seg2 = f2[100..].to_vec();
    seg2.extend(Frame::ping(b"").encode());
    det.feed(Dir::A, 10 + seg.len() as u32, &seg2);
    assert_eq!(det.sync_offset(Dir::A), Some(f2.len() - 100));
    assert_eq!(det.pending(Dir::A), 0);
}

#[test]
fn utf8_checker() {
    let mut c = 0;
    let mut chk = |b: &[u8]| check_utf8(b.iter().copied(), &mut c);
    assert_eq!(chk("héllo €𝄞".as_bytes()), Utf8::Valid);
    assert_eq!(chk(&"€".as_bytes()[..2]), Utf8::Truncated);
    assert_eq!(chk(&[0xC0, 0x80]), Utf8::Invalid);
    assert_eq!(chk(&[0xED, 0xA0, 0x80]), Utf8::Invalid);
    assert_eq!(chk(&[0xF4, 0x90, 0x80, 0x80]), Utf8::Invalid);
    assert_eq!(chk(&[0xE0, 0x80]), Utf8::Invalid);
    // agrees with std on random input
    let mut rng = Rng(9);
    for _ in 0..20000 {
        let n = rng.below(8) as usize;
        let b: Vec<u8> = (0..n)
            .map(|_| {
                let r = rng.next() as u8;
                [0x41, 0x80, 0xBF, 0xC3, 0xE2, 0xF0, 0xED, 0xF4, r][rng.below(9) as usize]
            })
            .collect();
        let want = match std::str::from_utf8(&b) {
            Ok(_) => Utf8::Valid,
            Err(e) if e.error_len().is_none() => Utf8::Truncated,
            Err(_) => Utf8::Invalid,
        };
        assert_eq!(chk(&b), want, "{b:02x?}");
    }
}

#[test]
fn header_cut_over_several_segments_keeps_its_first_bytes() {
    // A 4-byte header (16-bit length) arrives one byte per segment: the bytes carried over must
    // accumulate (the fuzzer found the first byte dropped, which misaligned the next header).
    let f1 = Frame::text(b"{\"a\":1}").encode();
    let f2 = Frame::binary(&[7u8; 300]).encode();
    let f3 = Frame::text(b"ok").encode();
    assert_eq!(&f2[..4], &[0x82, 0x7E, 0x01, 0x2C]);
    let mut seg1 = f1.clone();
    seg1.push(f2[0]);
    let mut seg4 = f2[3..].to_vec();
    seg4.extend_from_slice(&f3);
    let segs: [&[u8]; 4] = [&seg1, &f2[1..2], &f2[2..3], &seg4];
    let mut det = Detector::follower();
    let mut seq = 5000u32;
    for s in segs {
        det.feed(Dir::A, seq, s);
        seq = seq.wrapping_add(s.len() as u32);
        assert!(det.in_sync(Dir::A));
    }
    assert!(det.confirmed(Dir::A));
    assert_eq!(det.frames_seen(Dir::A), 3);
    assert_eq!(det.pending(Dir::A), 0);
    assert!(det.partial_header(Dir::A).is_empty());
}

/// The tail of a big binary frame begun before the capture: zeros (no chain starts in them),
/// with a bogus binary header at offset 100 whose length runs past the segment end, then the real
/// frame boundary at offset 300: a binary frame of 4000 bytes, cut by the segment end.
fn tail_with_bogus_header(bogus_len: u64) -> (Vec<u8>, Vec<u8>) {
    let mut seg = vec![0u8; 300];
    let bogus = crate::core::testutil::header(0x82, None, bogus_len);
    seg[100..100 + bogus.len()].copy_from_slice(&bogus);
    let real = Frame::binary(&[0u8; 4000]).encode();
    seg.extend_from_slice(&real[..1004]);
    (seg, real[1004..].to_vec())
}

#[test]
fn bogus_header_before_the_real_boundary_refuted_by_the_next_segment() {
    // The bogus header (4096 bytes) predicts a header 2896 bytes into the next segment, where
    // the real frame's zeros are: refuted. The real boundary, found by the same search, is
    // continued by the next segment's headers exactly where it predicted.
    let (seg, mut rest) = tail_with_bogus_header(4096);
    rest.extend(Frame::text(b"hello").encode());
    rest.extend(Frame::binary(b"abc").encode());
    let mut det = Detector::new();
    det.feed(Dir::A, 1000, &seg);
    assert!(det.in_sync(Dir::A));
    assert!(!det.settled(Dir::A), "two chains cover the segment");
    det.feed(Dir::A, 1000 + seg.len() as u32, &rest);
    assert!(det.confirmed(Dir::A));
    assert_eq!(det.chain_start(Dir::A), Some(1300));
    assert_eq!(det.frames_seen(Dir::A), 3);
    assert_eq!(det.pending(Dir::A), 0);
}

#[test]
fn bogus_header_with_a_huge_length_does_not_hide_the_real_boundary() {
    // The bogus header claims 65536 bytes: it takes the whole next segment as payload, while the
    // real boundary's chain continues there with headers where predicted. The real one wins.
    let (seg, mut rest) = tail_with_bogus_header(65536);
    rest.extend(Frame::text(b"hello").encode());
    rest.extend(Frame::binary(b"abc").encode());
    let mut det = Detector::new();
    det.feed(Dir::A, 1000, &seg);
    det.feed(Dir::A, 1000 + seg.len() as u32, &rest);
    assert!(det.confirmed(Dir::A));
    assert_eq!(det.chain_start(Dir::A), Some(1300));
    assert_eq!(det.keep_from(Dir::A), Some(1300));
}

#[test]
fn no_short_decision_on_an_ambiguous_side() {
    // Server (A): the tail of a frame with a bogus header inside, then its real Text frame
    // ending exactly at the segment end. Client (B): a masked Ping, then a masked Close. Three
    // frames, a Close from a side with two: the short rule would decide, but the server's sync
    // is not settled (the bogus chain predicts something else). Its next segment (the Pong, the
    // Close) settles it on the real boundary, and the connection is decided.
    let mut s1 = vec![0u8; 300];
    let bogus = crate::core::testutil::header(0x82, None, 4096);
    s1[100..100 + bogus.len()].copy_from_slice(&bogus);
    s1.extend(Frame::text(b"{\"price\":1}").encode());
    let mut det = Detector::new();
    assert_eq!(det.feed(Dir::A, 5000, &s1), Verdict::Undecided);
    assert!(!det.settled(Dir::A));
    let ping = Frame::ping(b"hb").masked([9, 8, 7, 6]).encode();
    assert_eq!(det.feed(Dir::B, 100, &ping), Verdict::Undecided);
    let close = Frame::close(&1000u16.to_be_bytes())
        .masked([1, 2, 3, 4])
        .encode();
    assert_eq!(
        det.feed(Dir::B, 100 + ping.len() as u32, &close),
        Verdict::Undecided
    );
    let mut s2 = Frame::pong(b"hb").encode();
    s2.extend(Frame::close(&1000u16.to_be_bytes()).encode());
    assert_eq!(
        det.feed(Dir::A, 5000 + s1.len() as u32, &s2),
        Verdict::WebSocket
    );
    assert_eq!(det.chain_start(Dir::A), Some(5300));
    assert_eq!(det.client_dir(), Some(Dir::B));
}

/// The first-byte test is check_partial_header's on a fresh state, for every byte value.
#[test]
fn first_byte_test_is_the_partial_header_test() {
    for b0 in 0..=255u8 {
        for masked in [None, Some(true), Some(false)] {
            assert_eq!(
                FRESH_B0_OK[usize::from(b0)],
                check_partial_header(&[b0], &ChainState::fresh(masked)),
                "{b0:#04x}"
            );
        }
    }
}

/// The header length table is parse_header's header length.
#[test]
fn header_length_table_is_the_parsers() {
    for b1 in 0..=255u8 {
        let buf = [0x82, b1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let Status::Complete(h) = parse_header(&buf) else {
            panic!("{b1:#04x}");
        };
        assert_eq!(
            usize::from(HEADER_LEN[usize::from(b1)]),
            h.header_len,
            "{b1:#04x}"
        );
        assert!(matches!(
            parse_header(&buf[..h.header_len - 1]),
            Status::Partial
        ));
    }
}

/// The search's shortcut agrees with the chain: an offset it skips is one whose chain fails on
/// its first header, having charged the budget exactly what the shortcut charges.
#[test]
fn first_header_shortcut_matches_the_chain() {
    let mut rng = Rng(0x5eed_f00d);
    let mut skipped = 0;
    for round in 0..400 {
        let len = 1 + (rng.next() % 64) as usize;
        let seg: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let masked = [None, Some(true), Some(false)][round % 3];
        for k in 0..len {
            let Some(complete) = first_header_rejected(&seg, k, masked) else {
                continue;
            };
            skipped += 1;
            let mut budget = SEARCH_BUDGET;
            let r = run_chain(&seg, k, &[], ChainState::fresh(masked), &mut budget);
            assert!(
                matches!(r, Err(ChainErr::Insane)),
                "{seg:02x?} at {k}: {r:?}"
            );
            let charged = if complete { HEADER_COST } else { 0 };
            assert_eq!(SEARCH_BUDGET - budget, charged, "{seg:02x?} at {k}");
        }
    }
    assert!(skipped > 5000, "{skipped}");
}

/// The search as it was written before its skip of rejected runs: every offset tried in turn.
fn find_sync_one_by_one(seg: &[u8], masked: Option<bool>, min_frames: u32, budget: u64) -> Search {
    let limit = seg.len().min(SEARCH_WINDOW);
    let mut budget = budget;
    let mut inconclusive = false;
    let mut found: Vec<(usize, Chain)> = Vec::new();
    for k in 0..limit {
        if k < seg.len().min(EXAMINE_WINDOW) {
            if let Some(complete) = first_header_rejected(seg, k, masked) {
                if complete && !take(&mut budget, HEADER_COST) {
                    inconclusive = true;
                    break;
                }
                continue;
            }
        }
        let chain = run_chain(seg, k, &[], ChainState::fresh(masked), &mut budget);
        if !keep_chain(&mut found, &mut inconclusive, k, chain, min_frames) {
            break;
        }
    }
    conclude(found, inconclusive)
}

/// The search that skips runs of offsets rejected by their first byte finds what trying every
/// offset finds: on random bytes, on bytes rich in header-like values, on real frame streams cut
/// anywhere, with the full budget and with budgets small enough to run out mid-search.
#[test]
fn run_skipping_search_matches_the_offset_by_offset_search() {
    let mut rng = Rng(0x0ff5_e75e);
    let likely = [
        0x81u8, 0x82, 0x01, 0x02, 0x00, 0x80, 0x88, 0x89, 0x8a, 0x7e, 0x7f, 0x05, 0xfe, 0x41, 0xc1,
    ];
    let mut found = 0;
    let mut inconclusive = 0;
    for round in 0..1500 {
        let len = 1 + (rng.next() % 1600) as usize;
        let seg: Vec<u8> = match round % 3 {
            0 => (0..len).map(|_| rng.next() as u8).collect(),
            1 => (0..len)
                .map(|_| likely[(rng.next() % likely.len() as u64) as usize])
                .collect(),
            _ => {
                let mut s = Vec::new();
                while s.len() < len + 200 {
                    let n = (rng.next() % 300) as usize;
                    let payload: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
                    let f = if rng.next().is_multiple_of(2) {
                        Frame::text(&payload)
                    } else {
                        Frame::binary(&payload)
                    };
                    s.extend(f.encode());
                }
                let cut = (rng.next() % 150) as usize;
                s[cut..cut + len].to_vec()
            }
        };
        let masked = [None, Some(true), Some(false)][round % 3];
        let min_frames = 1 + (round % 4) as u32;
        for budget in [SEARCH_BUDGET, 16 * (rng.next() % 2000), rng.next() % 5000] {
            let a = find_sync_within(&seg, masked, min_frames, budget);
            let b = find_sync_one_by_one(&seg, masked, min_frames, budget);
            match &a {
                Search::Found { .. } => found += 1,
                Search::Inconclusive => inconclusive += 1,
                Search::NoChain => {}
            }
            assert_eq!(a, b, "round {round}, budget {budget}: {seg:02x?}");
        }
    }
    assert!(found > 300 && inconclusive > 300, "{found} {inconclusive}");
}
