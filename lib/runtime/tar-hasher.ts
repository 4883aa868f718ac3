import crypto from "node:crypto";

export interface ArchiveEntry {
  path: string;
  type: "file" | "directory" | "symlink" | "other";
  size: number;
  /** Of a file's content. */
  sha256?: string;
  linkTarget?: string;
}

/**
 * Reads a tar stream (GNU or ustar, as GNU tar writes it) as it passes by and records every
 * member with the sha256 of its content, so an archive's manifest comes from the archive
 * itself in the same pass that writes it (or that extracts it). Pure; no file access.
 */
export class TarHasher {
  readonly entries: ArchiveEntry[] = [];
  bytes = 0;
  private header = Buffer.alloc(512);
  private headerFill = 0;
  private remaining = 0; // content bytes of the current member still to come
  private padding = 0; // zero bytes after it, up to a 512-byte boundary
  private current: { entry: ArchiveEntry; hash: crypto.Hash | null; longName?: Buffer[]; longLink?: Buffer[] } | null = null;
  private pendingLongName: string | null = null;
  private pendingLongLink: string | null = null;
  private ended = false;

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    let i = 0;
    while (i < chunk.length && !this.ended) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, chunk.length - i);
        const part = chunk.subarray(i, i + n);
        if (this.current?.hash) this.current.hash.update(part);
        if (this.current?.longName) this.current.longName.push(Buffer.from(part));
        if (this.current?.longLink) this.current.longLink.push(Buffer.from(part));
        this.remaining -= n;
        i += n;
        if (this.remaining === 0) this.finishMember();
        continue;
      }
      if (this.padding > 0) {
        const n = Math.min(this.padding, chunk.length - i);
        this.padding -= n;
        i += n;
        continue;
      }
      const n = Math.min(512 - this.headerFill, chunk.length - i);
      chunk.copy(this.header, this.headerFill, i, i + n);
      this.headerFill += n;
      i += n;
      if (this.headerFill === 512) {
        this.headerFill = 0;
        this.readHeader();
      }
    }
  }

  private readHeader() {
    const h = this.header;
    if (h.every((b) => b === 0)) {
      this.ended = true; // the end-of-archive marker
      return;
    }
    const size = parseSize(h.subarray(124, 136));
    const flag = String.fromCharCode(h[156]!);
    const name = cString(h.subarray(0, 100));
    const prefix = h.subarray(257, 263).toString("latin1").startsWith("ustar") ? cString(h.subarray(345, 500)) : "";
    const fullName = this.pendingLongName ?? (prefix ? `${prefix}/${name}` : name);
    const linkName = this.pendingLongLink ?? cString(h.subarray(157, 257));
    this.remaining = size;
    this.padding = (512 - (size % 512)) % 512;
    if (flag === "L" || flag === "K") {
      this.current = { entry: { path: "", type: "other", size }, hash: null, ...(flag === "L" ? { longName: [] } : { longLink: [] }) };
    } else {
      this.pendingLongName = null;
      this.pendingLongLink = null;
      const type: ArchiveEntry["type"] = flag === "0" || flag === "\0" || flag === "7" ? "file" : flag === "5" ? "directory" : flag === "2" ? "symlink" : "other";
      const entry: ArchiveEntry = { path: fullName.replace(/^\.\//, "").replace(/\/$/, ""), type, size: type === "file" ? size : 0 };
      if (type === "symlink") entry.linkTarget = linkName;
      this.current = { entry, hash: type === "file" ? crypto.createHash("sha256") : null };
    }
    if (this.remaining === 0) this.finishMember();
  }

  private finishMember() {
    const c = this.current;
    this.current = null;
    if (!c) return;
    if (c.longName) {
      this.pendingLongName = cString(Buffer.concat(c.longName));
      return;
    }
    if (c.longLink) {
      this.pendingLongLink = cString(Buffer.concat(c.longLink));
      return;
    }
    if (c.hash) c.entry.sha256 = c.hash.digest("hex");
    if (c.entry.path && c.entry.path !== ".") this.entries.push(c.entry);
  }

  /** Throws when the stream ended in the middle of a member. */
  end(): void {
    if (this.remaining > 0 || this.headerFill > 0) throw new Error("The archive ends in the middle of a file: it is truncated.");
  }
}

function cString(b: Buffer): string {
  const zero = b.indexOf(0);
  return b.subarray(0, zero === -1 ? b.length : zero).toString("utf8");
}

function parseSize(field: Buffer): number {
  if (field[0]! & 0x80) {
    // GNU base-256 for sizes over 8 GiB
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    return n;
  }
  const text = cString(field).trim();
  return text ? Number.parseInt(text, 8) : 0;
}
