// graphql-ws 5.16 client: keepAlive pings every 1000 ms, a named query and a named subscription.
// Usage: node gql_client.js URL TRUTH
const WebSocket = require("ws");
const { createClient } = require("graphql-ws");
const log = require("./truth")(process.argv[3], "client");
const client = createClient({
  url: process.argv[2],
  webSocketImpl: WebSocket,
  keepAlive: 1000,
  lazy: false,
  on: {
    ping: (received) => log(received ? "recv-ping" : "send-ping", {}),
    pong: (received) => log(received ? "recv-pong" : "send-pong", {}),
    message: (m) => log("recv", { type: m.type, id: m.id }),
  },
});
const run = (payload) =>
  new Promise((resolve, reject) => {
    const out = [];
    client.subscribe(payload, { next: (d) => out.push(d), error: reject, complete: () => resolve(out) });
  });
(async () => {
  await new Promise((r) => setTimeout(r, 300));
  log("result", { op: "Hello", data: await run({ query: "query Hello { hello }", operationName: "Hello" }) });
  log("result", { op: "Greetings", data: await run({ query: "subscription Greetings { greetings }", operationName: "Greetings" }) });
  await new Promise((r) => setTimeout(r, 2600));
  await client.dispose();
  log("disposed", {});
  setTimeout(() => process.exit(0), 200);
})();
