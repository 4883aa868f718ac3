import "server-only";
import { and, desc, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { mailRecipientsSchema, parseJsonColumn } from "@/db/json-columns";
import { mails, type Environment, type Mail } from "@/db/schema";

/** A kept message as the Mailbox lists it. */
export interface MailSummary {
  id: string;
  mailFrom: string;
  rcptTo: string[];
  subject: string;
  size: number;
  receivedAt: string;
}

/** A row as the list shows it, its recipients checked (a row that does not match throws, naming the message). */
const summary = ({ id, mailFrom, rcptTo, subject, size, receivedAt }: Pick<Mail, "id" | "mailFrom" | "rcptTo" | "subject" | "size" | "receivedAt">): MailSummary => ({
  id,
  mailFrom,
  rcptTo: parseJsonColumn(mailRecipientsSchema, rcptTo, { record: "Mail", id, what: "a recipient list" }),
  subject,
  size,
  receivedAt: receivedAt.toISOString(),
});

/** The environment's newest kept messages (the caller checked the user may see the environment). */
export async function listMails(db: Db, env: Pick<Environment, "id">, limit = 100): Promise<MailSummary[]> {
  const rows = await db
    .select({ id: mails.id, mailFrom: mails.mailFrom, rcptTo: mails.rcptTo, subject: mails.subject, size: mails.size, receivedAt: mails.receivedAt })
    .from(mails)
    .where(eq(mails.environmentId, env.id))
    .orderBy(desc(mails.receivedAt))
    .limit(limit);
  return rows.map(summary);
}

/** One kept message of this environment, as received; null for another environment's or an unknown id. */
export async function getMailRaw(db: Db, env: Pick<Environment, "id">, id: string): Promise<Mail | null> {
  if (!/^[0-9a-f-]{36}$/.test(id)) return null;
  const [row] = await db.select().from(mails).where(and(eq(mails.id, id), eq(mails.environmentId, env.id))).limit(1);
  return row ?? null;
}

export interface MailView extends MailSummary {
  headerFrom: string;
  headerTo: string;
  date: string | null;
  text: string | null;
  /** The HTML part as sent: shown only in a sandboxed frame (no scripts, no forms, no same origin). */
  html: string | null;
  attachments: { filename: string; size: number }[];
}

/** One kept message, parsed for reading. */
export async function getMail(db: Db, env: Pick<Environment, "id">, id: string): Promise<MailView | null> {
  const row = await getMailRaw(db, env, id);
  if (!row) return null;
  const { simpleParser } = await import("mailparser"); // loaded when a message is opened, not with every page
  const parsed = await simpleParser(Buffer.from(row.raw), { skipImageLinks: true, skipTextToHtml: true }).catch(() => null);
  const addresses = (a: unknown) => (a ? (Array.isArray(a) ? a : [a]).map((x: { text?: string }) => x.text ?? "").join(", ") : "");
  return {
    ...summary(row),
    headerFrom: addresses(parsed?.from),
    headerTo: addresses(parsed?.to),
    date: parsed?.date?.toISOString() ?? null,
    text: parsed?.text ?? (parsed ? null : Buffer.from(row.raw).toString("utf8")),
    html: typeof parsed?.html === "string" ? parsed.html : null,
    attachments: (parsed?.attachments ?? []).map((a) => ({ filename: a.filename ?? "(unnamed)", size: a.size })),
  };
}
