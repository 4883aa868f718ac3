/**
 * The jsonb columns' shapes as zod schemas (db/schema.ts types its columns with the types
 * inferred here), and the one check a value read back from the database goes through: a row
 * whose value does not match is an error that names the row, not a crash somewhere later.
 * Columns whose shape a domain owns (a deployment's config: lib/config; an activity's
 * parameters: its kind) are checked with that domain's schema by the same function.
 * Pure (no next/*, no react, no server-only), like the schema.
 */
import { z } from "zod";

/** An environment's HTTP access control (lib/runtime/http-access.ts decides with it). */
export const httpAccessSettingsSchema = z.object({
  enabled: z.boolean(),
  /** Passwords as bcrypt hashes: never shown again. */
  logins: z.array(z.object({ username: z.string(), passwordHash: z.string() })),
  /** In order; the first that matches the client decides. */
  rules: z.array(z.object({ address: z.string(), action: z.enum(["allow", "deny"]) })),
});
export type HttpAccessSettings = z.infer<typeof httpAccessSettingsSchema>;

/** Where Production's kept e-mail is forwarded. */
export const mailRelaySettingsSchema = z.object({
  host: z.string(),
  port: z.number().int(),
  /** TLS from the start (port 465); otherwise STARTTLS when the server offers it. */
  secure: z.boolean(),
  username: z.string().nullable(),
  /** Sealed (AES-256-GCM under the variables key, bound to "mail-relay:<environment id>"). */
  passwordSealed: z.string().nullable(),
});
export type MailRelaySettings = z.infer<typeof mailRelaySettingsSchema>;

/** The commits an activity brought in, newest first. */
export const activityCommitsSchema = z.array(z.object({ sha: z.string(), subject: z.string(), author: z.string() }));
export type ActivityCommit = z.infer<typeof activityCommitsSchema>[number];

/** A kept message's SMTP envelope recipients. */
export const mailRecipientsSchema = z.array(z.string());

/** A value read from the database that does not match its column's schema: a bug or a hand-edited row, never a user's mistake. */
export class StoredValueError extends Error {
  readonly code = "stored_value_mismatch";
  constructor(
    /** The row as a sentence names it: "Deployment". */
    readonly record: string,
    readonly rowId: string,
    message: string,
  ) {
    super(message);
    this.name = "StoredValueError";
  }
}

/** At most this many of zod's issues are named in the error. */
const MAX_ISSUES = 3;

/**
 * `value`, read from the row `id` of `record` (the row as a sentence names it: "Deployment"),
 * checked against `schema`. `what` names the column as a singular noun phrase ("a config").
 * A mismatch throws StoredValueError: "Deployment 1234 has a config that does not match its
 * schema: app.name: …". Parse once where the row is read, not in every loop that uses it.
 */
export function parseJsonColumn<S extends z.ZodType>(schema: S, value: unknown, row: { record: string; id: string; what: string }): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues;
  const named = issues.slice(0, MAX_ISSUES).map((i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`);
  const more = issues.length > MAX_ISSUES ? ` (and ${issues.length - MAX_ISSUES} more)` : "";
  throw new StoredValueError(row.record, row.id, `${row.record} ${row.id} has ${row.what} that does not match its schema: ${named.join("; ")}${more}`);
}
