#!/usr/bin/env node
// Node `ws` peers for the extra captures made by scripts/captures/make-captures-more.sh.
//
// Usage: node more_node.js MODE HOST PORT TRUTHFILE [SYNCDIR]
//   MODE: midstream-server | midstream-client | deflate-frag-server | deflate-frag-client
//
// SYNCDIR (midstream-client): the client creates SYNCDIR/ready when it has
// finished its warm-up, waits for SYNCDIR/go1 (the script has throttled the
// link), starts sending its 100 kB binary message, creates SYNCDIR/sending and
// waits for SYNCDIR/go2 (dumpcap is running) before it goes on.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { WebSocket, WebSocketServer } = require('ws');

const [mode, host, portStr, truthPath, syncDir] = process.argv.slice(2);
const port = Number(portStr);
if (!mode || !host || !port || !truthPath) {
  console.error('usage: more_node.js MODE HOST PORT TRUTHFILE [SYNCDIR]');
  process.exit(2);
}

fs.writeFileSync(truthPath, '');
const dir = mode.endsWith('-server') ? 'server' : 'client';
let counter = 0;

function log(type, payload, extra = {}) {
  const buf = Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'utf8');
  counter += 1;
  const rec = { dir, n: counter, type, len: buf.length };
  if (type === 'text') rec.text = buf.toString('utf8');
  rec.sha256 = crypto.createHash('sha256').update(buf).digest('hex');
  Object.assign(rec, extra);
  fs.appendFileSync(truthPath, JSON.stringify(rec) + '\n');
  return counter;
}

function closePayload(code, reason) {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code);
  return Buffer.concat([b, Buffer.from(reason, 'utf8')]);
}

function pattern(n, mul = 1) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * mul) % 251;
  return b;
}

function touch(name) {
  fs.writeFileSync(path.join(syncDir, name), '');
}

function waitFile(name, cb) {
  const p = path.join(syncDir, name);
  const t0 = Date.now();
  const iv = setInterval(() => {
    if (fs.existsSync(p)) {
      clearInterval(iv);
      cb();
    } else if (Date.now() - t0 > 60000) {
      console.error('timeout waiting for ' + p);
      process.exit(1);
    }
  }, 10);
}

function serve(opts, onConnection) {
  const wss = new WebSocketServer({ host, port, ...opts });
  wss.on('connection', (ws) => {
    ws.on('close', () => {
      wss.close();
      setTimeout(() => process.exit(0), 200);
    });
    onConnection(ws);
  });
}

// ------------------------------------------------------------ m_midstream_8080
const PLAIN = { perMessageDeflate: false };
const BIG = pattern(100000, 11);

function midstreamServer() {
  serve(PLAIN, (ws) => {
    ws.on('message', (data, isBinary) => {
      if (!isBinary && data.toString().startsWith('pre:')) {
        ws.send('pre-ack'); // warm-up, before the capture: not logged
        return;
      }
      let reply;
      if (isBinary && data.length === BIG.length) {
        reply = `got ${data.length} bytes`;
      } else if (!isBinary && data.toString() === 'last') {
        // two unsolicited server messages, then wait for the client's close
        for (const t of ['srv-push-1', pattern(700, 13)]) {
          ws.send(t, { binary: typeof t !== 'string' });
          log(typeof t === 'string' ? 'text' : 'binary', t);
        }
        return;
      } else {
        reply = 'ack:' + data.toString();
      }
      ws.send(reply);
      log('text', reply);
    });
  });
}

function midstreamClient() {
  const ws = new WebSocket(`ws://${host}:${port}/live`, PLAIN);
  let phase = 'warmup';
  let warm = 0;
  let pushes = 0;
  const smalls = ['s1', '{"k":"v2"}', 's3 ✓', 's4 small text', 'last'];
  let si = 0;
  const sendSmall = () => {
    const m = smalls[si++];
    ws.send(m);
    log('text', m);
  };
  ws.on('open', () => {
    ws.send('pre: warm-up 1');
  });
  ws.on('message', (data, isBinary) => {
    if (phase === 'warmup') {
      warm += 1;
      if (warm < 3) { ws.send(`pre: warm-up ${warm + 1}`); return; }
      phase = 'big';
      touch('ready');
      waitFile('go1', () => {
        ws.send(BIG, { binary: true });
        log('binary', BIG, {
          capture_starts_inside: true,
          note: 'sending started before dumpcap: the capture begins in the middle of this frame',
        });
        touch('sending');
        waitFile('go2', () => { phase = 'wait-got'; });
      });
      return;
    }
    const s = isBinary ? null : data.toString();
    if (s && s.startsWith('got ')) {
      const go = () => { if (phase === 'wait-got') { phase = 'small'; sendSmall(); } else setTimeout(go, 20); };
      go();
      return;
    }
    if (s && s.startsWith('ack:')) { sendSmall(); return; }
    // server pushes after 'last'
    pushes += 1;
    if (pushes === 2) {
      ws.close(1000, 'midstream done');
      log('close', closePayload(1000, 'midstream done'), { close_code: 1000, close_reason: 'midstream done' });
    }
  });
}

