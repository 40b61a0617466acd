// @stomp/stompjs 7 over ws 8 against RabbitMQ's Web-STOMP plugin: heart-beats 1000 ms both ways
// (CONNECT heart-beat:1000,1000), a subscription, two SENDs (one with headers that need 1.2
// escaping), receipts. Usage: node stomp_client.js URL TRUTH
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
client.onConnect = (frame) => {
  log("connected", { headers: frame.headers });
  client.subscribe("/queue/wsk-app", (m) => log("message", { headers: m.headers, body: m.body }), { id: "sub-0" });
  client.publish({ destination: "/queue/wsk-app", body: "hello stomp", headers: { receipt: "r-1" } });
  client.publish({ destination: "/queue/wsk-app", body: "second", headers: { "x-note": "a:b" } });
  setTimeout(async () => { await client.deactivate(); log("deactivated", {}); process.exit(0); }, 4200);
};
client.onStompError = (f) => log("error", { headers: f.headers, body: f.body });
client.activate();
