/**
 * Whether a service instance answers: one client round-trip over its Unix socket, in each
 * engine's own protocol, as the application's user. The socket folder is writable from the
 * service's sandbox, so the socket is opened with connectNoFollow (a link put there is refused,
 * never followed to another environment's socket).
 * - MariaDB: the server's greeting, then a login as the application's user into `main`
 *   (mysql_native_password) answered OK: the server accepts connections and the credentials hold.
 * - Redis: AUTH, then PING answered +PONG (not -LOADING while it reads its files).
 * - PostgreSQL: a startup message for the application's user and `main` answered with an
 *   authentication request (as pg_isready does): not "the database system is starting up".
 * - RabbitMQ: the AMQP 0-9-1 header, Connection.Start, then a PLAIN login as the application's
 *   user answered with Connection.Tune: the broker accepts connections and the credentials hold.
 */
import "server-only";
import crypto from "node:crypto";
import type net from "node:net";
import { connectNoFollow } from "@/lib/runtime/unix-socket";
import { DATABASE_NAME, type ServiceCredentials } from "./service-config";
import type { ServiceEngineName } from "./service-engines";

export type Readiness = { ready: true } | { ready: false; detail: string };

const PROBE_TIMEOUT_MS = 3000;

/** Runs one exchange: `onData` sees everything read so far and returns a verdict, or null to read more. */
function exchange(socketPath: string, onConnect: (s: net.Socket) => void, onData: (all: Buffer, s: net.Socket) => Readiness | null): Promise<Readiness> {
  return new Promise((resolve) => {
    const socket = connectNoFollow(socketPath);
    let all = Buffer.alloc(0);
    let settled = false;
    const finish = (r: Readiness) => {
      if (settled) return;
      // What the engine said reaches a deploy log: no control character (a line break, a terminal sequence) of its own.
      if (!r.ready) r = { ready: false, detail: r.detail.replace(/[\u0000-\u001f\u007f-\u009f]/g, " ") };
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ready: false, detail: "no answer within 3 s" }), PROBE_TIMEOUT_MS);
    socket.on("connect", () => onConnect(socket));
    socket.on("data", (chunk: Buffer) => {
      all = Buffer.concat([all, chunk]);
      if (all.length > 65_536) return finish({ ready: false, detail: "an answer too long for a greeting" });
      const verdict = onData(all, socket);
      if (verdict) finish(verdict);
    });
    socket.on("error", (err: NodeJS.ErrnoException) => finish({ ready: false, detail: err.code ?? err.message }));
    socket.on("close", () => finish({ ready: false, detail: "the connection was closed" }));
  });
}

/** One round-trip with the engine behind `socketPath` (a host path), as the application's user. */
export function probeService(engine: ServiceEngineName, socketPath: string, credentials: ServiceCredentials): Promise<Readiness> {
  if (engine === "redis") return probeRedis(socketPath, credentials.password);
  if (engine === "postgresql") return probePostgresql(socketPath, credentials.username ?? DATABASE_NAME);
  if (engine === "rabbitmq") return probeRabbitmq(socketPath, credentials.username ?? "guest", credentials.password);
  return probeMariadb(socketPath, credentials.username ?? "user", credentials.password);
}

