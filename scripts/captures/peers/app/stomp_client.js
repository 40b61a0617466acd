// @stomp/stompjs 7 over ws 8 against RabbitMQ's Web-STOMP plugin: heart-beats 1000 ms both ways
// (CONNECT heart-beat:1000,1000), a subscription, two SENDs (one with a header that needs 1.2
// escaping) with receipts, the MESSAGEs they produce, then a stall of the client's event loop
// (2.5 s, longer than twice the negotiated heart-beat) so that its heart-beats are late, and a
// DISCONNECT. Usage: node stomp_client.js URL TRUTH
const WebSocket = require("ws");
const { Client } = require("@stomp/stompjs");
const log = require("./truth")(process.argv[3], "client");
const client = new Client({
  webSocketFactory: () => new WebSocket(process.argv[2], ["v12.stomp", "v11.stomp", "v10.stomp"]),
  connectHeaders: { login: "guest", passcode: "guest", host: "/" },
  heartbeatIncoming: 1000,
  heartbeatOutgoing: 1000,
  reconnectDelay: 0,
  debug: (s) => log("debug", { line: s }),
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
client.onConnect = async (frame) => {
  log("connected", { headers: frame.headers });
  client.subscribe("/queue/wsk-app", (m) => log("message", { headers: m.headers, body: m.body }), { id: "sub-0" });
  client.watchForReceipt("r-1", (f) => log("receipt", { headers: f.headers }));
  client.publish({ destination: "/queue/wsk-app", body: "hello stomp", headers: { receipt: "r-1" } });
  client.watchForReceipt("r-2", (f) => log("receipt", { headers: f.headers }));
  client.publish({ destination: "/queue/wsk-app", body: "second", headers: { "x-note": "a:b", receipt: "r-2" } });
  await sleep(3200); // about three heart-beats each way
  log("stall-start", {});
  const end = Date.now() + 2500;
  while (Date.now() < end) {} // the event loop is blocked: no heart-beat goes out
  log("stall-end", {});
  await sleep(1500);
  await client.deactivate();
  log("deactivated", {});
  process.exit(0);
};
client.onWebSocketClose = (e) => log("ws-close", { code: e.code, reason: e.reason });
client.onStompError = (f) => log("error", { headers: f.headers, body: f.body });
client.activate();
