// A backup archive's import: reads the archive on stdin (one tar of manifest.json then data.tar,
// as the console's Download makes it), proves every entry of it against the manifest, and writes
// the data's files into a new, empty folder, in a process of its own (never the server's thread;
// its memory capped by the caller). Nothing here runs `tar`: both archives are read by the strict
// reader below, which takes only what GNU tar writes for a folder of plain files, folders, links
// and hard links, and refuses everything else with a sentence.
//
//   node import-child.mjs <new empty folder> <max data bytes> <max entries>
//
// What it refuses (exit 1, one sentence on stderr, the folder left for the caller to delete):
// - an outer archive other than exactly manifest.json (≤ 64 MiB) then data.tar, then its end;
// - a header whose checksum is wrong, an unknown magic, a member type other than file, folder,
//   symbolic link, hard link (to a file written earlier from the same archive; not to a link), GNU long name or
//   long link (≤ 4096 bytes), or FIFO/device (listed in the manifest as "other", never made);
// - a path that is absolute, holds "..", ".", an empty part or NUL, is over 4096 bytes or 1024
//   parts deep, or comes twice; an entry beneath a link's path, or a link with entries beneath
//   it (in either order); a hard link to anything but an earlier file;
// - any entry whose path, type, size or sha256 differs from the manifest's entry at its place,
//   an entry count other than the manifest's, a data archive of another size than it says;
// - data over <max data bytes> or <max entries> (checked against the manifest before anything is
//   written, and again as it is read), a stream that ends early (truncated).
// Files and folders are made beneath the folder with O_EXCL and O_NOFOLLOW; symbolic links are
// made last, once every file is written, so no write ever passes through one.
// Output: `{"done": true, "files": n, "bytes": n, "entries": n, "meta": {…}}` on stdout.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

const [root, maxBytesArg, maxEntriesArg] = process.argv.slice(2);
const MAX_BYTES = Number(maxBytesArg);
const MAX_ENTRIES = Number(maxEntriesArg);
if (!root || !Number.isSafeInteger(MAX_BYTES) || !Number.isSafeInteger(MAX_ENTRIES)) {
  process.stderr.write("usage: import-child.mjs <new empty folder> <max data bytes> <max entries>\n");
  process.exit(2);
}
const MANIFEST_MAX = 64 * 1024 * 1024;
const NAME_MAX = 4096;
const DEPTH_MAX = 1024;
const C = fs.constants;

class Refused extends Error {}
const refuse = (message) => {
  throw new Refused(message);
};
const mib = (n) => `${(n / 1048576).toFixed(n < 10 * 1048576 ? 1 : 0)} MiB`;

const cString = (b) => {
  const zero = b.indexOf(0);
  return b.subarray(0, zero === -1 ? b.length : zero).toString("utf8");
};

function parseNumber(field, what) {
  if (field[0] & 0x80) {
    if (field[0] !== 0x80) refuse(`A ${what} in the archive is negative or too large: it is not one this console wrote.`);
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i];
    if (!Number.isSafeInteger(n)) refuse(`A ${what} in the archive is too large.`);
    return n;
  }
  const text = cString(field).trim();
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) refuse(`A ${what} in the archive is not a number: the archive is damaged.`);
  const n = Number.parseInt(text, 8);
  if (!Number.isSafeInteger(n)) refuse(`A ${what} in the archive is too large.`);
  return n;
}

/**
 * A strict, streaming tar reader: `push` bytes, and it calls `onHeader(h)` for each member
 * (GNU long names already applied), `onData(bytes)` for its content and `onMemberEnd()` after
 * it. `end()` throws unless the archive ended properly.
 */
class StrictTar {
  constructor(what, { onHeader, onData, onMemberEnd }) {
    this.what = what;
    this.onHeader = onHeader;
    this.onData = onData;
    this.onMemberEnd = onMemberEnd;
    this.block = Buffer.alloc(512);
    this.fill = 0;
    this.remaining = 0;
    this.padding = 0;
    this.long = null; // { kind: "L" | "K", parts: [], size }
    this.longName = null;
    this.longLink = null;
    this.zeroBlocks = 0;
    this.inMember = false;
    this.bytes = 0;
  }

