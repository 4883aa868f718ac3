import "server-only";
import type { Db } from "@/db/client";
import { formatBytes } from "@/lib/format-bytes";
import { CUT_KEEP_BYTES, MAX_LINE_BYTES, type LogSink } from "@/lib/runtime/log-sink";
import { insertLogChunk, type LogRow } from "./log-store";

export { CUT_KEEP_BYTES, MAX_LINE_BYTES };
export const MAX_LOG_BYTES = 50 * 1024 * 1024;
const FLUSH_MS = 50;
const FLUSH_LINES = 500;
const MAX_CHUNK_LINES = 5_000;
const MAX_CHUNK_CHARS = 1_000_000;
/** Past this many lines waiting to be stored, producers are asked to pause (see `isBackedUp`). */
const HIGH_WATER_LINES = 20_000;

type Row = LogRow;

/** Cuts a line over MAX_LINE_BYTES with a visible marker. */
export function cutLine(text: string, bytes = Buffer.byteLength(text)): string {
  if (bytes <= MAX_LINE_BYTES) return text;
  // Cut on a character boundary: drop a partial UTF-8 sequence at the end.
  const head = Buffer.from(text).subarray(0, CUT_KEEP_BYTES).toString("utf8").replace(/\uFFFD$/, "");
  return `${head} … [line cut: ${bytes} bytes]`;
}

/** Replaces every secret value with ******. */
export function redact(text: string, secrets: readonly string[]): string {
  let clean = text;
  for (const secret of secrets) if (secret) clean = clean.split(secret).join("******");
  return clean;
}

/**
 * Writes an activity's log: numbered lines, in order, in batches (every 50 ms or 500
 * lines), with the time, the stream and the section they came from, and NOTIFYs viewers
 * after each batch. Secret values are replaced by ****** before anything is stored;
 * over-long lines are cut with a visible marker; past 50 MB the hook's output is no
 * longer stored (one notice line says so) while the activity's own lines still are.
 */
export class ActivityLog implements LogSink {
  private buffer: Row[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private section: string | null = null;
  private unflushed = 0;
  private storedBytes = 0;
  private capped = false;
  private drainWaiters: (() => void)[] = [];
  private lastAt = 0;
  private lastDate = new Date(0);

  constructor(
    private readonly db: Db,
    private readonly activityId: string,
    private seq = 0,
    private secrets: readonly string[] = [],
    private readonly maxBytes = MAX_LOG_BYTES,
  ) {}

  /** More values to replace with ****** from now on (a project's sensitive variables, known once its deploy starts). */
  redactAlso(values: readonly string[]): void {
    const more = values.filter((v) => v.length >= 4 && !this.secrets.includes(v));
    if (more.length > 0) this.secrets = [...this.secrets, ...more];
  }

  setSection(name: string | null): void {
    this.section = name;
  }

  line(text: string, stream: "stdout" | "stderr" | "system" = "system"): void {
    const redacted = this.secrets.length > 0 ? redact(text, this.secrets) : text;
    // Bytes are counted once per line (for the cut and the size limit).
    const rawBytes = Buffer.byteLength(redacted);
    const clean = rawBytes > MAX_LINE_BYTES ? cutLine(redacted, rawBytes) : redacted;
    const bytes = (clean === redacted ? rawBytes : Buffer.byteLength(clean)) + 1;
    if (stream !== "system") {
      if (this.capped) return;
      if (this.storedBytes + bytes > this.maxBytes) {
        this.capped = true;
        this.push(`Log limit reached: ${formatBytes(this.maxBytes)} are stored; further output of this activity is not stored (it keeps running).`, "system");
        return;
      }
    }
    this.storedBytes += bytes;
    this.push(clean, stream);
  }

  private push(text: string, stream: "stdout" | "stderr" | "system") {
    const now = Date.now();
    if (now !== this.lastAt) {
      this.lastAt = now;
      this.lastDate = new Date(now); // one Date per millisecond, not per line
    }
    this.buffer.push({ seq: ++this.seq, at: this.lastDate, stream, section: this.section, text });
    this.unflushed++;
    // A chunk being written takes the new lines with it when it is done.
    if (this.buffer.length >= FLUSH_LINES && !this.writing) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** True while so many lines wait to be stored that the producer should pause reading. */
  isBackedUp(): boolean {
    return this.unflushed >= HIGH_WATER_LINES;
  }

  /** Resolves once fewer than the high-water mark of lines wait to be stored. */
  drained(): Promise<void> {
    if (!this.isBackedUp()) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Writes what is buffered; resolves when everything logged so far is stored. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.writing ??= this.drain().finally(() => {
      this.writing = null;
    });
    return this.writing;
  }

  /**
   * Stores the buffer chunk by chunk until it is empty. While one chunk is being written,
   * new lines gather into the next: under a flood, chunks grow (up to 2,000 lines or about
   * 1 MB) and statements stay few; at a trickle, each line is stored within 50 ms.
   */
  private async drain(): Promise<void> {
    while (this.buffer.length > 0) {
      let take = 0;
      let size = 0;
      while (take < this.buffer.length && take < MAX_CHUNK_LINES && size < MAX_CHUNK_CHARS) size += this.buffer[take++]!.text.length;
      const rows = this.buffer.splice(0, take);
      await insertLogChunk(this.db, this.activityId, rows);
      this.unflushed -= rows.length;
      if (!this.isBackedUp()) this.drainWaiters.splice(0).forEach((r) => r());
    }
  }
}

