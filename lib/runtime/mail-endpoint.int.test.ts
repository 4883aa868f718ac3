import fs from "node:fs";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import type { AddressInfo } from "node:net";
import nodemailer from "nodemailer";
import { SMTPServer } from "smtp-server";
import { expect, it } from "vitest";
import { environments, mails } from "@/db/schema";
import { describeEachDatabase } from "@/db/testing/databases";
import { getActivityLog } from "@/lib/activities/queue";
import { requestEnvironmentAction } from "@/lib/environments/request-action";
import { memoryLog, starterProject, withWorker, withoutTemplateServices } from "@/lib/testing-fixtures";
import { commitOn } from "@/lib/testing-git";
import { environmentDeployDir } from "./deploy";
import { getMailRaw } from "@/lib/environments/mailbox";
import net from "node:net";
import { MAIL_CLOSE_GRACE_MS, MAX_MAIL_BYTES, MAX_MAILS_PER_DEPLOY, openMailEndpoint } from "./mail-endpoint";

// Not about services: this file's projects start from the template without them.
withoutTemplateServices();

/** A deploy hook that speaks SMTP with bash alone (no client inside the sandbox), printing the server's replies. */
const SEND = [
  'exec 3<>/dev/tcp/$MAGENTO_CLOUD_SMTP_HOST/$MAGENTO_CLOUD_SMTP_PORT',
  'say() { printf "%s\\r\\n" "$1" >&3; IFS= read -r reply <&3; echo "smtp: ${reply%$(printf "\\r")}"; }',
  'IFS= read -r reply <&3; echo "smtp: ${reply%$(printf "\\r")}"',
  'say "HELO hook"',
  'say "MAIL FROM:<shop@example.com>"',
  'say "RCPT TO:<customer@example.com>"',
  'say "DATA"',
  'printf "Subject: Order 42 confirmed\\r\\nFrom: shop@example.com\\r\\nTo: customer@example.com\\r\\n\\r\\nThank you for your order.\\r\\n.\\r\\n" >&3; IFS= read -r reply <&3; echo "smtp: ${reply%$(printf "\\r")}"',
  'say "QUIT"',
].join("\n    ");