  push(chunk) {
    this.bytes += chunk.length;
    let i = 0;
    while (i < chunk.length) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, chunk.length - i);
        const part = chunk.subarray(i, i + n);
        if (this.long) this.long.parts.push(Buffer.from(part));
        else this.onData(part);
        this.remaining -= n;
        i += n;
        if (this.remaining === 0) this.memberDone();
        continue;
      }
      if (this.padding > 0) {
        const n = Math.min(this.padding, chunk.length - i);
        for (let k = i; k < i + n; k++) if (chunk[k] !== 0) refuse(`${this.what}: the padding after a member is not zeros: the archive is damaged.`);
        this.padding -= n;
        i += n;
        continue;
      }
      const n = Math.min(512 - this.fill, chunk.length - i);
      chunk.copy(this.block, this.fill, i, i + n);
      this.fill += n;
      i += n;
      if (this.fill === 512) {
        this.fill = 0;
        this.header();
      }
    }
  }

  header() {
    const h = this.block;
    if (h.every((b) => b === 0)) {
      if (this.long) refuse(`${this.what}: a long name is not followed by its member.`);
      this.zeroBlocks++;
      return;
    }
    if (this.zeroBlocks > 0) refuse(`${this.what}: there is more after the archive's end marker.`);
    const stored = parseNumber(h.subarray(148, 156), "header checksum");
    let sum = 0;
    for (let k = 0; k < 512; k++) sum += k >= 148 && k < 156 ? 32 : h[k];
    if (sum !== stored) refuse(`${this.what}: a header's checksum is wrong: the archive is damaged.`);
    const magic = h.subarray(257, 265).toString("latin1");
    const posix = magic === "ustar\u000000";
    if (!posix && magic !== "ustar  \u0000") refuse(`${this.what}: a header is not a POSIX or GNU tar header.`);
    const size = parseNumber(h.subarray(124, 136), "member size");
    const flag = String.fromCharCode(h[156]);
    this.remaining = size;
    this.padding = (512 - (size % 512)) % 512;
    if (flag === "L" || flag === "K") {
      if (this.long) refuse(`${this.what}: two long names in a row.`);
      if (size === 0 || size > NAME_MAX + 1) refuse(`${this.what}: a long name of ${size} bytes (at most ${NAME_MAX}).`);
      this.long = { kind: flag, parts: [] };
      return;
    }
    const name = this.longName ?? (posix && h[345] !== 0 ? `${cString(h.subarray(345, 500))}/${cString(h.subarray(0, 100))}` : cString(h.subarray(0, 100)));
    const linkName = this.longLink ?? cString(h.subarray(157, 257));
    this.longName = null;
    this.longLink = null;
    const mode = parseNumber(h.subarray(100, 108), "mode");
    const mtime = parseNumber(h.subarray(136, 148), "time");
    this.inMember = true;
    this.onHeader({ name, linkName, flag, size, mode, mtime });
    if (this.remaining === 0) this.memberDone();
  }

  memberDone() {
    if (this.long) {
      const text = cString(Buffer.concat(this.long.parts));
      if (this.long.kind === "L") this.longName = text;
      else this.longLink = text;
      this.long = null;
      return;
    }
    this.inMember = false;
    this.onMemberEnd();
  }

  end() {
    if (this.remaining > 0 || this.padding > 0 || this.fill > 0 || this.inMember || this.long) refuse(`${this.what} ends in the middle of a member: it is truncated.`);
    if (this.zeroBlocks === 0) refuse(`${this.what} has no end marker: it is truncated.`);
  }
}

/** A member's path as the manifest has it ("./a/b/" → "a/b"), or a refusal; "" for the root itself. */
function cleanPath(name) {
  if (name.includes("\u0000")) refuse("A path in the archive holds a NUL byte.");
  if (Buffer.byteLength(name) > NAME_MAX) refuse(`A path in the archive is over ${NAME_MAX} bytes.`);
  let p = name;
  if (p.startsWith("/")) refuse(`“${p.slice(0, 200)}” is an absolute path: a backup holds paths beneath its own folder only.`);
  if (p === "." || p === "./") return "";
  if (p.startsWith("./")) p = p.slice(2);
  if (p.endsWith("/")) p = p.slice(0, -1);
  const parts = p.split("/");
  if (parts.length > DEPTH_MAX) refuse(`A path in the archive is ${parts.length} folders deep (at most ${DEPTH_MAX}).`);
  for (const part of parts) {
    if (part === "..") refuse(`“${p.slice(0, 200)}” leads out of the backup's folder (“..”): it is refused.`);
    if (part === "" || part === ".") refuse(`“${p.slice(0, 200)}” is not a plain path (an empty or “.” part).`);
  }
  return p;
}

// ---- The data archive: entries proved against the manifest and written beneath root.

let manifest = null;
let expectedIndex = 0;
const seen = new Set();
const filesWritten = new Set();
const symlinks = [];
/** Every link entry's path, and every folder some entry lies beneath: no entry may lie beneath a link, and no link where entries lie beneath. */
const linkPaths = new Set();
const ancestorsSeen = new Set();
let dataBytes = 0;
let fileCount = 0;
let current = null; // { fd, hash, expected, path, written }

const TYPES = { 0: "file", "\u0000": "file", 7: "file", 5: "directory", 2: "symlink", 1: "other", 3: "other", 4: "other", 6: "other" };

