// A SignalR server that follows the published protocols (dotnet/aspnetcore
// src/SignalR/docs/specs: TransportProtocols.md negotiate v1, HubProtocol.md JSON): negotiate,
// WebSocket transport with ?id=<connectionToken>, handshake, invocations with completions, a
// server-to-client invocation, and a Ping every 1000 ms. Usage: node signalr_server.js PORT TRUTH
const http = require("http");
const { WebSocketServer } = require("ws");
const log = require("./truth")(process.argv[3], "server");
const RS = "\x1e";
const srv = http.createServer((req, res) => {
  if (req.method === "POST" && req.url.startsWith("/chathub/negotiate")) {
    const body = { negotiateVersion: 1, connectionId: "conn-1", connectionToken: "tok-A1b2C3",
      availableTransports: [{ transport: "WebSockets", transferFormats: ["Text", "Binary"] }] };
    log("negotiate", { url: req.url });
    res.writeHead(200, { "Content-Type": "application/json" });
    return res.end(JSON.stringify(body));
  }
  res.writeHead(404); res.end();
});
const wss = new WebSocketServer({ noServer: true });
srv.on("upgrade", (req, sock, head) => wss.handleUpgrade(req, sock, head, (ws) => wss.emit("connection", ws, req)));
wss.on("connection", (ws, req) => {
  log("ws-open", { url: req.url });
  const send = (o) => { log("send", { msg: o }); ws.send(JSON.stringify(o) + RS); };
  let handshaken = false, timer;
  ws.on("message", (data) => {
    for (const rec of data.toString().split(RS).filter((r) => r.length)) {
      const m = JSON.parse(rec);
      log("recv", { msg: m });
      if (!handshaken) {
        handshaken = true;
        ws.send("{}" + RS);
        log("send", { msg: {} });
        timer = setInterval(() => send({ type: 6 }), 1000);
        continue;
      }
      if (m.type === 1 && m.target === "SendMessage") {
        send({ type: 1, target: "ReceiveMessage", arguments: m.arguments });
        if (m.invocationId) send({ type: 3, invocationId: m.invocationId, result: { delivered: true } });
      } else if (m.type === 1 && m.target === "Add" && m.invocationId) {
        send({ type: 3, invocationId: m.invocationId, result: m.arguments[0] + m.arguments[1] });
      } else if (m.type === 7) {
        clearInterval(timer);
      }
    }
  });
  ws.on("close", () => clearInterval(timer));
});
srv.listen(Number(process.argv[2]));
setTimeout(() => process.exit(0), 6000);
