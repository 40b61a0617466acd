// Socket.IO 4.8 server: short heartbeats (pingInterval 1000 ms, pingTimeout 500 ms), the main
// namespace and /admin, events with acks, a binary attachment. Usage: node sio_server.js PORT TRUTH
const { Server } = require("socket.io");
const log = require("./truth")(process.argv[3], "server");
const io = new Server(Number(process.argv[2]), { pingInterval: 1000, pingTimeout: 500, transports: ["websocket"] });
io.engine.on("connection", (raw) => {
  raw.on("packetCreate", (p) => log("eio-send", { type: p.type, data: typeof p.data === "string" ? p.data : undefined }));
  raw.on("packet", (p) => log("eio-recv", { type: p.type, data: typeof p.data === "string" ? p.data : undefined }));
  raw.on("close", (reason) => log("eio-close", { reason }));
});
io.on("connection", (s) => {
  log("connect", { nsp: "/", sid: s.id });
  s.on("chat message", (msg, ack) => {
    log("recv-event", { nsp: "/", event: "chat message", args: [msg] });
    ack({ ok: true, echoed: msg });
  });
  s.on("upload", (name, buf, ack) => {
    log("recv-event", { nsp: "/", event: "upload", name, bytes: buf.length, hex: buf.toString("hex") });
    ack("stored " + buf.length);
  });
  s.emit("welcome", "hello from the server", 42);
  s.on("disconnect", (reason) => log("disconnect", { nsp: "/", reason }));
});
io.of("/admin").on("connection", (s) => {
  log("connect", { nsp: "/admin" });
  s.on("status", (ack) => { log("recv-event", { nsp: "/admin", event: "status" }); ack({ users: 1 }); });
});
setTimeout(() => process.exit(0), Number(process.env.SERVER_LIFETIME_MS || 12000));
