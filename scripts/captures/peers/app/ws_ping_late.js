// WebSocket pings at a regular cadence, then one late (ws 8, no application protocol): the
// client pings every 500 ms (payloads p1, p2, ...), the server's ws answers each with a pong;
// after p5 the client blocks its event loop for 1.6 s, so p6 leaves about 2 s after p5; then
// three more pings on cadence and a normal close. Usage:
//   node ws_ping_late.js server PORT TRUTH | node ws_ping_late.js client URL TRUTH
const WebSocket = require("ws");
const [role, where, truth] = process.argv.slice(2);
const log = require("./truth")(truth, role);
if (role === "server") {
  const wss = new WebSocket.Server({ host: "127.0.0.1", port: Number(where), perMessageDeflate: false });
  wss.on("connection", (ws) => {
    ws.on("ping", (d) => log("recv-ping", { data: d.toString() }));
    ws.on("message", (m) => { log("recv", { data: m.toString() }); ws.send("echo " + m); });
    ws.on("close", (code) => { log("close", { code }); wss.close(); });
  });
  setTimeout(() => process.exit(0), 12000);
} else {
  const ws = new WebSocket(where, { perMessageDeflate: false });
  let n = 0;
  ws.on("pong", (d) => log("recv-pong", { data: d.toString() }));
  ws.on("open", () => {
    ws.send("hello");
    const timer = setInterval(() => {
      n += 1;
      ws.ping("p" + n);
      log("send-ping", { data: "p" + n });
      if (n === 5) {
        log("stall-start", {});
        const end = Date.now() + 1600;
        while (Date.now() < end) {} // the event loop is blocked: the timer cannot fire
        log("stall-end", {});
      }
      if (n === 9) {
        clearInterval(timer);
        setTimeout(() => ws.close(1000, "done"), 200);
      }
    }, 500);
  });
  ws.on("close", () => { log("closed", {}); process.exit(0); });
}
