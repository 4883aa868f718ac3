import "server-only";
import fs from "node:fs";
import path from "node:path";
import { AppLogRefused } from "./log-file";
import { compareAppLogNames, parseAppLogFileName, type AppLogName } from "./log-names";

/** A line of a log, and the byte offset just after it (its newline included): where reading resumes. */
export interface LogRecord {
  line: string;
  offset: number;
}

export interface LogLines {
  lines: LogRecord[];
  /** The offset after the last complete line read (a line still being written is left for later). */
  end: number;
  /** The file's inode (null: no file), so a follower can tell a rotated file from this one. */
  inode: number | null;
}

const C = fs.constants;
const CHUNK = 64 * 1024;
/** The most a tail reads: 100,000 lines of 160 bytes; longer lines give fewer of them. */
export const MAX_TAIL_BYTES = 16 * 1024 * 1024;
/** A stretch without a newline longer than this (not a line the writer wrote) is delivered cut. */
const MAX_RAW_LINE = 64 * 1024;

/**
 * Opens a log for reading without following a link (a link, a folder, a FIFO or a device at the
 * path is refused); null when there is no file.
 */
export async function openLogForReading(file: string): Promise<fs.promises.FileHandle | null> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    if (code === "ELOOP") throw new AppLogRefused(`${path.basename(file)} is a link: refused`);
    throw e;
  }
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    throw new AppLogRefused(`${path.basename(file)} is not a regular file: refused`);
  }
  return handle;
}

/** The complete lines of `buffer` (read at file offset `base`), and the offset after the last one. */
function splitRecords(buffer: Buffer, base: number, records: LogRecord[]): number {
  let start = 0;
  for (let nl = buffer.indexOf(10); nl !== -1; nl = buffer.indexOf(10, start)) {
    const end = nl > start && buffer[nl - 1] === 13 ? nl - 1 : nl;
    records.push({ line: buffer.toString("utf8", start, end), offset: base + nl + 1 });
    start = nl + 1;
  }
  return base + start;
}

/**
 * The last `n` complete lines of a log, read backwards in 64 kB chunks: memory holds those lines
 * only (at most MAX_TAIL_BYTES of them; past that, fewer lines). No file: no lines.
 */
export async function tailLines(file: string, n: number, options: { maxBytes?: number } = {}): Promise<LogLines> {
  const maxBytes = options.maxBytes ?? MAX_TAIL_BYTES;
  const handle = await openLogForReading(file);
  if (!handle) return { lines: [], end: 0, inode: null };
  try {
    const stat = await handle.stat();
    const chunks: Buffer[] = [];
    let pos = stat.size;
    let end = -1; // the offset after the last newline
    let newlines = 0;
    let start = 0; // where the first wanted line starts
    let found = false;
    while (pos > 0 && !found) {
      const length = Math.min(CHUNK, pos);
      pos -= length;
      const chunk = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(chunk, 0, length, pos);
      const data = chunk.subarray(0, bytesRead);
      for (let i = data.length - 1; i >= 0; i--) {
        if (data[i] !== 10) continue;
        if (end === -1) end = pos + i + 1;
        else if (++newlines === n) {
          start = pos + i + 1;
          found = true;
          break;
        }
      }
      chunks.unshift(data);
      if (end === -1 && stat.size - pos > maxBytes) return { lines: [], end: stat.size, inode: stat.ino }; // no line ends in the last maxBytes
      if (end !== -1 && end - pos > maxBytes && !found) {
        // Too much: keep the lines that start within the last maxBytes.
        const cut = data.indexOf(10, Math.max(0, end - maxBytes - pos));
        start = cut === -1 ? end : pos + cut + 1;
        found = true;
      }
    }
    if (end === -1 || n <= 0) return { lines: [], end: Math.max(end, 0), inode: stat.ino };
    const all = Buffer.concat(chunks);
    const records: LogRecord[] = [];
    splitRecords(all.subarray(start - pos, end - pos), start, records);
    return { lines: records, end, inode: stat.ino };
  } finally {
    await handle.close();
  }
}

/**
 * The complete lines after byte `from` (at most `maxLines` of them, about `maxBytes`), read
 * through an open handle: what a follower and a poll take each time.
 */
export async function readLinesAt(handle: fs.promises.FileHandle, from: number, maxLines = 10_000, maxBytes = 1024 * 1024): Promise<{ lines: LogRecord[]; end: number }> {
  const records: LogRecord[] = [];
  let pos = from;
  let read = 0;
  while (records.length < maxLines && read < maxBytes) {
    const buffer = Buffer.allocUnsafe(Math.max(CHUNK, Math.min(maxBytes - read, 256 * 1024)));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, pos);
    if (bytesRead === 0) break;
    const data = buffer.subarray(0, bytesRead);
    let end = splitRecords(data, pos, records);
    if (end === pos) {
      if (bytesRead < MAX_RAW_LINE) break; // a line still being written
      // A stretch without a newline that no writer of ours made: delivered cut, never held whole.
      records.push({ line: `${data.toString("utf8", 0, MAX_RAW_LINE).replace(/\uFFFD$/, "")} … [line cut]`, offset: pos + bytesRead });
      end = pos + bytesRead;
    }
    read += end - pos;
    pos = end;
    if (bytesRead < buffer.length) break;
  }
  if (records.length > maxLines) {
    records.length = maxLines;
    pos = records.at(-1)!.offset;
  }
  return { lines: records, end: pos };
}

/** readLinesAt on a log file by name (no file: no lines); an offset past its end starts over at 0 (it was rotated). */
export async function readLinesFrom(file: string, from: number, maxLines = 10_000): Promise<LogLines> {
  const handle = await openLogForReading(file);
  if (!handle) return { lines: [], end: 0, inode: null };
  try {
    const stat = await handle.stat();
    const start = from > stat.size ? 0 : from;
    const { lines, end } = await readLinesAt(handle, start, maxLines, 4 * 1024 * 1024);
    return { lines, end, inode: stat.ino };
  } finally {
    await handle.close();
  }
}

export interface AppLogFileInfo {
  name: AppLogName;
  /** The current file's size (0 when only rotated parts exist). */
  bytes: number;
  modifiedAt: Date | null;
  /** Rotated parts beside it. */
  parts: number;
}

/** The logs in an environment's logs folder (regular files only: a link there is not a log), in the console's order. */
export async function listAppLogFiles(dir: string): Promise<AppLogFileInfo[]> {
  const entries = await fs.promises.readdir(dir, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT" || e.code === "ENOTDIR") return [];
    throw e;
  });
  const logs = new Map<AppLogName, AppLogFileInfo>();
  const get = (name: AppLogName) => {
    let info = logs.get(name);
    if (!info) logs.set(name, (info = { name, bytes: 0, modifiedAt: null, parts: 0 }));
    return info;
  };
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const kind = parseAppLogFileName(entry.name);
    if (!kind) continue;
    if (kind.part === null) {
      const stat = await fs.promises.lstat(path.join(dir, entry.name)).catch(() => null);
      if (!stat?.isFile()) continue;
      const info = get(kind.name);
      info.bytes = stat.size;
      info.modifiedAt = stat.mtime;
    } else get(kind.name).parts++;
  }
  return [...logs.values()].sort((a, b) => compareAppLogNames(a.name, b.name));
}
