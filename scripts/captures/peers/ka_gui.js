#!/usr/bin/env node
// Peers for the ka_gui capture (scripts/captures/make-keepalive-captures.sh ka_gui): a 24-second
// session with a shape, for the I/O graph presets of the ws-keepalive profile (docs/gui.md).
// Uses the `ws` package from ./node_modules (perMessageDeflate off).
//
//   node ka_gui.js server HOST PORT LOGFILE
//   node ka_gui.js client HOST PORT LOGFILE
//
// 0-10 s   the client sends text messages at a rate rising from 2/s to 20/s; the server
//          answers each with a reply four times as long; the client pings every 500 ms.
// 10-17 s  silence: the client's kernel sends TCP keep-alive probes (SO_KEEPALIVE, idle 1 s),
//          answered by the server's kernel.
// 17-24 s  the server pushes binary updates (10/s, 1-4 kB); the client pings every 500 ms.
// Then the client closes (1000 "done").
// The server answers pings itself (autoPong off) after a delay that rises and falls between
// 5 and 80 ms, like an event loop under load, so the ping RTT has a curve.
// Every action is logged as a JSON line with a wall-clock timestamp.
'use strict';

const fs = require('fs');
const { WebSocket, WebSocketServer } = require('ws');

const [role, host, portStr, logPath] = process.argv.slice(2);
const port = Number(portStr);
if (!role || !host || !port || !logPath) {
  console.error('usage: ka_gui.js server|client HOST PORT LOGFILE');
  process.exit(2);
}
fs.writeFileSync(logPath, '');
function log(event, extra = {}) {
  const rec = { t: Number((Date.now() / 1000).toFixed(3)), who: role, event, ...extra };
  fs.appendFileSync(logPath, JSON.stringify(rec) + '\n');
}

if (role === 'server') {
  const wss = new WebSocketServer({ host, port, perMessageDeflate: false, autoPong: false });
  wss.on('listening', () => log('listening', { addr: `${host}:${port}` }));
  wss.on('connection', (ws) => {
    const t0 = Date.now();
    log('accepted');
    ws.on('ping', (data) => {
      const s = (Date.now() - t0) / 1000;
      const delay = Math.round(5 + 75 * Math.abs(Math.sin((s * Math.PI) / 12)));
      setTimeout(() => {
        ws.pong(data);
        log('send_pong', { payload: data.toString(), delay_ms: delay });
      }, delay);
    });
    ws.on('message', (data) => {
      const text = data.toString();
      const reply = ('reply to ' + text + ' ').repeat(4);
      ws.send(reply);
      log('send_text', { len: Buffer.byteLength(reply) });
    });
    setTimeout(() => {
      let n = 0;
      const push = setInterval(() => {
        n += 1;
        const len = 1024 + ((n * 797) % 3072);
        ws.send(Buffer.alloc(len, n & 0xff));
        log('send_binary', { n, len });
        if (n === 70) clearInterval(push);
      }, 100);
    }, 17000);
    ws.on('close', (code, reason) => {
      log('closed', { code, reason: reason.toString() });
      wss.close();
    });
  });
} else {
  const ws = new WebSocket(`ws://${host}:${port}/gui`, { perMessageDeflate: false });
  ws.on('open', () => {
    ws._socket.setKeepAlive(true, 1000);
    log('connected', { local: `${ws._socket.localAddress}:${ws._socket.localPort}`, keepalive_idle_ms: 1000 });
    const t0 = Date.now();
    let n = 0;
    const sendNext = () => {
      const s = (Date.now() - t0) / 1000;
      if (s >= 10) return;
      n += 1;
      const text = `msg ${n} at ${s.toFixed(2)} s`;
      ws.send(text);
      log('send_text', { n, len: Buffer.byteLength(text) });
      const rate = 2 + 18 * (s / 10);
      setTimeout(sendNext, 1000 / rate);
    };
    sendNext();
    let p = 0;
    const ping = () => {
      const s = (Date.now() - t0) / 1000;
      if ((s < 10 || s >= 17) && s < 24) {
        p += 1;
        ws.ping('p' + p);
        log('send_ping', { payload: 'p' + p });
      }
      if (s < 24) {
        setTimeout(ping, 500);
      } else {
        ws.close(1000, 'done');
        log('send_close', { code: 1000, reason: 'done' });
      }
    };
    setTimeout(ping, 500);
  });
  ws.on('close', (code, reason) => log('closed', { code, reason: reason.toString() }));
  ws.on('error', (e) => { log('error', { error: String(e) }); process.exitCode = 1; });
}
