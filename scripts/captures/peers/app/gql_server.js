// graphql-ws 5.16 server (protocol graphql-transport-ws) on ws 8: a query and a subscription.
// Usage: node gql_server.js PORT TRUTH
const { WebSocketServer } = require("ws");
const { useServer } = require("graphql-ws/lib/use/ws");
const { buildSchema } = require("graphql");
const log = require("./truth")(process.argv[3], "server");
const schema = buildSchema(`type Query { hello: String } type Subscription { greetings: String }`);
const roots = {
  query: { hello: () => "world" },
  subscription: {
    greetings: async function* () {
      for (const hi of ["Hi", "Bonjour", "Hola"]) yield { greetings: hi };
    },
  },
};
const wss = new WebSocketServer({ port: Number(process.argv[2]), path: "/graphql" });
useServer(
  {
    schema,
    roots,
    onConnect: () => log("connect", {}),
    onSubscribe: (ctx, msg) => log("recv-subscribe", { id: msg.id, operationName: msg.payload.operationName }),
    onNext: (ctx, msg, args, result) => log("send-next", { id: msg.id, result }),
    onComplete: (ctx, msg) => log("complete", { id: msg.id }),
  },
  wss,
);
wss.on("connection", (ws) => ws.on("message", (d) => log("recv", { text: d.toString() })));
setTimeout(() => process.exit(0), 6000);
