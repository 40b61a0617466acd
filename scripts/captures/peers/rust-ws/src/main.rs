//! Rust tungstenite peer for the recall captures: `server ADDR` or `client URL`.
//! The client sends texts of several sizes, a 70,000-byte binary message, a ping and
//! 30 small texts, then closes with 1000; the server echoes every data message.
use std::net::{TcpListener, TcpStream};
use tungstenite::{accept, client, Message};

fn server(addr: &str) {
    let listener = TcpListener::bind(addr).expect("bind");
    let (stream, _) = listener.accept().expect("accept");
    stream.set_nodelay(true).ok();
    let mut ws = accept(stream).expect("handshake");
    loop {
        match ws.read() {
            Ok(m @ (Message::Text(_) | Message::Binary(_))) => ws.send(m).expect("send"),
            Ok(Message::Close(_)) => {
                // tungstenite answers the Close itself; flush it out.
                let _ = ws.flush();
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
}

fn client_run(url: &str) {
    let host = url.trim_start_matches("ws://");
    let hostport = host.split('/').next().unwrap();
    let stream = TcpStream::connect(hostport).expect("connect");
    stream.set_nodelay(true).ok();
    let (mut ws, _) = client(url, stream).expect("handshake");
    let mut expect = 0;
    for (i, n) in [5usize, 120, 126, 1000, 3000].iter().enumerate() {
        let t: String = std::iter::repeat("abcdefghij").take(n / 10 + 1).collect();
        ws.send(Message::Text(format!("{i}:{}", &t[..*n]))).unwrap();
        expect += 1;
    }
    let bin: Vec<u8> = (0..70_000u32).map(|i| (i * 7 % 251) as u8).collect();
    ws.send(Message::Binary(bin)).unwrap();
    expect += 1;
    ws.send(Message::Ping(b"rust-ping".to_vec())).unwrap();
    for i in 0..30 {
        ws.send(Message::Text(format!("small {i}"))).unwrap();
        expect += 1;
    }
    let mut got = 0;
    while got < expect {
        match ws.read().expect("read") {
            Message::Text(_) | Message::Binary(_) => got += 1,
            _ => {}
        }
    }
    ws.close(None).unwrap();
    while ws.read().is_ok() {}
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("server") => server(&args[2]),
        Some("client") => client_run(&args[2]),
        _ => eprintln!("usage: wsk-rust-ws-peer server ADDR | client URL"),
    }
}
