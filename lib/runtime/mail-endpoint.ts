import "server-only";
import crypto from "node:crypto";
import fs from "node:fs";
import type net from "node:net";
import path from "node:path";
import type { SMTPServer, SMTPServerDataStream } from "smtp-server";
import type { Db } from "@/db/client";
import { mailRelaySettingsSchema, parseJsonColumn, type MailRelaySettings } from "@/db/json-columns";
import { mails, type Environment } from "@/db/schema";
import type { SandboxForward } from "./sandbox-forwarder";
import { dataPaths } from "@/lib/paths";
import { open } from "@/lib/secrets/secret-box";
import { getSecretsKey } from "@/lib/secrets/secrets-key";
import { oneLine } from "@/lib/text";
import type { LogSink } from "./log-sink";

/** The largest message kept (the SMTP SIZE limit): bigger ones are refused with 552, read no further than this. */
export const MAX_MAIL_BYTES = 5 * 1024 * 1024;
/** Messages one deploy's hooks may send, counted when each is accepted; more are refused with 452. */
export const MAX_MAILS_PER_DEPLOY = 100;
/** Connections one deploy's endpoint serves at once; more are refused with 421 until one ends. */
export const MAX_SMTP_CONNECTIONS = 5;
/** Where the endpoint appears inside a hook's sandbox, and the port its forwarder listens on there. */
export const SANDBOX_SMTP_SOCKET = "/run/pwi-smtp.sock";
export const SANDBOX_SMTP_PORT = 1025;

/** Where kept messages are also forwarded (Production's relay setting), password opened. */
export interface MailRelay {
  host: string;
  port: number;
  secure: boolean;
  username: string | null;
  password: string | null;
}

/** The context a relay password is sealed under: bound to its environment. */
export const mailRelayContext = (environmentId: string) => `mail-relay:${environmentId}`;

/** An environment's relay setting as stored (null: none), checked (a row that does not match throws, naming the environment). */
export function storedMailRelay(env: { id: string; mailRelay: unknown }): MailRelaySettings | null {
  return env.mailRelay === null ? null : parseJsonColumn(mailRelaySettingsSchema, env.mailRelay, { record: "Environment", id: env.id, what: "a mail relay" });
}

/**
 * Production's relay with its password opened; null for any other environment or without one.
 * A password the key cannot open is sent as none (the relay's refusal is said in the log).
 */
export function openMailRelay(env: Pick<Environment, "id" | "type" | "mailRelay">): MailRelay | null {
  if (env.type !== "production") return null;
  const r = storedMailRelay(env);
  if (!r) return null;
  let password: string | null = null;
  try {
    password = r.passwordSealed ? open(getSecretsKey(), r.passwordSealed, mailRelayContext(env.id)) : null;
  } catch {
    password = null;
  }
  return { host: r.host, port: r.port, secure: r.secure, username: r.username, password };
}

export interface MailEndpoint {
  /** A Unix socket to bind into the sandbox (hooks reach it through SANDBOX_SMTP_PORT). */
  socketPath: string | null;
  /** What the hooks get as MAGENTO_CLOUD_SMTP_HOST/_PORT. */
  hookEnv: Record<string, string>;
  close(): Promise<void>;
}

class SmtpRefusal extends Error {
  constructor(
    message: string,
    readonly responseCode: number,
  ) {
    super(message);
  }
}

/**
 * An environment's SMTP endpoint for one deploy's hooks (a maintained SMTP server library,
 * smtp-server). With outgoing e-mail off it refuses every message with an SMTP error that says
 * so; on, it keeps each message in the environment's Mailbox and says so in the deploy's log.
 * Sandboxed hooks reach it through a Unix socket bound into their sandbox (no network path to
 * anything else); unsandboxed ones through a loopback port.
 * What hooks send is bounded, whatever they try: a message is held up to MAX_MAIL_BYTES and the
 * rest of a bigger one is discarded as it streams in (552); at most MAX_SMTP_CONNECTIONS
 * connections at once (421); MAX_MAILS_PER_DEPLOY messages, counted when each is accepted (452).
 */
