// Socket.IO 4.8 client: events with acks on / and /admin, one binary attachment, some
// heartbeats, then a stall of its event loop longer than pingTimeout (a missed pong): the
// server closes the connection. Usage: node sio_client.js URL TRUTH
const { io } = require("socket.io-client");
const log = require("./truth")(process.argv[3], "client");
const url = process.argv[2];
const s = io(url, { transports: ["websocket"], reconnection: false });
const admin = io(url + "/admin", { transports: ["websocket"], reconnection: false });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
s.io.engine.on("packetCreate", (p) => log("eio-send", { type: p.type, data: typeof p.data === "string" ? p.data : undefined }));
s.io.engine.on("packet", (p) => log("eio-recv", { type: p.type, data: typeof p.data === "string" ? p.data : undefined }));
s.on("welcome", (a, b) => log("recv-event", { event: "welcome", args: [a, b] }));
s.on("disconnect", (reason) => { log("disconnect", { reason }); setTimeout(() => process.exit(0), 300); });
s.on("connect", async () => {
  log("connect", { sid: s.id });
  await sleep(200);
  const r = await s.emitWithAck("chat message", "hi there");
  log("ack", { event: "chat message", args: [r] });
  const buf = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x01]);
  const r2 = await s.emitWithAck("upload", "blob.bin", buf);
  log("ack", { event: "upload", args: [r2] });
  const r3 = await admin.emitWithAck("status");
  log("ack", { nsp: "/admin", event: "status", args: [r3] });
  await sleep(3200); // about three heartbeats
  log("stall-start", {});
  const end = Date.now() + 2500;
  while (Date.now() < end) {} // the event loop is blocked: no pong goes out
  log("stall-end", {});
});