// --------------------------------------------------------- m_deflate_node_frag
const DEFLATE = { perMessageDeflate: { threshold: 0 } };
const JSONMSG = (i) => JSON.stringify({ event: 'update', seq: i, user: 'alice', room: 'lobby',
  text: 'compress me, compress me, compress me', flags: ['a', 'b', 'c'] });

function deflateServer() {
  serve(DEFLATE, (ws) => {
    ws.on('message', (data, isBinary) => {
      if (!isBinary && data.toString() === 'your turn') {
        // server-side fragmented compressed message, then a compressed text
        const parts = ['server fragment one; ', 'server fragment two; ', 'server fragment three.'];
        parts.forEach((p, i) => ws.send(p, { fin: i === parts.length - 1, compress: true }));
        log('text', parts.join(''), { compressed: true,
          fragments_uncompressed: parts.map((p) => Buffer.byteLength(p)) });
        const t = JSONMSG(99);
        ws.send(t, { compress: true });
        log('text', t, { compressed: true });
        return;
      }
      ws.send(data, { binary: isBinary, compress: true });
      log(isBinary ? 'binary' : 'text', data, { compressed: true });
    });
  });
}

function deflateClient() {
  const ws = new WebSocket(`ws://${host}:${port}/pmd`, DEFLATE);
  const steps = [];
  // 1-3: normal compressed texts (context takeover: later ones reuse the window)
  for (let i = 1; i <= 3; i++) steps.push(() => { const t = JSONMSG(i); ws.send(t, { compress: true }); log('text', t, { compressed: true }); });
  // 4: fragmented compressed text, 4 fragments
  steps.push(() => {
    const parts = ['fragmented compressed text, part 1; ', 'part 2 repeats part 1 a bit: part 1; ',
      'part 3; ', JSONMSG(4)];
    parts.forEach((p, i) => ws.send(p, { fin: i === parts.length - 1, compress: true }));
    log('text', parts.join(''), { compressed: true, fragments_uncompressed: parts.map((p) => Buffer.byteLength(p)),
      note: 'first frame opcode 1 RSV1=1 FIN=0, continuations RSV1=0' });
  });
  // 5: fragmented compressed binary, 3 fragments of 3000 bytes
  steps.push(() => {
    const parts = [pattern(3000, 1), pattern(3000, 1), pattern(3000, 3)];
    parts.forEach((p, i) => ws.send(p, { binary: true, fin: i === parts.length - 1, compress: true }));
    log('binary', Buffer.concat(parts), { compressed: true, fragments_uncompressed: [3000, 3000, 3000] });
  });
  // 6: a larger compressed text, 6: incompressible-ish binary
  steps.push(() => { const t = JSONMSG(6).repeat(50); ws.send(t, { compress: true }); log('text', t, { compressed: true }); });
  steps.push(() => { const b = crypto.createHash('sha512').update('x').digest(); ws.send(b, { compress: true }); log('binary', b, { compressed: true }); });
  steps.push(() => { ws.send('your turn', { compress: true }); log('text', 'your turn', { compressed: true }); });
  let si = 0;
  let srvAfterTurn = 0;
  ws.on('open', () => steps[si++]());
  ws.on('message', (data) => {
    if (si < steps.length) { steps[si++](); return; }
    srvAfterTurn += 1; // fragmented server msg, then server JSON
    if (srvAfterTurn === 2) {
      ws.close(1000, 'deflate done');
      log('close', closePayload(1000, 'deflate done'), { close_code: 1000, close_reason: 'deflate done' });
    }
  });
}

({
  'midstream-server': midstreamServer,
  'midstream-client': midstreamClient,
  'deflate-frag-server': deflateServer,
  'deflate-frag-client': deflateClient,
}[mode] || (() => { console.error('unknown mode ' + mode); process.exit(2); }))();
