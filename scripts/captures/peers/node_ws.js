#!/usr/bin/env node
// Node `ws` peers for the node_frag and node_port80 captures.
//
// Usage: node node_ws.js <frag-server|frag-client|p80-server|p80-client> HOST PORT TRUTHFILE
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const { WebSocket, WebSocketServer } = require('ws');

const [mode, host, portStr, truthPath] = process.argv.slice(2);
const port = Number(portStr);
if (!mode || !host || !port || !truthPath) {
  console.error('usage: node_ws.js MODE HOST PORT TRUTHFILE');
  process.exit(2);
}

fs.writeFileSync(truthPath, '');
const dir = mode.endsWith('-server') ? 'server' : 'client';
let counter = 0;

// Log one explicitly sent message / control frame.  `payload` is the complete
// (reassembled) payload; extra fields are merged into the record.
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

const OPTS = { perMessageDeflate: false };

function serve(onConnection) {
  const wss = new WebSocketServer({ host, port, ...OPTS });
  wss.on('connection', (ws) => {
    ws.on('close', () => {
      wss.close();
      setTimeout(() => process.exit(0), 200);
    });
    onConnection(ws);
  });
}

// ---------------------------------------------------------------- node_frag
function fragServer() {
  serve((ws) => {
    ws.on('message', (data, isBinary) => {
      const s = isBinary ? null : data.toString();
      if (s !== 'm40') return;
      // After the client's last small message: 3 texts, one 70000-byte binary,
      // then the server initiates the close (4000 "bye").
      for (const t of ['srv-one', 'srv-two', 'srv-three']) {
        ws.send(t);
        log('text', t);
      }
      const big = pattern(70000, 7);
      ws.send(big, { binary: true });
      log('binary', big);
      ws.close(4000, 'bye');
      log('close', closePayload(4000, 'bye'), { close_code: 4000, close_reason: 'bye' });
    });
  });
}

function fragClient() {
  const ws = new WebSocket(`ws://${host}:${port}/frag`, OPTS);
  ws.on('open', () => {
    // 1) fragmented text message, 3 fragments, ping interleaved after fragment 1
    const f = ['frag-one ', 'frag-two ', 'frag-three'];
    ws.send(f[0], { fin: false });
    ws.ping('p1');
    ws.send(f[1], { fin: false });
    ws.send(f[2], { fin: true });
    const n1 = log('text', f.join(''), {
      fragments: f.map((x) => Buffer.byteLength(x)),
      note: 'fragmented: text + 2 continuation frames; ping n=' + (counter + 2) + ' sent between fragment 1 and 2',
    });
    log('ping', 'p1', { interleaved_in_message: n1 });

    setTimeout(() => {
      // 2) fragmented binary message, 2 fragments
      const b1 = pattern(300, 3);
      const b2 = pattern(200, 5);
      ws.send(b1, { binary: true, fin: false });
      ws.send(b2, { binary: true, fin: true });
      log('binary', Buffer.concat([b1, b2]), { fragments: [b1.length, b2.length], note: 'fragmented: binary + 1 continuation frame' });

      setTimeout(() => {
        // 3) 40 small texts in one tick; the socket is corked so that they
        // leave in a single writev and are coalesced into few TCP segments.
        ws._socket.cork();
        for (let i = 1; i <= 40; i++) {
          ws.send('m' + i);
          log('text', 'm' + i);
        }
        process.nextTick(() => ws._socket.uncork());
      }, 100);
    }, 100);
  });
  ws.on('close', (code, reason) => {
    console.log(`client: closed ${code} ${reason}`);
  });
}

// -------------------------------------------------------------- node_port80
function p80Server() {
  serve((ws) => {
    ws.on('message', () => {
      ws.send('ok');
      log('text', 'ok');
    });
  });
}

function p80Client() {
  const ws = new WebSocket(`ws://${host}:${port}/`, OPTS);
  ws.on('open', () => {
    ws.send('over port 80');
    log('text', 'over port 80');
  });
  ws.on('message', () => {
    ws.close(1001, 'going away');
    log('close', closePayload(1001, 'going away'), { close_code: 1001, close_reason: 'going away' });
  });
}

({
  'frag-server': fragServer,
  'frag-client': fragClient,
  'p80-server': p80Server,
  'p80-client': p80Client,
}[mode] || (() => { console.error('unknown mode ' + mode); process.exit(2); }))();