export async function openMailEndpoint(options: {
  db: Db;
  projectId: string;
  environment: Pick<Environment, "id" | "name" | "outgoingEmail">;
  activityId: string;
  log: LogSink;
  sandboxed: boolean;
  /** Where kept messages are also forwarded (see openMailRelay). */
  relay?: MailRelay | null;
}): Promise<MailEndpoint> {
  const { db, environment, log } = options;
  const connected = new Set<string>();
  // Messages of this deploy: kept, and accepted but still being kept. A message takes its place
  // synchronously when it is accepted, so parallel connections cannot exceed the limit together.
  const quota = { kept: 0, keeping: 0 };
  const isQuotaUsed = () => quota.kept + quota.keeping >= MAX_MAILS_PER_DEPLOY;
  // Each refusal is said once in the deploy's log: a hook that loops on one does not flood it.
  const said = new Set<string>();
  const refusal = (message: string, responseCode: number, logLine: string) => {
    if (!said.has(logLine)) log.line(logLine, "stderr");
    said.add(logLine);
    return new SmtpRefusal(message, responseCode);
  };
  const tooMany = () =>
    refusal(`At most ${MAX_MAILS_PER_DEPLOY} messages per deploy: this deploy of ${environment.name} has sent them all.`, 452, `A hook sent more than ${MAX_MAILS_PER_DEPLOY} e-mail messages in this deploy: the extra ones were refused.`);
  const tooBig = () =>
    refusal(`The message is larger than ${MAX_MAIL_BYTES / 1024 / 1024} MiB, the most the endpoint of ${environment.name} accepts: it was not kept.`, 552, `A hook's e-mail message larger than ${MAX_MAIL_BYTES / 1024 / 1024} MiB was refused.`);
  const tooManyConnections = () =>
    refusal(`At most ${MAX_SMTP_CONNECTIONS} connections at once to the SMTP endpoint of ${environment.name}: try again when one has ended.`, 421, `A hook opened more than ${MAX_SMTP_CONNECTIONS} SMTP connections at once: the extra ones were refused.`);
  // The mail libraries load when a deploy first needs them, not with every page that imports this module's constants.
  const { SMTPServer } = await import("smtp-server");
  const server = new SMTPServer({
    banner: `${environment.name} (Project Web Interface)`,
    disabledCommands: ["STARTTLS", "AUTH"],
    authOptional: true,
    size: MAX_MAIL_BYTES,
    disableReverseLookup: true,
    logger: false,
    onConnect(session, callback) {
      if (connected.size >= MAX_SMTP_CONNECTIONS) return callback(tooManyConnections());
      connected.add(session.id);
      callback();
    },
    onClose(session) {
      connected.delete(session.id);
    },
    onMailFrom(_address, _session, callback) {
      if (!environment.outgoingEmail) {
        log.line(`A hook tried to send e-mail: refused, outgoing e-mail is off for ${environment.name}.`);
        return callback(new SmtpRefusal(`Outgoing e-mail is disabled for the environment ${environment.name}: turn it on in its Settings.`, 550));
      }
      // Early, to spare the transfer; the count that holds is taken when the message is accepted.
      if (isQuotaUsed()) return callback(tooMany());
      callback();
    },
    onData(stream: SMTPServerDataStream, session, callback) {
      if (isQuotaUsed()) return callback(tooMany()); // smtp-server drains (discards) the message
      // Held up to MAX_MAIL_BYTES; once the parser has counted more, what came is dropped and the
      // rest streams through unread to the end of the message, when the client gets the 552.
      let chunks: Buffer[] | null = [];
      stream.on("data", (c: Buffer) => {
        if (stream.sizeExceeded) chunks = null;
        else chunks?.push(c);
      });
      stream.on("end", () => {
        if (!chunks || stream.sizeExceeded) return callback(tooBig());
        if (isQuotaUsed()) return callback(tooMany());
        const raw = Buffer.concat(chunks);
        chunks = null;
        void keep(raw, session.envelope)
          .then(() => callback())
          .catch((err: unknown) => callback(new SmtpRefusal(`The message could not be kept: ${(err as Error).message}`, 451)));
      });
    },
  });
  /**
   * Keeps an accepted message. It takes its place in the deploy's count before its first await
   * (so at once, in the same turn as the check before it) and keeps it only if it is stored.
   */
  async function keep(raw: Buffer, envelope: { mailFrom: false | { address: string }; rcptTo: { address: string }[] }) {
    quota.keeping++;
    let subject: string, mailFrom: string, rcptTo: string[];
    let isStored = false;
    try {
      const { simpleParser } = await import("mailparser");
      // The subject is read from the header section alone: parsing the body would hold several copies of it.
      const parsed = await simpleParser(headerSection(raw), { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true, keepCidLinks: true }).catch(() => null);
      // Written by the environment's code: kept as one harmless line for the list and the log.
      subject = oneLine(parsed?.subject ?? "") || "(no subject)";
      mailFrom = envelope.mailFrom ? oneLine(envelope.mailFrom.address, 320) : "";
      rcptTo = envelope.rcptTo.map((r) => oneLine(r.address, 320));
      await db.insert(mails).values({ projectId: options.projectId, environmentId: environment.id, activityId: options.activityId, mailFrom, rcptTo, subject, size: raw.length, raw });
      isStored = true;
    } finally {
      quota.keeping--;
      if (isStored) quota.kept++;
    }
    log.line(`E-mail kept in ${environment.name}'s Mailbox: “${subject}” from ${mailFrom || "(none)"} to ${rcptTo.join(", ")}.`);
    if (options.relay) await relay(options.relay, raw, mailFrom, rcptTo, log);
  }
  server.on("error", () => undefined);

  if (options.sandboxed) {
    const dir = path.join(dataPaths.run(), "smtp");
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Short: a Unix socket path has at most 107 bytes.
    const socketPath = path.join(dir, `${crypto.randomBytes(6).toString("hex")}.sock`);
    await new Promise<void>((resolve, reject) => {
      server.server.once("error", reject);
      server.listen(socketPath, () => resolve());
    });
    fs.chmodSync(socketPath, 0o600);
    return {
      socketPath,
      hookEnv: { MAGENTO_CLOUD_SMTP_HOST: "127.0.0.1", MAGENTO_CLOUD_SMTP_PORT: String(SANDBOX_SMTP_PORT) },
      close: () => closeServer(server, log, environment.name).finally(() => fs.rmSync(socketPath, { force: true })),
    };
  }
  await new Promise<void>((resolve, reject) => {
    server.server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.server.address() as net.AddressInfo).port;
  return { socketPath: null, hookEnv: { MAGENTO_CLOUD_SMTP_HOST: "127.0.0.1", MAGENTO_CLOUD_SMTP_PORT: String(port) }, close: () => closeServer(server, log, environment.name) };
}

/** A message's header section, up to and with the blank line that ends it (all of it without one). */
function headerSection(raw: Buffer): Buffer {
  const crlf = raw.indexOf("\r\n\r\n");
  const lf = raw.indexOf("\n\n");
  const end = Math.min(crlf < 0 ? raw.length : crlf + 4, lf < 0 ? raw.length : lf + 2);
  return raw.subarray(0, end);
}

/** How long a closing endpoint waits for its open connections to end before it closes them itself. */
export const MAIL_CLOSE_GRACE_MS = 2000;

/**
 * Stops listening and resolves once the open connections ended, or after MAIL_CLOSE_GRACE_MS,
 * when those left (a forwarder's, a hook's that stays open) are closed from this side, said in
 * `log`: a connection left open never holds a deploy or a stop (Pause), nor the server's 30 s.
 */
function closeServer(server: SMTPServer, log: LogSink, name: string): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      const open = [...((server as unknown as { connections?: Set<{ close(): void; _socket?: net.Socket }> }).connections ?? [])];
      if (open.length > 0) log.line(`The SMTP endpoint of ${name} closed ${open.length} connection${open.length === 1 ? "" : "s"} still open ${MAIL_CLOSE_GRACE_MS / 1000} s after it stopped listening.`, "stderr");
      for (const connection of open) {
        try {
          connection.close();
        } catch {
          /* closed meanwhile */
        }
        connection._socket?.destroy();
      }
      resolve();
    }, MAIL_CLOSE_GRACE_MS);
    try {
      server.close(() => {
        clearTimeout(timer);
        resolve();
      });
    } catch {
      clearTimeout(timer);
      resolve(); // not listening (any more): nothing to wait for
    }
  });
}

