import "server-only";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { and, asc, eq, gt, sql, type SQL } from "drizzle-orm";
import { selectRows, type Db } from "@/db/client";
import { activityLogChunks } from "@/db/schema";
import { notifyActivitySql } from "./notify";

export type LogStream = "stdout" | "stderr" | "system";

export interface LogRow {
  seq: number;
  at: Date;
  stream: LogStream;
  section: string | null;
  text: string;
}

type Executor = Pick<Db, "execute">;
const deflate = promisify(zlib.deflate);
const inflate = promisify(zlib.inflate);
type Packed = [number, number, "o" | "e" | "s", string | null, string];

const PACK: Record<LogStream, Packed[2]> = { stdout: "o", stderr: "e", system: "s" };
const UNPACK: Record<Packed[2], LogStream> = { o: "stdout", e: "stderr", s: "system" };

/**
 * Stores consecutive lines as one chunk (see activityLogChunks), deflated in libuv's thread
 * pool: a log arriving at full speed costs the database a fraction of its size and the main
 * thread (where the embedded database also runs) little.
 */
export async function insertLogChunk(db: Executor, activityId: string, rows: readonly LogRow[]): Promise<void> {
  if (rows.length === 0) return;
  const json = JSON.stringify(rows.map((r): Packed => [r.seq, r.at.getTime(), PACK[r.stream], r.section, r.text]));
  const packed = await deflate(json, { level: 1 });
  // One statement stores the chunk and wakes the viewers (NOTIFY is delivered on commit).
  await db.execute(sql`
    with stored as (
      insert into activity_log_chunks (activity_id, first_seq, last_seq, packed)
      values (${activityId}, ${rows[0]!.seq}, ${rows.at(-1)!.seq}, ${packed})
      returning activity_id)
    select ${notifyActivitySql(sql`activity_id`, "lines")} from stored`);
}

/** Appends one line after the last (for notices outside a running hook). Joins the caller's transaction. */
export async function appendLogLine(db: Executor, activityId: string, text: string, stream: LogStream = "system"): Promise<void> {
  await db.execute(sql`
    insert into activity_log_chunks (activity_id, first_seq, last_seq, lines)
    select ${activityId}, n, n, json_build_array(json_build_array(n, ${Date.now()}::bigint, ${PACK[stream]}::text, null, ${text}::text))::text
    from (select ${lastLogSeqSql(sql`${activityId}`)} + 1 as n) as next`);
}

/** The SQL subquery that gives the last line number of the log of the activity `activityId` gives (a column or a value), 0 for none. */
export function lastLogSeqSql(activityId: SQL): SQL {
  return sql`(select coalesce(max(last_seq), 0) from activity_log_chunks where activity_id = ${activityId})`;
}

export async function lastLogSeq(db: Db, activityId: string): Promise<number> {
  const [row] = await selectRows<{ last: number }>(db, sql`select ${lastLogSeqSql(sql`${activityId}`)}::int as last`);
  return row?.last ?? 0;
}

/** Lines numbered after `afterSeq`, in order, at most `limit`. */
export async function getActivityLog(db: Db, activityId: string, afterSeq = 0, limit = 10_000): Promise<LogRow[]> {
  const out: LogRow[] = [];
  let after = afterSeq;
  while (out.length < limit) {
    const chunks = await selectRows<{ lines: string | null; packed: Uint8Array | null; last_seq: number }>(
      db,
      sql`select lines, packed, last_seq from ${activityLogChunks}
          where ${and(eq(activityLogChunks.activityId, activityId), gt(activityLogChunks.lastSeq, after))}
          order by ${asc(activityLogChunks.firstSeq)} limit 50`,
    );
    const texts = await Promise.all(chunks.map(async (c) => c.lines ?? (await inflate(Buffer.from(c.packed!))).toString("utf8")));
    for (const [i, chunk] of chunks.entries()) {
      for (const [seq, at, stream, section, text] of JSON.parse(texts[i]!) as Packed[]) {
        if (seq <= after || out.length >= limit) continue;
        out.push({ seq, at: new Date(at), stream: UNPACK[stream], section, text });
      }
      after = Math.max(after, chunk.last_seq);
    }
    if (chunks.length < 50) break;
  }
  return out;
}