function probeRedis(socketPath: string, password: string): Promise<Readiness> {
  const command = (...args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`;
  return exchange(
    socketPath,
    (s) => s.write(command("AUTH", password) + command("PING")),
    (all) => {
      const text = all.toString("latin1");
      const lines = text.split("\r\n");
      if (lines.length < 3) return null; // two answers, each ending in \r\n
      if (lines[1] === "+PONG") return { ready: true };
      return { ready: false, detail: (lines[0]!.startsWith("-") ? lines[0]! : lines[1]!).slice(1, 200) };
    },
  );
}

function probePostgresql(socketPath: string, user: string): Promise<Readiness> {
  const params = Buffer.from(`user\0${user}\0database\0${DATABASE_NAME}\0application_name\0pwi-ready\0\0`);
  const startup = Buffer.alloc(8 + params.length);
  startup.writeInt32BE(startup.length, 0);
  startup.writeInt32BE(196608, 4); // protocol 3.0
  params.copy(startup, 8);
  return exchange(
    socketPath,
    (s) => s.write(startup),
    (all) => {
      if (all.length < 5) return null;
      const type = String.fromCharCode(all[0]!);
      if (type === "R") return { ready: true };
      if (type !== "E") return { ready: false, detail: `an unexpected answer (${type})` };
      const length = all.readInt32BE(1);
      if (all.length < 1 + length) return null;
      const fields = all.subarray(5, 1 + length).toString("utf8").split("\0");
      const message = fields.find((f) => f.startsWith("M"))?.slice(1) ?? "an error";
      return { ready: false, detail: message };
    },
  );
}

/** One AMQP 0-9-1 method frame on channel 0. */
function amqpMethod(classId: number, methodId: number, args: Buffer): Buffer {
  const payload = Buffer.concat([Buffer.from([classId >> 8, classId & 0xff, methodId >> 8, methodId & 0xff]), args]);
  const head = Buffer.alloc(7);
  head[0] = 1;
  head.writeUInt16BE(0, 1);
  head.writeUInt32BE(payload.length, 3);
  return Buffer.concat([head, payload, Buffer.from([0xce])]);
}
const shortString = (s: string) => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)]);
const longString = (b: Buffer) => {
  const n = Buffer.alloc(4);
  n.writeUInt32BE(b.length);
  return Buffer.concat([n, b]);
};

function probeRabbitmq(socketPath: string, user: string, password: string): Promise<Readiness> {
  let offset = 0;
  let loggedIn = false;
  return exchange(
    socketPath,
    (s) => s.write(Buffer.from("AMQP\x00\x00\x09\x01", "latin1")),
    (all, s) => {
      for (;;) {
        if (all.length < offset + 7) return null;
        if (offset === 0 && all.subarray(0, 4).toString("latin1") === "AMQP") return { ready: false, detail: "the broker refused the protocol version" };
        const start = offset;
        const size = all.readUInt32BE(start + 3);
        if (all.length < start + 7 + size + 1) return null;
        const payload = all.subarray(start + 7, start + 7 + size);
        offset = start + 7 + size + 1;
        if (all[start] !== 1 || payload.length < 4) continue; // not a method frame (a heartbeat)
        const method = `${payload.readUInt16BE(0)}.${payload.readUInt16BE(2)}`;
        if (method === "10.10") {
          // Connection.Start → Start-Ok: capabilities {authentication_failure_close: true} (a refused login is a
          // Connection.Close with its reason, not a silent close), PLAIN, "\0user\0password", en_US.
          const capabilities = Buffer.concat([shortString("authentication_failure_close"), Buffer.from("t\x01", "latin1")]);
          const properties = longString(Buffer.concat([shortString("capabilities"), Buffer.from("F", "latin1"), longString(capabilities)]));
          const args = Buffer.concat([properties, shortString("PLAIN"), longString(Buffer.from(`\0${user}\0${password}`)), shortString("en_US")]);
          s.write(amqpMethod(10, 11, args));
          loggedIn = true;
          continue;
        }
        // Connection.Tune, after our login only: the broker accepted it.
        if (method === "10.30") return loggedIn ? { ready: true } : { ready: false, detail: "Connection.Tune before any login" };
        if (method === "10.50") {
          // Connection.Close: reply code, reply text.
          const text = payload.length > 7 ? payload.subarray(7, 7 + payload[6]!).toString("utf8") : "";
          return { ready: false, detail: `${payload.length > 5 ? payload.readUInt16BE(4) : ""} ${text}`.trim().slice(0, 200) };
        }
        return { ready: false, detail: `an unexpected AMQP method (${method})` };
      }
    },
  );
}

const sha1 = (...parts: Buffer[]) => {
  const h = crypto.createHash("sha1");
  for (const p of parts) h.update(p);
  return h.digest();
};

/** mysql_native_password's answer to the server's 20-byte scramble. */
function nativePassword(password: string, scramble: Buffer): Buffer {
  const stage1 = sha1(Buffer.from(password));
  const stage2 = sha1(stage1);
  const mix = sha1(scramble, stage2);
  return Buffer.from(stage1.map((b, i) => b ^ mix[i]!));
}

const CLIENT_LONG_PASSWORD = 1;
const CLIENT_CONNECT_WITH_DB = 8;
const CLIENT_PROTOCOL_41 = 512;
const CLIENT_SECURE_CONNECTION = 0x8000;
const CLIENT_PLUGIN_AUTH = 0x80000;

function probeMariadb(socketPath: string, user: string, password: string): Promise<Readiness> {
  let sentLogin = false;
  let offset = 0;
  const packet = (seq: number, payload: Buffer) => {
    const header = Buffer.alloc(4);
    header.writeUIntLE(payload.length, 0, 3);
    header[3] = seq;
    return Buffer.concat([header, payload]);
  };
  return exchange(
    socketPath,
    () => undefined, // the server speaks first
    (all, s) => {
      if (all.length < offset + 4) return null;
      const length = all.readUIntLE(offset, 3);
      if (all.length < offset + 4 + length) return null;
      const seq = all[offset + 3]!;
      const payload = all.subarray(offset + 4, offset + 4 + length);
      offset += 4 + length;
      if (payload[0] === 0xff) return { ready: false, detail: payload.subarray(payload[3] === 0x23 ? 9 : 3).toString("utf8").slice(0, 200) };
      if (!sentLogin) {
        if (payload[0] !== 0x0a) return { ready: false, detail: `an unexpected greeting (${payload[0]})` };
        // Greeting: version, thread id, scramble part 1 (8), filler, capabilities, charset, status, capabilities, scramble length, reserved (10), scramble part 2.
        let i = payload.indexOf(0, 1) + 1 + 4;
        const part1 = payload.subarray(i, i + 8);
        i += 8 + 1 + 2 + 1 + 2 + 2 + 1 + 10;
        const part2 = payload.subarray(i, i + 12);
        const auth = nativePassword(password, Buffer.concat([part1, part2]));
        const head = Buffer.alloc(32);
        head.writeUInt32LE(CLIENT_LONG_PASSWORD | CLIENT_CONNECT_WITH_DB | CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH, 0);
        head.writeUInt32LE(16 * 1024 * 1024, 4);
        head[8] = 45; // utf8mb4_general_ci
        const login = Buffer.concat([head, Buffer.from(`${user}\0`), Buffer.from([auth.length]), auth, Buffer.from(`${DATABASE_NAME}\0mysql_native_password\0`)]);
        sentLogin = true;
        s.write(packet(seq + 1, login));
        return null;
      }
      if (payload[0] === 0x00) return { ready: true };
      return { ready: false, detail: payload[0] === 0xfe ? "the server asked for another authentication method" : `an unexpected answer (${payload[0]})` };
    },
  );
}
