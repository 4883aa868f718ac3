/**
 * The writer of one application log file. No `server-only` mark: it reads no configuration and
 * no database, so the end-to-end tests and the benchmarks write through it from their own
 * processes. The server gets writers from `openAppLog` (app-log-writers.ts), one per file.
 */
import fs from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import { cutLogLine, formatLogLine, splitLogText, type AppLogStream } from "./log-line";
import { KEPT_PARTS } from "./log-names";

export interface AppLogWriter {
  /** The file written (`…/<name>.log`). */
  readonly file: string;
  /**
   * Appends one line (several if `text` holds newlines; a trailing newline is not a line). The
   * time is put before it unless the log is access; `stderr` marks it. Never blocks, never throws:
   * the line is written within ~20 ms, or dropped (and counted) when the disk falls behind.
   */
  line(text: string, stream?: AppLogStream): void;
  /** Resolves once every line given so far is written (or known lost). */
  flush(): Promise<void>;
  /** Flushes, then lets the file go (for a shared writer: once its last user closed it). Later lines are ignored. */
  close(): Promise<void>;
}

export interface AppLogFileOptions {
  /** At this size the file is rotated (default 100 MB). */
  maxBytes?: number;
  /** Rotated parts kept, compressed (default 3). */
  keepParts?: number;
  /** Lines waiting for the disk beyond this many bytes are dropped, and counted in one marker line (default 4 MB). */
  maxBacklogBytes?: number;
  /** How long a line may wait to be written with the next ones (default 20 ms). */
  flushMs?: number;
  /** Whether the time is put before each line (default true; the access log's writer says false). */
  timestamps?: boolean;
  now?: () => Date;
  /** After a failed open (a link planted at the path, a full disk), the next try waits this long (default 1 s). */
  reopenAfterMs?: number;
  /** Where a failure to write is reported (default console.error, at most once a minute per file). */
  onError?: (error: Error) => void;
}

export const DEFAULT_MAX_LOG_BYTES = 100 * 1024 * 1024;
const DEFAULT_BACKLOG_BYTES = 4 * 1024 * 1024;
const DEFAULT_FLUSH_MS = 20;
const C = fs.constants;
const OPEN_FOR_APPEND = C.O_WRONLY | C.O_APPEND | C.O_CREAT | C.O_NOFOLLOW | C.O_NONBLOCK;
const OPEN_FOR_READ = C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK;
const FILE_MODE = 0o640;

/** The log path holds something the writer will not write to (a link, a folder, a FIFO). */
export class AppLogRefused extends Error {}

const errnoOf = (e: unknown) => (e as NodeJS.ErrnoException | null)?.code;
const ignoreMissing = (e: unknown) => {
  if (errnoOf(e) !== "ENOENT") throw e;
};

/**
 * Appends lines to one log file: buffered and written within `flushMs` by one append at a time
 * on a descriptor opened O_APPEND | O_NOFOLLOW (a link at the path is refused, never written
 * through), memory bounded by `maxBacklogBytes` (what does not fit is dropped and counted in one
 * line), lines over 16 kB cut. At `maxBytes` the file becomes part `.1` (older parts move up, the
 * oldest beyond `keepParts` is removed) and is gzip-compressed by zlib's streaming API on libuv's
 * threads, never the event loop's.
 */
export class AppLogFile implements AppLogWriter {
  private readonly maxBytes: number;
  private readonly keepParts: number;
  private readonly maxBacklogBytes: number;
  private readonly flushMs: number;
  private readonly timestamps: boolean;
  private readonly now: () => Date;
  private readonly reopenAfterMs: number;
  private readonly onError: (error: Error) => void;

  private queue: string[] = [];
  /** UTF-16 units queued: what the backlog's bound counts. */
  private queuedUnits = 0;
  private dropped = 0;
  private lost = 0;
  private lostReason = "";
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private handle: fs.promises.FileHandle | null = null;
  private size = 0;
  private reopenAt = 0;
  private openError: Error | null = null;
  private compressing: Promise<void> = Promise.resolve();
  private isClosed = false;
  private discarding = false;
  private reportedAt = 0;
  private recovered = false;

