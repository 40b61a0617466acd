#!/usr/bin/env node
// WebSocket ping/pong heartbeat peers for the ka_heartbeat capture
// (scripts/captures/make-keepalive-captures.sh).  Uses the `ws` package from
// ./node_modules (perMessageDeflate off).
//
//   node ka_heartbeat.js server HOST PORT LOGFILE
//   node ka_heartbeat.js client HOST PORT LOGFILE
//
// Client: ping('hb1') .. ping('hb6') every 500 ms; two text messages between
// hb3 and hb4; close(1000) once the pong for hb6 is back.
// Server: echoes text, answers pings automatically (ws default), sends ONE
// unsolicited pong('unsolicited') 1.2 s after the connection opened.
// Every action is logged as a JSON line with a wall-clock timestamp.
'use strict';

const fs = require('fs');
const { WebSocket, WebSocketServer } = require('ws');

const [role, host, portStr, logPath] = process.argv.slice(2);
const port = Number(portStr);
if (!role || !host || !port || !logPath) {
  console.error('usage: ka_heartbeat.js server|client HOST PORT LOGFILE');
  process.exit(2);
}
fs.writeFileSync(logPath, '');
function log(event, extra = {}) {
  const rec = { t: Number((Date.now() / 1000).toFixed(3)), who: role, event, ...extra };
  fs.appendFileSync(logPath, JSON.stringify(rec) + '\n');
}

if (role === 'server') {
  const wss = new WebSocketServer({ host, port, perMessageDeflate: false });
  wss.on('listening', () => log('listening', { addr: `${host}:${port}` }));
  wss.on('connection', (ws, req) => {
    log('accepted', { peer: `${req.socket.remoteAddress}:${req.socket.remotePort}` });
    ws.on('ping', (data) => log('recv_ping', { payload: data.toString() }));
    ws.on('message', (data, isBinary) => {
      const text = data.toString();
      log('recv_text', { text });
      const reply = 'echo: ' + text;
      ws.send(reply);
      log('send_text', { text: reply });
    });
    const timer = setTimeout(() => {
      ws.pong('unsolicited');
      log('send_pong', { payload: 'unsolicited', unsolicited: true });
    }, 1200);
    ws.on('close', (code, reason) => {
      clearTimeout(timer);
      log('closed', { code, reason: reason.toString() });
      wss.close();
    });
  });
} else {
  const ws = new WebSocket(`ws://${host}:${port}/heartbeat`, { perMessageDeflate: false });
  let n = 0;
  ws.on('open', () => {
    log('connected', { local: `${ws._socket.localAddress}:${ws._socket.localPort}` });
    const timer = setInterval(() => {
      n += 1;
      const payload = 'hb' + n;
      ws.ping(payload);
      log('send_ping', { payload, n });
      if (n === 3) {
        setTimeout(() => {
          for (const text of ['between 3 and 4 (a)', 'between 3 and 4 (b)']) {
            ws.send(text);
            log('send_text', { text });
          }
        }, 200);
      }
      if (n === 6) clearInterval(timer);
    }, 500);
  });
  ws.on('pong', (data) => {
    const payload = data.toString();
    log('recv_pong', { payload });
    if (payload === 'hb6') {
      setTimeout(() => {
        ws.close(1000, 'done');
        log('send_close', { code: 1000, reason: 'done' });
      }, 100);
    }
  });
  ws.on('message', (data) => log('recv_text', { text: data.toString() }));
  ws.on('close', (code, reason) => log('closed', { code, reason: reason.toString() }));
  ws.on('error', (e) => { log('error', { error: String(e) }); process.exitCode = 1; });
}
