import "server-only";
import type { Db } from "@/db/client";
import { activityLogLines } from "@/db/schema";

export const MAX_LINE_BYTES = 16 * 1024;
const FLUSH_MS = 50;
const FLUSH_LINES = 500;

type Row = typeof activityLogLines.$inferInsert;

/**
 * Writes an activity's log: numbered lines, in order, in batches (every 50 ms or 500
 * lines), with the stream and section they came from. Secret values are replaced by
 * ****** before anything is stored; over-long lines are cut with a visible marker.
 */
export class ActivityLog {
  private buffer: Row[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private section: string | null = null;

  constructor(
    private readonly db: Db,
    private readonly activityId: string,
    private seq = 0,
    private readonly secrets: readonly string[] = [],
  ) {}

  setSection(name: string | null): void {
    this.section = name;
  }

  line(text: string, stream: "stdout" | "stderr" | "system" = "system"): void {
    let clean = text;
    for (const secret of this.secrets) if (secret) clean = clean.split(secret).join("******");
    if (Buffer.byteLength(clean) > MAX_LINE_BYTES) {
      const bytes = Buffer.byteLength(clean);
      clean = `${Buffer.from(clean).subarray(0, MAX_LINE_BYTES).toString("utf8")} … [line cut: ${bytes} bytes]`;
    }
    this.buffer.push({ activityId: this.activityId, seq: ++this.seq, at: new Date(), stream, section: this.section, text: clean });
    if (this.buffer.length >= FLUSH_LINES) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** Writes what is buffered; resolves when everything logged so far is stored. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const rows = this.buffer;
    this.buffer = [];
    this.flushing = this.flushing.then(async () => {
      if (rows.length > 0) await this.db.insert(activityLogLines).values(rows);
    });
    return this.flushing;
  }
}