function makeParents(rel) {
  const dir = path.dirname(rel);
  if (dir === ".") return;
  // Every folder beneath root is one this process made (no link is ever made before the end).
  fs.mkdirSync(path.join(root, dir), { recursive: true, mode: 0o755 });
}

const inner = new StrictTar("The data archive (data.tar)", {
  onHeader(h) {
    const type = TYPES[h.flag];
    if (!type) refuse(`The data archive holds a member of type “${h.flag.replace(/[^\x20-\x7e]/g, "?")}” (${h.name.slice(0, 200)}): only files, folders, links and hard links are imported.`);
    const rel = cleanPath(h.name);
    if (rel === "") {
      if (type !== "directory") refuse("The data archive's root is not a folder.");
      current = null;
      return;
    }
    const expected = manifest.files[expectedIndex++];
    if (!expected) refuse(`The data archive holds more entries than its manifest lists (${manifest.files.length}).`);
    const size = type === "file" ? h.size : 0;
    if (expected.path !== rel || expected.type !== type || expected.size !== size) refuse(`Entry ${expectedIndex} of the data archive (${rel.slice(0, 200)}) is not what the manifest lists there (${String(expected.path).slice(0, 200)}): the archive is damaged or altered.`);
    if (type !== "file" && h.size !== 0) refuse(`${rel.slice(0, 200)} is a ${type} with content: the archive is damaged.`);
    if (seen.has(rel)) refuse(`${rel.slice(0, 200)} comes twice in the data archive.`);
    seen.add(rel);
    // Nothing is ever made through a link: an entry beneath a link's path, or a link where other
    // entries lie beneath, is refused (whichever comes first in the archive).
    for (let i = rel.indexOf("/"); i !== -1; i = rel.indexOf("/", i + 1)) {
      const ancestor = rel.slice(0, i);
      if (linkPaths.has(ancestor)) refuse(`${rel.slice(0, 200)} lies beneath ${ancestor.slice(0, 200)}, which is a link: it is refused.`);
      ancestorsSeen.add(ancestor);
    }
    if (type === "symlink") {
      if (ancestorsSeen.has(rel)) refuse(`${rel.slice(0, 200)} is a link, and other entries lie beneath it: it is refused.`);
      linkPaths.add(rel);
    }
    if (expectedIndex > MAX_ENTRIES) refuse(`The data archive holds more than ${MAX_ENTRIES} entries.`);
    const target = path.join(root, rel);
    current = null;
    if (type === "directory") {
      makeParents(rel);
      fs.mkdirSync(target, { mode: 0o755 });
    } else if (type === "file") {
      dataBytes += h.size;
      if (dataBytes > MAX_BYTES) refuse(`The data is over ${mib(MAX_BYTES)}: this environment's backups take no more.`);
      makeParents(rel);
      const fd = fs.openSync(target, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, h.mode & 0o111 ? 0o755 : 0o644);
      current = { fd, hash: crypto.createHash("sha256"), expected, rel, mtime: h.mtime };
      fileCount++;
    } else if (type === "symlink") {
      if (Buffer.byteLength(h.linkName) > NAME_MAX || h.linkName.includes("\u0000") || h.linkName === "") refuse(`${rel.slice(0, 200)} is a link with no usable target.`);
      if (expected.linkTarget !== undefined && expected.linkTarget !== h.linkName) refuse(`${rel.slice(0, 200)} links elsewhere than its manifest says.`);
      symlinks.push({ rel, to: h.linkName });
    } else if (h.flag === "1") {
      const to = cleanPath(h.linkName);
      if (!filesWritten.has(to)) refuse(`${rel.slice(0, 200)} is a hard link to ${to.slice(0, 200)}, which is not a file earlier in the archive: it is refused.`);
      makeParents(rel);
      fs.linkSync(path.join(root, to), target);
    }
    // FIFOs and devices: listed, never made.
  },
  onData(part) {
    if (!current) return;
    current.hash.update(part);
    let off = 0;
    while (off < part.length) off += fs.writeSync(current.fd, part, off, part.length - off);
  },
  onMemberEnd() {
    if (!current) return;
    const { fd, hash, expected, rel, mtime } = current;
    current = null;
    const sha = hash.digest("hex");
    if (sha !== expected.sha256) refuse(`${rel.slice(0, 200)} does not match its sha256 in the manifest: the archive is damaged or altered.`);
    fs.futimesSync(fd, mtime, mtime);
    fs.closeSync(fd);
    filesWritten.add(rel);
  },
});

// ---- The outer archive: manifest.json, then data.tar.

let outerIndex = 0;
let outerMember = null; // "manifest" | "data"
const manifestParts = [];
let dataTarBytes = 0;

