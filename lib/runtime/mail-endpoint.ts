import "server-only";
import crypto from "node:crypto";
import fs from "node:fs";
import type net from "node:net";
import path from "node:path";
import type { SMTPServer, SMTPServerDataStream } from "smtp-server";
import type { Db } from "@/db/client";
import { mails, type Environment } from "@/db/schema";
import { dataPaths } from "@/lib/paths";
import { open } from "@/lib/secrets/secret-box";
import { getSecretsKey } from "@/lib/secrets/secrets-key";
import { oneLine } from "@/lib/text";
import type { LogSink } from "./log-sink";

/** The largest message kept (the SMTP SIZE limit): bigger ones are refused with 552. */
export const MAX_MAIL_BYTES = 5 * 1024 * 1024;
/** Messages one deploy's hooks may send; more are refused with 452. */
export const MAX_MAILS_PER_DEPLOY = 100;
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

/**
 * Production's relay with its password opened; null for any other environment or without one.
 * A password the key cannot open is sent as none (the relay's refusal is said in the log).
 */
export function openMailRelay(env: Pick<Environment, "id" | "type" | "mailRelay">): MailRelay | null {
  const r = env.mailRelay;
  if (!r || env.type !== "production") return null;
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
  let kept = 0;
  // The mail libraries load when a deploy first needs them, not with every page that imports this module's constants.
  const { SMTPServer } = await import("smtp-server");
  const server = new SMTPServer({
    banner: `${environment.name} (Project Web Interface)`,
    disabledCommands: ["STARTTLS", "AUTH"],
    authOptional: true,
    size: MAX_MAIL_BYTES,
    logger: false,
    onMailFrom(_address, _session, callback) {
      if (!environment.outgoingEmail) {
        log.line(`A hook tried to send e-mail: refused, outgoing e-mail is off for ${environment.name}.`);
        return callback(new SmtpRefusal(`Outgoing e-mail is disabled for the environment ${environment.name}: turn it on in its Settings.`, 550));
      }
      if (kept >= MAX_MAILS_PER_DEPLOY) return callback(new SmtpRefusal(`At most ${MAX_MAILS_PER_DEPLOY} messages per deploy.`, 452));
      callback();
    },
    onData(stream: SMTPServerDataStream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        if (stream.sizeExceeded) return callback(new SmtpRefusal(`The message is larger than ${MAX_MAIL_BYTES / 1024 / 1024} MiB.`, 552));
        const raw = Buffer.concat(chunks);
        void keep(raw, session.envelope)
          .then(() => callback())
          .catch((err: unknown) => callback(new SmtpRefusal(`The message could not be kept: ${(err as Error).message}`, 451)));
      });
    },
  });
  async function keep(raw: Buffer, envelope: { mailFrom: false | { address: string }; rcptTo: { address: string }[] }) {
    const { simpleParser } = await import("mailparser");
    const parsed = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true, keepCidLinks: true }).catch(() => null);
    // Written by the environment's code: kept as one harmless line for the list and the log.
    const subject = oneLine(parsed?.subject ?? "") || "(no subject)";
    const mailFrom = envelope.mailFrom ? oneLine(envelope.mailFrom.address, 320) : "";
    const rcptTo = envelope.rcptTo.map((r) => oneLine(r.address, 320));
    await db.insert(mails).values({ projectId: options.projectId, environmentId: environment.id, activityId: options.activityId, mailFrom, rcptTo, subject, size: raw.length, raw });
    kept++;
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
      close: () => closeServer(server).finally(() => fs.rmSync(socketPath, { force: true })),
    };
  }
  await new Promise<void>((resolve, reject) => {
    server.server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.server.address() as net.AddressInfo).port;
  return { socketPath: null, hookEnv: { MAGENTO_CLOUD_SMTP_HOST: "127.0.0.1", MAGENTO_CLOUD_SMTP_PORT: String(port) }, close: () => closeServer(server) };
}

function closeServer(server: SMTPServer): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 2000); // a connection a hook left open does not hold the deploy
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Inside the sandbox: a loopback listener on SANDBOX_SMTP_PORT that pipes each connection to
 * the bound socket, started before the hook's script (and killed with the hook, as everything
 * in its sandbox). Node from the read-only /usr runs it; without Node, hooks get no endpoint.
 */
export const SANDBOX_FORWARDER = `const net=require("net"),fs=require("fs");net.createServer(c=>{const u=net.connect(${JSON.stringify(SANDBOX_SMTP_SOCKET)});c.pipe(u);u.pipe(c);c.on("error",()=>u.destroy());u.on("error",()=>c.destroy())}).listen(${SANDBOX_SMTP_PORT},"127.0.0.1",()=>fs.writeFileSync("/tmp/.pwi-smtp-ready",""))`;

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