describeEachDatabase("the SMTP endpoint", ({ db }) => {
  it("refuses with an SMTP error when e-mail is off and keeps the message when on (a real SMTP client); caps size", async () => {
    const { id } = await starterProject(db(), "mail");
    const [staging] = await db().select().from(environments).where(and(eq(environments.projectId, id), eq(environments.name, "staging")));
    const log = memoryLog();
    const lines = log.lines;
    for (const outgoingEmail of [false, true]) {
      const endpoint = await openMailEndpoint({ db: db(), projectId: id, environment: { ...staging!, outgoingEmail }, activityId: "00000000-0000-4000-8000-000000000000", log, sandboxed: false });
      try {
        const client = nodemailer.createTransport({ host: endpoint.hookEnv.MAGENTO_CLOUD_SMTP_HOST, port: Number(endpoint.hookEnv.MAGENTO_CLOUD_SMTP_PORT), secure: false, ignoreTLS: true });
        const send = (text: string) => client.sendMail({ from: "shop@example.com", to: "customer@example.com", subject: "Hello from staging", text });
        if (!outgoingEmail) {
          await expect(send("hi")).rejects.toMatchObject({ responseCode: 550, response: expect.stringContaining("Outgoing e-mail is disabled for the environment staging") });
          expect(await db().select().from(mails).where(eq(mails.environmentId, staging!.id))).toEqual([]);
        } else {
          await send("hi there");
          const [kept] = await db().select().from(mails).where(eq(mails.environmentId, staging!.id));
          expect(kept).toMatchObject({ mailFrom: "shop@example.com", rcptTo: ["customer@example.com"], subject: "Hello from staging" });
          expect(Buffer.from(kept!.raw).toString("utf8")).toContain("hi there");
          await expect(send("x".repeat(MAX_MAIL_BYTES + 10))).rejects.toMatchObject({ responseCode: 552 });
          expect(await db().select().from(mails).where(eq(mails.environmentId, staging!.id))).toHaveLength(1);
        }
        client.close();
      } finally {
        await endpoint.close();
      }
    }
    expect(lines.join("\n")).toContain("refused, outgoing e-mail is off for staging");
  });

  it("closing waits no longer than its grace for a connection left open (a forwarder's): it closes it and says so", async () => {
    const { id } = await starterProject(db(), "mailclose");
    const [staging] = await db().select().from(environments).where(and(eq(environments.projectId, id), eq(environments.name, "staging")));
    const log = memoryLog();
    const endpoint = await openMailEndpoint({ db: db(), projectId: id, environment: staging!, activityId: "00000000-0000-4000-8000-000000000000", log, sandboxed: true });
    // A client that connects, reads the greeting and then says nothing, ever.
    const socket = net.connect(endpoint.socketPath!);
    socket.on("error", () => undefined);
    await new Promise<void>((resolve) => socket.once("data", () => resolve()));
    const ended = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    const started = Date.now();
    await endpoint.close();
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(MAIL_CLOSE_GRACE_MS - 100);
    expect(took).toBeLessThan(MAIL_CLOSE_GRACE_MS + 2000);
    await ended; // closed from the endpoint's side, not after smtp-server's 30 s
    expect(Date.now() - started).toBeLessThan(MAIL_CLOSE_GRACE_MS + 3000);
    expect(log.lines.join("\n")).toMatch(/The SMTP endpoint of staging closed 1 connection still open 2 s after it stopped listening\./);
    expect(fs.existsSync(endpoint.socketPath!)).toBe(false);
  });

  it("hostile senders: a subject with control and text-direction characters stays one harmless line; message 101 of a deploy is refused; another environment's message is not found by id", async () => {
    const { id } = await starterProject(db(), "mail");
    const envs = await db().select().from(environments).where(eq(environments.projectId, id));
    const staging = envs.find((e) => e.name === "staging")!;
    const master = envs.find((e) => e.name === "master")!;
    const log = memoryLog();
    const endpoint = await openMailEndpoint({ db: db(), projectId: id, environment: { ...staging, outgoingEmail: true }, activityId: "00000000-0000-4000-8000-000000000000", log, sandboxed: false });
    const client = nodemailer.createTransport({ host: "127.0.0.1", port: Number(endpoint.hookEnv.MAGENTO_CLOUD_SMTP_PORT), secure: false, ignoreTLS: true, pool: true, maxMessages: Infinity });
    try {
      await client.sendMail({ from: "shop@example.com", to: "customer@example.com", subject: "Invoice\u202Efdp.exe\u0007 paid", text: "x" });
      const [kept] = await db().select().from(mails).where(eq(mails.environmentId, staging.id));
      expect(kept!.subject).toBe("Invoice fdp.exe  paid");
      expect(log.lines.join("\n")).not.toMatch(/[\u202E\u0007]/);
      for (let i = 2; i <= MAX_MAILS_PER_DEPLOY; i++) await client.sendMail({ from: "shop@example.com", to: "customer@example.com", subject: `Mail ${i}`, text: "x" });
      await expect(client.sendMail({ from: "shop@example.com", to: "customer@example.com", subject: "One too many", text: "x" })).rejects.toMatchObject({ responseCode: 452 });
      expect(await db().select({ id: mails.id }).from(mails).where(eq(mails.environmentId, staging.id))).toHaveLength(MAX_MAILS_PER_DEPLOY);
      // Looked up under another environment, or by something that is not an id: not found.
      expect(await getMailRaw(db(), master, kept!.id)).toBeNull();
      expect(await getMailRaw(db(), staging, "../../etc/passwd")).toBeNull();
      expect((await getMailRaw(db(), staging, kept!.id))?.id).toBe(kept!.id);
    } finally {
      client.close();
      await endpoint.close();
    }
  });

  it("relays kept messages to Production's relay server (and says so when it cannot)", async () => {
    const { id } = await starterProject(db(), "relay");
    const [master] = await db().select().from(environments).where(and(eq(environments.projectId, id), eq(environments.name, "master")));
    // The relay: another SMTP server that records what reaches it.
    const received: string[] = [];
    const upstream = new SMTPServer({
      disabledCommands: ["STARTTLS", "AUTH"],
      authOptional: true,
      logger: false,
      onData(stream, _session, cb) {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          received.push(Buffer.concat(chunks).toString("utf8"));
          cb();
        });
      },
    });
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", () => r()));
    const port = (upstream.server.address() as AddressInfo).port;
    const log = memoryLog();
    const lines = log.lines;
    try {
      for (const relayPort of [port, 1]) {
        const endpoint = await openMailEndpoint({ db: db(), projectId: id, environment: { ...master!, outgoingEmail: true }, activityId: "00000000-0000-4000-8000-000000000000", log, sandboxed: false, relay: { host: "127.0.0.1", port: relayPort, secure: false, username: null, password: null } });
        const client = nodemailer.createTransport({ host: "127.0.0.1", port: Number(endpoint.hookEnv.MAGENTO_CLOUD_SMTP_PORT), secure: false, ignoreTLS: true });
        await client.sendMail({ from: "shop@example.com", to: "buyer@example.com", subject: `Via ${relayPort}`, text: "relayed" });
        client.close();
        await endpoint.close();
      }
    } finally {
      upstream.close();
    }
    expect(received).toHaveLength(1);
    expect(received[0]).toContain(`Subject: Via ${port}`);
    expect(lines.some((l) => l.startsWith(`Relayed to 127.0.0.1:${port}: 250`))).toBe(true);
    expect(lines.some((l) => l.startsWith("Relaying to 127.0.0.1:1 failed") && l.endsWith("(the message stays in the Mailbox)."))).toBe(true);
    expect(await db().select().from(mails).where(eq(mails.environmentId, master!.id))).toHaveLength(2);
  });

  it("a sandboxed deploy hook reaches its environment's endpoint (and nothing else) by MAGENTO_CLOUD_SMTP_HOST/_PORT", async () => {
    const { admin, id } = await starterProject(db(), "mail");
    await withWorker(db(), async (worker) => {
      await worker.idle();
      const app = fs.readFileSync(path.join(environmentDeployDir(id, "staging"), "current", ".magento.app.yaml"), "utf8");
      await commitOn(id, "staging", { ".magento.app.yaml": app.replace("  deploy: |\n    set -e\n", `  deploy: |\n    set -e\n    ${SEND}\n`) }, "Send an e-mail at deploy");
      // Off (the default for staging): the hook gets the SMTP error, nothing is kept.
      const off = await requestEnvironmentAction(db(), admin, id, "staging", { action: "sync", code: false, data: true, rebase: false });
      await worker.idle();
      const offLog = (await getActivityLog(db(), off.id)).map((l) => l.text);
      expect(offLog).toContain("smtp: 550 Outgoing e-mail is disabled for the environment staging: turn it on in its Settings.");
      const [staging] = await db().select().from(environments).where(and(eq(environments.projectId, id), eq(environments.name, "staging")));
      expect(await db().select().from(mails).where(eq(mails.environmentId, staging!.id))).toEqual([]);
      // On: kept, and the log says so.
      await db().update(environments).set({ outgoingEmail: true }).where(eq(environments.id, staging!.id));
      const on = await requestEnvironmentAction(db(), admin, id, "staging", { action: "redeploy" });
      await worker.idle();
      const onLog = (await getActivityLog(db(), on.id)).map((l) => l.text);
      expect(onLog.some((l) => /^smtp: 250 /.test(l))).toBe(true);
      expect(onLog).toContain("E-mail kept in staging's Mailbox: “Order 42 confirmed” from shop@example.com to customer@example.com.");
      const kept = await db().select().from(mails).where(eq(mails.environmentId, staging!.id));
      expect(kept).toHaveLength(1);
      expect(kept[0]).toMatchObject({ subject: "Order 42 confirmed", activityId: on.id });
    });
  });
});