function readManifest() {
  let m;
  try {
    m = JSON.parse(Buffer.concat(manifestParts).toString("utf8"));
  } catch {
    refuse("manifest.json is not JSON: this is not a backup downloaded from this console.");
  }
  if (!m || typeof m !== "object" || m.version !== 1 || !Array.isArray(m.files) || !m.archive || !Number.isSafeInteger(m.archive.size)) refuse("manifest.json is not a backup manifest of this console (version 1, its files and archive size).");
  if (m.files.length > MAX_ENTRIES) refuse(`The manifest lists ${m.files.length} entries: a backup imported here holds at most ${MAX_ENTRIES}.`);
  let total = 0;
  for (const f of m.files) {
    if (!f || typeof f.path !== "string" || !["file", "directory", "symlink", "other"].includes(f.type) || !Number.isSafeInteger(f.size) || f.size < 0) refuse("The manifest lists an entry without a path, type and size.");
    if (f.type === "file" && (typeof f.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(f.sha256))) refuse(`The manifest lists ${String(f.path).slice(0, 200)} without its sha256.`);
    total += f.size;
  }
  if (total > MAX_BYTES) refuse(`The backup holds ${mib(total)} of data: this environment's backups take at most ${mib(MAX_BYTES)}.`);
  const text = (v, max) => (typeof v === "string" && v.length <= max ? v : null);
  return { ...m, meta: { project: text(m.project, 100), environment: text(m.environment, 100), deployedCommit: typeof m.deployedCommit === "string" && /^[0-9a-f]{40}$/.test(m.deployedCommit) ? m.deployedCommit : null, consistency: m.consistency === "consistent" ? "consistent" : "live", createdAt: text(m.createdAt, 40), totalBytes: total } };
}

const outer = new StrictTar("The backup archive", {
  onHeader(h) {
    outerIndex++;
    const name = h.name.replace(/^\.\//, "");
    if (h.flag !== "0" && h.flag !== "\u0000") refuse(`The backup archive holds “${name.slice(0, 200)}”, which is not a plain file: it is not one this console wrote.`);
    if (outerIndex === 1 && name === "manifest.json") {
      if (h.size > MANIFEST_MAX) refuse(`manifest.json is ${mib(h.size)} (at most ${mib(MANIFEST_MAX)}).`);
      outerMember = "manifest";
    } else if (outerIndex === 2 && name === "data.tar") {
      if (h.size !== manifest.archive.size) refuse(`data.tar is ${h.size} bytes where its manifest says ${manifest.archive.size}: the archive is damaged or altered.`);
      outerMember = "data";
    } else {
      refuse(outerIndex > 2 ? "The backup archive holds more than manifest.json and data.tar." : "A backup archive begins with manifest.json, then data.tar: this is not one downloaded from this console.");
    }
  },
  onData(part) {
    if (outerMember === "manifest") {
      manifestParts.push(Buffer.from(part));
    } else {
      dataTarBytes += part.length;
      inner.push(part);
    }
  },
  onMemberEnd() {
    if (outerMember === "manifest") manifest = readManifest();
    else if (outerMember === "data") inner.end();
    outerMember = null;
  },
});

try {
  if (fs.readdirSync(root).length > 0) refuse("The import's folder is not empty.");
  for await (const chunk of process.stdin) outer.push(chunk);
  outer.end();
  if (!manifest) refuse("The backup archive holds no manifest.json.");
  if (outerIndex < 2) refuse("The backup archive holds no data.tar.");
  if (expectedIndex !== manifest.files.length) refuse(`The data archive holds ${expectedIndex} entries where its manifest lists ${manifest.files.length}: it is truncated or altered.`);
  // No entry lies beneath a link (checked above), so every folder on a link's way is one this process made.
  for (const { rel, to } of symlinks) {
    makeParents(rel);
    fs.symlinkSync(to, path.join(root, rel));
  }
  process.stdout.write(`${JSON.stringify({ done: true, files: fileCount, bytes: dataBytes, entries: expectedIndex, archiveBytes: dataTarBytes, meta: manifest.meta })}\n`);
  process.exit(0);
} catch (err) {
  if (err instanceof Refused) {
    process.stderr.write(`${err.message}\n`);
  } else if (err && (err.code === "EEXIST" || err.code === "ENOTDIR" || err.code === "ELOOP")) {
    // A path made twice or through something that is not a folder: the manifest and its entries disagree.
    process.stderr.write("The data archive's entries overlap (a path made twice, or beneath a file): it is refused.\n");
  } else if (err && err.code === "ENOSPC") {
    process.stderr.write("The disk is full: the backup could not be imported.\n");
  } else {
    process.stderr.write(`The backup could not be imported: ${err && err.message ? err.message : String(err)}\n`);
  }
  process.exit(1);
}