  constructor(
    readonly file: string,
    options: AppLogFileOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_LOG_BYTES;
    this.keepParts = options.keepParts ?? KEPT_PARTS;
    this.maxBacklogBytes = options.maxBacklogBytes ?? DEFAULT_BACKLOG_BYTES;
    this.flushMs = options.flushMs ?? DEFAULT_FLUSH_MS;
    this.timestamps = options.timestamps ?? true;
    this.now = options.now ?? (() => new Date());
    this.reopenAfterMs = options.reopenAfterMs ?? 1_000;
    this.onError =
      options.onError ??
      ((error) => {
        if (Date.now() - this.reportedAt < 60_000) return;
        this.reportedAt = Date.now();
        console.error(`[app-logs] ${this.file}: ${error.message}`);
      });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  line(text: string, stream: AppLogStream = "stdout"): void {
    if (this.isClosed) return;
    const at = this.timestamps ? this.now() : null;
    for (const part of splitLogText(text)) {
      const stored = `${formatLogLine(cutLogLine(part), at, stream)}\n`;
      if (this.queuedUnits + stored.length > this.maxBacklogBytes) {
        this.dropped++;
        continue;
      }
      this.enqueueMarkers();
      this.queue.push(stored);
      this.queuedUnits += stored.length;
    }
    this.schedule();
  }

  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    return this.writeQueued();
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    await this.flush();
    await this.compressing;
    await this.closeHandle();
  }

  /** Closes without writing what waits (the environment is being deleted). */
  async discard(): Promise<void> {
    this.isClosed = true;
    this.discarding = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue = [];
    this.queuedUnits = 0;
    await this.writing;
    await this.compressing;
    await this.closeHandle();
  }

  /** Resolves once rotated parts are compressed (for tests). */
  async settled(): Promise<void> {
    await this.writing;
    await this.compressing;
  }

  /** One line says how many lines were dropped before the lines that follow it. */
  private enqueueMarkers() {
    if (this.dropped === 0) return;
    const marker = `${formatLogLine(`[${this.dropped} lines dropped: the log was written faster than the disk took it]`, this.timestamps ? this.now() : null)}\n`;
    this.dropped = 0;
    this.queue.push(marker);
    this.queuedUnits += marker.length;
  }

