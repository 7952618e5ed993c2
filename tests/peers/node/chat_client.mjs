// A small chat client on Node's `ws` library, for tests/testing/test_node.py.
//
//   node chat_client.mjs URL REPLIES MESSAGE...
//
// Connects to URL, sends each MESSAGE (a message starting with "bin:" is sent as
// binary: the hex after it), waits for REPLIES messages after each, then closes with
// 1000 "done". Prints one JSON line per event: {"received": text} or
// {"received_binary": hex}, then {"closed": code, "reason": reason}. Exits 0 once
// closed, 1 on an error or when a reply does not come within 5 s.
import WebSocket from "ws";

const [url, repliesText, ...messages] = process.argv.slice(2);
const replies = Number(repliesText);
const ws = new WebSocket(url);
const inbox = [];
let waiting = null;

function print(value) {
  process.stdout.write(JSON.stringify(value) + "\n");
}

function next() {
  if (inbox.length) return Promise.resolve(inbox.shift());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no reply within 5 s")), 5000);
    waiting = (message) => {
      clearTimeout(timer);
      resolve(message);
    };
  });
}

ws.on("message", (data, isBinary) => {
  const message = isBinary ? { received_binary: Buffer.from(data).toString("hex") } : { received: data.toString() };
  if (waiting) {
    const deliver = waiting;
    waiting = null;
    deliver(message);
  } else {
    inbox.push(message);
  }
});

ws.on("close", (code, reason) => {
  print({ closed: code, reason: reason.toString() });
  process.exit(0);
});

ws.on("error", (error) => {
  print({ error: error.message });
  process.exit(1);
});

ws.on("open", async () => {
  try {
    for (const message of messages) {
      if (message.startsWith("bin:")) ws.send(Buffer.from(message.slice(4), "hex"));
      else ws.send(message);
      for (let i = 0; i < replies; i++) print(await next());
    }
    ws.close(1000, "done");
  } catch (error) {
    print({ error: error.message });
    process.exit(1);
  }
});
