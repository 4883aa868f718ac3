// A hostile hook's SMTP flood, run as its own process by lib/runtime/mail-endpoint-limits.int.test.ts
// so that the memory the test measures is the endpoint's alone, not its attackers' too.
// argv[2]: {"to": net.connect options, "senders": n, "bodyBytes": n}. Prints one JSON line:
// {"replies": [...], "refused": [...greetings], "mostAtOnce": n}.
import { once } from "node:events";
import net from "node:net";

const { to, senders, bodyBytes } = JSON.parse(process.argv[2]);
const MiB = 1024 * 1024;
/** 1 MiB of 64-byte lines (no line starts with a dot), written again and again. */
const LINES = Buffer.from(`${"x".repeat(62)}\r\n`.repeat(MiB / 64));

/** A raw SMTP conversation: one command, one reply (the last line of a multi-line one). */
async function open() {
  const socket = net.connect(to);
  socket.on("error", () => undefined);
  await once(socket, "connect");
  socket.setEncoding("latin1");
  let buffered = "";
  const replies = [];
  let waiting = null;
  socket.on("data", (text) => {
    buffered += text;
    let end;
    while ((end = buffered.search(/^\d{3} .*\r\n/m)) >= 0) {
      const stop = buffered.indexOf("\r\n", end) + 2;
      replies.push(buffered.slice(end, stop - 2));
      buffered = buffered.slice(stop);
    }
    if (waiting && replies.length) waiting(replies.shift());
  });
  socket.on("close", () => waiting?.(replies.shift() ?? "(closed)"));
  const reply = () => {
    if (replies.length) return Promise.resolve(replies.shift());
    if (socket.destroyed) return Promise.resolve("(closed)");
    return new Promise((resolve) => (waiting = (r) => ((waiting = null), resolve(r))));
  };
  const say = (command) => (socket.write(`${command}\r\n`), reply());
  return { socket, reply, say };
}

let atOnce = 0;
let mostAtOnce = 0;
const refused = [];

async function sender(i) {
  for (;;) {
    const talk = await open();
    const greeting = await talk.reply();
    if (greeting.startsWith("421")) {
      refused.push(greeting);
      talk.socket.destroy();
      await new Promise((r) => setTimeout(r, 10 + (i % 7)));
      continue;
    }
    mostAtOnce = Math.max(mostAtOnce, ++atOnce);
    try {
      await talk.say("EHLO hook");
      for (const command of ["MAIL FROM:<shop@example.com>", "RCPT TO:<customer@example.com>", "DATA"]) {
        const reply = await talk.say(command);
        if (!/^(250|354)/.test(reply)) return reply;
      }
      talk.socket.write(`Subject: Oversized ${i}\r\n\r\n`);
      let left = bodyBytes;
      while (left > 0) {
        const piece = left % LINES.length ? LINES.subarray(LINES.length - (left % LINES.length)) : LINES;
        left -= piece.length;
        if (!talk.socket.write(piece)) await once(talk.socket, "drain");
      }
      return await talk.say(".");
    } finally {
      atOnce--;
      if (!talk.socket.destroyed) await talk.say("QUIT");
      talk.socket.destroy();
    }
  }
}

const replies = await Promise.all(Array.from({ length: senders }, (_, i) => sender(i)));
process.stdout.write(`${JSON.stringify({ replies, refused, mostAtOnce })}\n`);
