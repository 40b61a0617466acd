// The official SignalR client (@microsoft/signalr 8) with its default JSON hub protocol,
// keep-alive every 1000 ms. Usage: node signalr_client.js URL TRUTH
const signalR = require("@microsoft/signalr");
const log = require("./truth")(process.argv[3], "client");
const conn = new signalR.HubConnectionBuilder()
  .withUrl(process.argv[2], { transport: signalR.HttpTransportType.WebSockets })
  .withKeepAliveInterval(1000)
  .configureLogging(signalR.LogLevel.Trace)
  .build();
conn.on("ReceiveMessage", (user, text) => log("recv-invocation", { target: "ReceiveMessage", args: [user, text] }));
(async () => {
  await conn.start();
  log("started", { connectionId: conn.connectionId });
  log("completion", { target: "SendMessage", result: await conn.invoke("SendMessage", "alice", "hello hub") });
  log("completion", { target: "Add", result: await conn.invoke("Add", 2, 40) });
  await conn.send("SendMessage", "bob", "fire and forget");
  log("sent", { target: "SendMessage", args: ["bob", "fire and forget"] });
  await new Promise((r) => setTimeout(r, 2500));
  await conn.stop();
  log("stopped", {});
  process.exit(0);
})();