/**
 * Inside the sandbox: a loopback listener on SANDBOX_SMTP_PORT that pipes each connection to
 * the bound socket (sandbox-forwarder.ts), started before the hook's script (and killed with the
 * hook, as everything in its sandbox). Node from the read-only /usr runs it; without Node, hooks
 * get no endpoint.
 */
export const SMTP_FORWARD: SandboxForward = { port: SANDBOX_SMTP_PORT, socket: SANDBOX_SMTP_SOCKET };

/** Forwards a kept message as received; a failure is said in the log (the message stays in the Mailbox). */
async function relay(to: MailRelay, raw: Buffer, from: string, rcptTo: string[], log: LogSink): Promise<void> {
  const { default: nodemailer } = await import("nodemailer");
  const transport = nodemailer.createTransport({
    host: to.host,
    port: to.port,
    secure: to.secure,
    auth: to.username ? { user: to.username, pass: to.password ?? "" } : undefined,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  try {
    const info = await transport.sendMail({ envelope: { from, to: rcptTo }, raw });
    log.line(`Relayed to ${to.host}:${to.port}: ${String(info.response).slice(0, 200)}`);
  } catch (err) {
    log.line(`Relaying to ${to.host}:${to.port} failed: ${(err as Error).message.slice(0, 300)} (the message stays in the Mailbox).`, "stderr");
  } finally {
    transport.close();
  }
}
