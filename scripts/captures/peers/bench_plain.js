#!/usr/bin/env node
// Non-WebSocket peers for scripts/dev/bench.sh: the captures on which the plugin must cost nothing.
//
// Usage: node bench_plain.js <tcp|http|tls> <server|client> HOST PORT UNITS SEED [CERTDIR]
//
//   tcp   one TCP connection, both sides sending UNITS chunks at once (sizes from a seeded PRNG:
//         60% 1..125 bytes, 30% 126..65536, 10% 65537..98304, as the WebSocket bulk mix), each
//         side reading everything the other sends. Not HTTP, not TLS: bytes of a 4 KiB
//         pseudo-random block.
//   http  HTTP/1.1 with keep-alive: the client sends UNITS requests over 4 persistent
//         connections (a keep-alive agent), half GET and half POST with a body; the server answers
//         each with a body; body sizes from the same mix. Content-Length framing (no chunking).
//   tls   TLS (Node's default, TLS 1.3) over one connection: the same chunk exchange as `tcp`.
//         CERTDIR holds key.pem and cert.pem (a throw-away self-signed pair).
//
// Prints one summary line (units, bytes each way) on stderr.
'use strict';

const fs = require('fs');
const http = require('http');
const net = require('net');
const tls = require('tls');

const [kind, mode, host, portStr, unitsStr, seedStr, certDir] = process.argv.slice(2);
const port = Number(portStr);
const units = Number(unitsStr);
const seed = Number(seedStr);
if (!['tcp', 'http', 'tls'].includes(kind) || !['server', 'client'].includes(mode) || !port || !units) {
  console.error('usage: bench_plain.js tcp|http|tls server|client HOST PORT UNITS SEED [CERTDIR]');
  process.exit(2);
}

function prng(s) {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const between = (r, lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
function sizes(n, s) {
  const r = prng(s);
  const out = [];
  for (let i = 0; i < n; i++) {
    const x = r();
    if (x < 0.6) out.push(between(r, 1, 125));
    else if (x < 0.9) out.push(between(r, 126, 65536));
    else out.push(between(r, 65537, 98304));
  }
  return out;
}
const BLOCK = (() => {
  const r = prng(0xb10c);
  const b = Buffer.alloc(4096);
  for (let k = 0; k < b.length; k++) b[k] = Math.floor(r() * 256);
  return Buffer.concat(Array(26).fill(b));
})();
const chunk = (i, n) => BLOCK.subarray((i * 61) % 4096, ((i * 61) % 4096) + n);

// tcp and tls: both sides send their share while reading the other's; `done` once both are over.
function exchange(sock, mine, expectBytes, done) {
  let got = 0;
  let sent = 0;
  let i = 0;
  let finished = false;
  const check = () => {
    if (!finished && got >= expectBytes && i === mine.length) {
      finished = true;
      done(sent, got);
    }
  };
  sock.on('data', (d) => {
    got += d.length;
    check();
  });
  const pump = () => {
    while (i < mine.length) {
      const c = chunk(i, mine[i]);
      sent += c.length;
      i += 1;
      if (!sock.write(c)) {
        sock.once('drain', pump);
        return;
      }
    }
    check();
  };
  pump();
}

function streamPeer() {
  const all = sizes(units, seed);
  const cli = all.filter((_, i) => i % 2 === 0);
  const srv = all.filter((_, i) => i % 2 === 1);
  const sum = (a) => a.reduce((x, y) => x + y, 0);
  const mine = mode === 'client' ? cli : srv;
  const theirs = sum(mode === 'client' ? srv : cli);
  const opts = kind === 'tls' ? { key: fs.readFileSync(`${certDir}/key.pem`), cert: fs.readFileSync(`${certDir}/cert.pem`) } : {};
  const report = (sent, got) => console.error(`${kind} ${mode}: sent ${mine.length} chunks, ${sent} bytes; received ${got} bytes`);
  if (mode === 'server') {
    const onConn = (sock) => {
      exchange(sock, mine, theirs, (sent, got) => {
        report(sent, got);
        sock.end();
        server.close();
      });
    };
    const server = kind === 'tls' ? tls.createServer(opts, onConn) : net.createServer(onConn);
    server.listen(port, host);
  } else {
    const onReady = () =>
      exchange(sock, mine, theirs, (sent, got) => {
        report(sent, got);
        sock.end();
      });
    const sock = kind === 'tls'
      ? tls.connect({ host, port, rejectUnauthorized: false }, onReady)
      : net.connect({ host, port }, onReady);
    sock.on('error', (e) => {
      console.error(`client: ${e.message}`);
      process.exit(1);
    });
  }
}

function httpPeer() {
  const all = sizes(units * 2, seed);
  if (mode === 'server') {
    let n = 0;
    const server = http.createServer((req, res) => {
      const i = Number(new URL(req.url, 'http://x').searchParams.get('i'));
      let body = 0;
      req.on('data', (d) => (body += d.length));
      req.on('end', () => {
        const size = all[2 * i + 1];
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': size });
        res.end(chunk(i, size));
        n += 1;
        if (n === units) {
          console.error(`http server: answered ${n} requests`);
          setTimeout(() => server.close(), 200);
        }
      });
    });
    server.keepAliveTimeout = 60000;
    server.listen(port, host);
  } else {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    let done = 0;
    let inFlight = 0;
    let next = 0;
    const start = () => {
      while (inFlight < 8 && next < units) {
        const i = next++;
        inFlight += 1;
        const post = i % 2 === 1;
        const req = http.request(
          { host, port, agent, path: `/bench/item?i=${i}`, method: post ? 'POST' : 'GET',
            headers: post ? { 'Content-Type': 'application/octet-stream', 'Content-Length': all[2 * i] } : {} },
          (res) => {
            res.on('data', () => {});
            res.on('end', () => {
              inFlight -= 1;
              done += 1;
              if (done === units) {
                console.error(`http client: ${done} responses`);
                agent.destroy();
              } else start();
            });
          },
        );
        req.on('error', (e) => {
          console.error(`client: ${e.message}`);
          process.exit(1);
        });
        req.end(post ? chunk(i, all[2 * i]) : undefined);
      }
    };
    start();
  }
}

if (kind === 'http') httpPeer();
else streamPeer();
