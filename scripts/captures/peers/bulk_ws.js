#!/usr/bin/env node
// Node `ws` peers for the bulk captures (scripts/captures/make-bulk-captures.sh, tests/captures/BULK.md).
//
// Usage: node bulk_ws.js <server|client> HOST PORT MESSAGES SEED SUMMARYFILE
//
// MESSAGES messages in total over one connection, message i sent by the client when i is even
// and by the server when it is odd, both sides sending at once (each reads while it writes).
// Sizes and kinds come from a seeded PRNG, the same on both sides:
//   60% 0..125 bytes (text), 30% 126..65536 bytes (binary), 10% 65537..98304 bytes (binary).
// Receivers are deliberately slow (WSK_BULK_SLOW=pause, the default): after some messages a side
// stops reading its socket (`ws.pause()`) for 5..60 ms, and every LONG_EVERY messages for
// 350..650 ms, so that the peer's window fills and its kernel sends zero-window probes. The client masks (the library
// does) and closes (1000 "bulk done") once it has sent and received everything; the server
// echoes the close. No compression, no pings.
//
// Knobs for scripts/dev/bench.sh (the defaults make the committed captures): WSK_BULK_MIX=small sends
// only 0..125-byte text messages (many frames per segment); WSK_BULK_SCALE=S divides every size
// by S; WSK_BULK_DEFLATE=1 negotiates permessage-deflate (every message compressed).
//
// SUMMARYFILE gets one JSON line: what this side sent (counts by kind and length form, payload
// bytes, a sha256 over the payloads in send order) and how many messages it received.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const { WebSocket, WebSocketServer } = require('ws');

const [mode, host, portStr, totalStr, seedStr, summaryPath] = process.argv.slice(2);
const port = Number(portStr);
const total = Number(totalStr);
const seed = Number(seedStr);
if (!['server', 'client'].includes(mode) || !host || !port || !total || !summaryPath) {
  console.error('usage: bulk_ws.js server|client HOST PORT MESSAGES SEED SUMMARYFILE');
  process.exit(2);
}

const DEFLATE = process.env.WSK_BULK_DEFLATE === '1';
const MIX = process.env.WSK_BULK_MIX || 'bulk';
const SCALE = Math.max(1, Number(process.env.WSK_BULK_SCALE || 1));
const OPTS = {
  perMessageDeflate: DEFLATE ? { threshold: 0, serverNoContextTakeover: false, clientNoContextTakeover: false } : false,
  maxPayload: 0,
};
// How receivers fall behind (WSK_BULK_SLOW): "pause" (default) stops reading now and then,
// "busy" spends CPU on every message received (~1 ms per 64 KiB), "none" reads at full speed.
const SLOW = process.env.WSK_BULK_SLOW || 'pause';
const HIGH_WATER = 1 << 20; // stop queueing sends above 1 MiB buffered
const LONG_EVERY = 400; // received messages between two long pauses

// mulberry32: a small seeded PRNG (the same sequence on both sides).
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

// The whole plan (both sides): [{i, size, text}].
function plan() {
  const r = prng(seed);
  const out = [];
  for (let i = 0; i < total; i++) {
    const x = r();
    if (MIX === 'small') out.push({ i, size: between(r, 0, 125), text: true });
    else if (x < 0.6) out.push({ i, size: between(r, 0, 125), text: true });
    else if (x < 0.9) out.push({ i, size: Math.floor(between(r, 126, 65536) / SCALE), text: false });
    else out.push({ i, size: Math.floor(between(r, 65537, 98304) / SCALE), text: false });
  }
  return out;
}

// Payloads: text from a fixed sentence; binary from a 4 KiB pseudo-random block repeated
// (compressible, so the committed captures stay small), starting at a per-message offset.
const SENTENCE = 'The quick brown fox jumps over the lazy dog 0123456789. ';
const BLOCK = (() => {
  const r = prng(0x5eed);
  const b = Buffer.alloc(4096);
  for (let k = 0; k < b.length; k++) b[k] = Math.floor(r() * 256);
  return Buffer.concat(Array(26).fill(b)); // > 98304 + 4096
})();
function payload(m) {
  if (m.text) return SENTENCE.repeat(3).slice(0, m.size);
  const off = (m.i * 61) % 4096;
  return BLOCK.subarray(off, off + m.size);
}

function run(ws) {
  const mine = plan().filter((m) => (m.i % 2 === 0) === (mode === 'client'));
  const expect = total - mine.length;
  const r = prng(seed ^ (mode === 'client' ? 0x1111 : 0x2222));
  const hash = crypto.createHash('sha256');
  const sent = { text: 0, binary: 0, payload_bytes: 0, len7: 0, len16: 0, len64: 0 };
  let received = 0;
  let sendDone = false;
  let pauses = 0;
  let longPauses = 0;

  const finish = () => {
    if (mode === 'client' && sendDone && received === expect) ws.close(1000, 'bulk done');
  };

  ws.on('message', (data) => {
    received += 1;
    if (SLOW === 'busy') {
      const until = process.hrtime.bigint() + BigInt(data.length * 16);
      while (process.hrtime.bigint() < until);
    } else if (SLOW !== 'pause') {
      // full speed
    } else if (received % LONG_EVERY === LONG_EVERY / 2) {
      longPauses += 1;
      ws.pause();
      setTimeout(() => ws.resume(), between(r, 350, 650));
    } else if (r() < 0.03) {
      pauses += 1;
      ws.pause();
      setTimeout(() => ws.resume(), between(r, 5, 60));
    }
    finish();
  });

  ws.on('close', (code) => {
    const rec = {
      dir: mode,
      sent: mine.length,
      ...sent,
      sha256: hash.digest('hex'),
      received,
      expected: expect,
      pauses,
      long_pauses: longPauses,
      close_code: code,
    };
    fs.writeFileSync(summaryPath, JSON.stringify(rec) + '\n');
    if (received !== expect) {
      console.error(`${mode}: received ${received} of ${expect} messages`);
      process.exitCode = 1;
    }
    setTimeout(() => process.exit(), 200);
  });

  const waitDrain = () =>
    new Promise((resolve) => {
      const check = () => (ws.bufferedAmount < HIGH_WATER / 2 ? resolve() : setTimeout(check, 2));
      check();
    });

  (async () => {
    for (const m of mine) {
      const data = payload(m);
      ws.send(data, { binary: !m.text });
      hash.update(data);
      sent[m.text ? 'text' : 'binary'] += 1;
      sent.payload_bytes += m.size;
      sent[m.size < 126 ? 'len7' : m.size < 65536 ? 'len16' : 'len64'] += 1;
      if (ws.bufferedAmount > HIGH_WATER) await waitDrain();
    }
    sendDone = true;
    finish();
  })();
}

if (mode === 'server') {
  const wss = new WebSocketServer({ host, port, ...OPTS });
  wss.on('connection', (ws) => {
    ws.on('close', () => wss.close());
    run(ws);
  });
} else {
  const ws = new WebSocket(`ws://${host}:${port}/bulk`, OPTS);
  ws.on('open', () => run(ws));
  ws.on('error', (e) => {
    console.error('client: ' + e.message);
    process.exit(1);
  });
}