  private schedule() {
    if (this.timer || this.writing || this.queue.length === 0 || this.discarding) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.writeQueued();
    }, this.flushMs);
  }

  private writeQueued(): Promise<void> {
    this.writing ??= (async () => {
      try {
        while (this.queue.length > 0 && !this.discarding) {
          const batch = this.queue;
          this.queue = [];
          this.queuedUnits = 0;
          await this.append(batch);
          // Lines dropped while this batch was written, and none since: said now.
          if (this.queue.length === 0 && this.dropped > 0 && !this.discarding) this.enqueueMarkers();
        }
      } finally {
        this.writing = null;
      }
    })();
    return this.writing;
  }

  /**
   * Writes `lines` in pieces that fit the cap, rotating between them. Lines that cannot be written
   * are counted lost; the first write that succeeds afterwards begins with one line that says so.
   */
  private async append(lines: string[]) {
    let i = 0;
    try {
      await this.open();
      while (i < lines.length) {
        const marker = this.lost > 0 ? `${formatLogLine(`[${this.lost} lines lost: ${this.lostReason}]`, this.timestamps ? this.now() : null)}\n` : "";
        let bytes = Buffer.byteLength(marker);
        let j = i;
        // Take lines while they fit what the file may still grow by (at least one: a line longer than the cap goes alone into an empty file).
        for (; j < lines.length; j++) {
          const b = Buffer.byteLength(lines[j]!);
          if (this.size + bytes + b > this.maxBytes && (j > i || this.size > 0)) break;
          bytes += b;
        }
        if (j === i) {
          await this.rotate();
          await this.open();
          continue;
        }
        await this.handle!.appendFile(marker + lines.slice(i, j).join(""));
        if (marker) this.lost = 0;
        this.size += bytes;
        i = j;
      }
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      this.lost += lines.length - i;
      this.lostReason = error instanceof AppLogRefused ? error.message : `the log could not be written (${errnoOf(e) ?? error.message})`;
      this.onError(error);
      await this.closeHandle();
    }
  }

  private async open() {
    if (this.handle) return;
    if (this.openError && Date.now() < this.reopenAt) throw this.openError;
    try {
      const dir = path.dirname(this.file);
      await fs.promises.mkdir(dir, { recursive: true, mode: 0o750 });
      const stat = await fs.promises.lstat(dir);
      if (!stat.isDirectory()) throw new AppLogRefused(`${dir} is not a folder: refused`);
      if (!this.recovered) {
        this.recovered = true;
        await this.recoverPart();
      }
      let handle: fs.promises.FileHandle;
      try {
        handle = await fs.promises.open(this.file, OPEN_FOR_APPEND, FILE_MODE);
      } catch (e) {
        if (errnoOf(e) === "ELOOP") throw new AppLogRefused(`${path.basename(this.file)} is a link: refused, never written through`);
        if (errnoOf(e) === "ENXIO" || errnoOf(e) === "EISDIR") throw new AppLogRefused(`${path.basename(this.file)} is not a regular file: refused`);
        throw e;
      }
      const opened = await handle.stat();
      if (!opened.isFile()) {
        await handle.close();
        throw new AppLogRefused(`${path.basename(this.file)} is not a regular file: refused`);
      }
      this.handle = handle;
      this.size = opened.size;
      this.openError = null;
    } catch (e) {
      this.openError = e instanceof Error ? e : new Error(String(e));
      this.reopenAt = Date.now() + this.reopenAfterMs;
      throw this.openError;
    }
  }

  private async closeHandle() {
    const handle = this.handle;
    this.handle = null;
    await handle?.close().catch(() => {});
  }

  private part(n: number, compressed = true) {
    return `${this.file}.${n}${compressed ? ".gz" : ""}`;
  }

  /** Moves the compressed parts up one (`.1.gz` → `.2.gz` …), removing the one beyond `keepParts`. Renames never follow links. */
  private async shiftParts() {
    await fs.promises.rm(this.part(this.keepParts), { force: true });
    for (let n = this.keepParts - 1; n >= 1; n--) await fs.promises.rename(this.part(n), this.part(n + 1)).catch(ignoreMissing);
  }

  /** The file becomes part `.1` and a new file starts; `.1` is compressed in the background. */
  private async rotate() {
    await this.compressing; // the previous part is compressed before the parts move
    await this.closeHandle();
    await this.shiftParts();
    await fs.promises.rename(this.file, this.part(1, false)).catch(ignoreMissing);
    this.size = 0;
    this.compressing = this.compress();
  }

  /** A part `.1` left uncompressed (the server stopped while compressing it) is compressed before anything else moves. */
  private async recoverPart() {
    const stat = await fs.promises.lstat(this.part(1, false)).catch(() => null);
    if (!stat?.isFile()) return;
    await this.shiftParts();
    this.compressing = this.compress();
  }

  /** `.1` → `.1.gz` through a temporary file; neither end follows a link. */
  private async compress(): Promise<void> {
    const source = this.part(1, false);
    const target = this.part(1);
    const temporary = `${target}.tmp`;
    try {
      const input = await fs.promises.open(source, OPEN_FOR_READ);
      if (!(await input.stat()).isFile()) {
        await input.close();
        throw new AppLogRefused(`${path.basename(source)} is not a regular file: not compressed`);
      }
      await fs.promises.rm(temporary, { force: true });
      const output = await fs.promises.open(temporary, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, FILE_MODE);
      await pipeline(input.createReadStream(), zlib.createGzip({ level: 6 }), output.createWriteStream());
      await fs.promises.rename(temporary, target);
      await fs.promises.rm(source, { force: true });
    } catch (e) {
      await fs.promises.rm(temporary, { force: true }).catch(() => {});
      if (errnoOf(e) !== "ENOENT") this.onError(e instanceof Error ? e : new Error(String(e)));
    }
  }
}
