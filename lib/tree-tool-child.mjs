// The tree tool: the server's file work on environment data (copy, size, remove, prepare
// mount places), done in a process of its own so a tree of 100,000 files never holds the
// server's thread, and done beneath a root it opened itself, never following a link.
//
// Every step goes through a directory this process holds open: `/proc/self/fd/<dir>/<name>`
// names the entry <name> of that very directory (the kernel follows the descriptor's magic
// link, not a path someone could change), and O_NOFOLLOW refuses <name> itself when it is a
// link. A directory swapped for a link while we work makes the next open fail (ELOOP,
// ENOTDIR); it is never followed. Links inside the tree are copied as links; FIFOs, sockets
// and device files are skipped with a line; hard links are copied as separate files.
//
//   node tree-tool-child.mjs copy   <source root> <new target> [--empty <rel>]…
//                                   a copy of everything beneath source; each <rel> folder is made
//                                   empty in the copy (what another way copies: a running database)
//   node tree-tool-child.mjs size   <root>                          bytes of the regular files beneath root
//   node tree-tool-child.mjs size   <root> <root>…                  the same for each root, in `sizes` (null: not a folder to open)
//   node tree-tool-child.mjs remove <path>                          removes path and everything beneath it
//   node tree-tool-child.mjs prepare <app root> <rel>…              makes each rel an empty directory beneath app root
//   node tree-tool-child.mjs ensure <root> <rel>…                   makes each rel a directory beneath root (kept when it is one)
//   node tree-tool-child.mjs adopt  <root> <rel> <name>             moves root/rel to root/<name> (a legacy layout's nested mount)
//
// Output: one JSON object per line; `{"skip": path, "why": sentence}` for each entry left out
// (the first 100), then `{"done": true, …}`. Exit 0 on success, 1 with a sentence on stderr.
import fs from "node:fs";

const C = fs.constants;
const DIR_FLAGS = C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW | C.O_NONBLOCK;
const FILE_FLAGS = C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK;
/** Copies and sizes go no deeper than this (a line says what was left out); removal has no limit. */
const MAX_DEPTH = 1024;
const MAX_SKIP_LINES = 100;

// Names are bytes (a name that is not UTF-8 is still a name): paths are built as Buffers.
const at = (dirFd, name) => Buffer.concat([Buffer.from(`/proc/self/fd/${dirFd}/`), typeof name === "string" ? Buffer.from(name) : name]);
const list = (dirFd) => fs.readdirSync(`/proc/self/fd/${dirFd}`, { encoding: "buffer" });
const show = (rel, name) => (rel ? `${rel}/` : "") + name.toString("utf8");
const out = [];
let skipped = 0;
const skip = (rel, why) => {
  skipped++;
  if (skipped <= MAX_SKIP_LINES) out.push(JSON.stringify({ skip: rel, why }));
};
const kind = (st) => (st.isFIFO() ? "a FIFO (named pipe)" : st.isSocket() ? "a socket" : st.isCharacterDevice() || st.isBlockDevice() ? "a device file" : "not a file, folder or link");
const same = (a, b) => a.dev === b.dev && a.ino === b.ino;

/** Opens a root path the server composed; its last component must be a directory, not a link. */
function openRoot(p) {
  const st = fs.lstatSync(p);
  if (st.isSymbolicLink()) throw new Error(`${p} is a link, not a folder: refused`);
  if (!st.isDirectory()) throw new Error(`${p} is not a folder`);
  const fd = fs.openSync(p, DIR_FLAGS);
  if (!same(fs.fstatSync(fd), st)) throw new Error(`${p} changed while it was opened: refused`);
  return fd;
}

/** Opens the directory `name` of `dirFd`, checking it is the one lstat saw (null when it changed). */
function openChildDir(dirFd, name, st) {
  let fd;
  try {
    fd = fs.openSync(at(dirFd, name), DIR_FLAGS);
  } catch {
    return null;
  }
  if (!same(fs.fstatSync(fd), st)) {
    fs.closeSync(fd);
    return null;
  }
  return fd;
}

/** Relative paths of folders the copy makes empty instead of copying (copy's `--empty`). */
const leaveEmpty = new Set();

function copyTree(srcFd, dstFd, rel, depth, totals) {
  for (const name of list(srcFd)) {
    const r = show(rel, name);
    if (leaveEmpty.has(r)) {
      fs.mkdirSync(at(dstFd, name), { mode: 0o700 });
      continue;
    }
    let st;
    try {
      st = fs.lstatSync(at(srcFd, name));
    } catch {
      continue; // gone meanwhile
    }
    if (st.isSymbolicLink()) {
      let target;
      try {
        target = fs.readlinkSync(at(srcFd, name), { encoding: "buffer" });
      } catch {
        continue;
      }
      fs.symlinkSync(target, at(dstFd, name));
      totals.links++;
    } else if (st.isDirectory()) {
      if (depth >= MAX_DEPTH) {
        skip(r, `nested deeper than ${MAX_DEPTH} folders`);
        continue;
      }
      const child = openChildDir(srcFd, name, st);
      if (child === null) {
        skip(r, "it changed while it was copied (a folder replaced by a link or a file)");
        continue;
      }
      try {
        fs.mkdirSync(at(dstFd, name), { mode: 0o700 });
        const dchild = fs.openSync(at(dstFd, name), DIR_FLAGS);
        try {
          copyTree(child, dchild, r, depth + 1, totals);
          fs.fchmodSync(dchild, st.mode & 0o777);
          fs.futimesSync(dchild, st.atime, st.mtime);
        } finally {
          fs.closeSync(dchild);
        }
      } finally {
        fs.closeSync(child);
      }
      totals.dirs++;
    } else if (st.isFile()) {
      let fd;
      try {
        fd = fs.openSync(at(srcFd, name), FILE_FLAGS);
      } catch {
        skip(r, "it changed while it was copied (a file replaced by a link)");
        continue;
      }
      try {
        const fst = fs.fstatSync(fd);
        if (!same(fst, st) || !fst.isFile()) {
          skip(r, "it changed while it was copied");
          continue;
        }
        // Through the descriptor we hold: a reflink where the file system allows, else a copy.
        fs.copyFileSync(`/proc/self/fd/${fd}`, at(dstFd, name), C.COPYFILE_FICLONE | C.COPYFILE_EXCL);
        const copied = fs.openSync(at(dstFd, name), C.O_RDONLY | C.O_NOFOLLOW);
        try {
          fs.fchmodSync(copied, fst.mode & 0o777); // never setuid, setgid or sticky
          fs.futimesSync(copied, fst.atime, fst.mtime);
        } finally {
          fs.closeSync(copied);
        }
        totals.bytes += fst.size;
        totals.files++;
      } finally {
        fs.closeSync(fd);
      }
    } else skip(r, `${kind(st)}: not copied`);
  }
}

function sizeTree(dirFd, rel, depth, totals) {
  for (const name of list(dirFd)) {
    let st;
    try {
      st = fs.lstatSync(at(dirFd, name));
    } catch {
      continue;
    }
    if (st.isFile()) {
      totals.bytes += st.size;
      totals.files++;
    } else if (st.isDirectory() && depth < MAX_DEPTH) {
      const child = openChildDir(dirFd, name, st);
      if (child === null) continue;
      try {
        sizeTree(child, show(rel, name), depth + 1, totals);
      } finally {
        fs.closeSync(child);
      }
    }
  }
}

const unlinkQuietly = (dirFd, name) => {
  try {
    fs.unlinkSync(at(dirFd, name));
  } catch (e) {
    if (e.code !== "ENOENT") throw e;
  }
};

/**
 * Removes the entry `name` of `dirFd` and everything beneath it, with a stack of open folders
 * rather than recursion (no depth is too deep). Whatever is not a folder is unlinked, never
 * followed; a folder swapped for something else meanwhile is unlinked in its turn.
 */
function removeEntry(dirFd, name) {
  const stack = [{ parent: dirFd, name, fd: null, entries: null, i: 0, retries: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.fd === null) {
      let st;
      try {
        st = fs.lstatSync(at(top.parent, top.name));
      } catch {
        stack.pop();
        continue;
      }
      const fd = st.isDirectory() ? openChildDir(top.parent, top.name, st) : null;
      if (fd === null) {
        unlinkQuietly(top.parent, top.name);
        stack.pop();
        continue;
      }
      top.fd = fd;
      top.entries = list(fd);
      top.i = 0;
    }
    if (top.i < top.entries.length) {
      const child = top.entries[top.i++];
      let st;
      try {
        st = fs.lstatSync(at(top.fd, child));
      } catch {
        continue;
      }
      if (st.isDirectory()) stack.push({ parent: top.fd, name: child, fd: null, entries: null, i: 0, retries: 0 });
      else unlinkQuietly(top.fd, child);
      continue;
    }
    fs.closeSync(top.fd);
    top.fd = null;
    try {
      fs.rmdirSync(at(top.parent, top.name));
      stack.pop();
    } catch (e) {
      if (e.code === "ENOENT") stack.pop();
      else if (e.code === "ENOTDIR") {
        unlinkQuietly(top.parent, top.name);
        stack.pop();
      } else if (e.code === "ENOTEMPTY" && top.retries < 3) top.retries++; // written meanwhile: once more
      else throw e;
    }
  }
}

function splitRel(rel) {
  const parts = rel.split("/").filter(Boolean);
  if (parts.length === 0 || parts.some((p) => p === "." || p === ".." || p.includes("\0"))) throw new Error(`${JSON.stringify(rel)} is not a path beneath the root`);
  return parts;
}

/**
 * Makes root/rel a directory: any link or file on the way is replaced by a directory, never
 * followed; with `empty`, whatever is at rel itself is removed first.
 */
function prepare(rootFd, rel, empty) {
  let dirFd = rootFd;
  const parts = splitRel(rel);
  try {
    for (let i = 0; i < parts.length; i++) {
      const name = parts[i];
      const last = i === parts.length - 1;
      let st = null;
      try {
        st = fs.lstatSync(at(dirFd, name));
      } catch {
        st = null;
      }
      if (st && ((last && empty) || !st.isDirectory())) {
        removeEntry(dirFd, name);
        st = null;
      }
      if (!st) fs.mkdirSync(at(dirFd, name), { mode: 0o755 });
      const next = openChildDir(dirFd, name, fs.lstatSync(at(dirFd, name)));
      if (next === null) throw new Error(`${parts.slice(0, i + 1).join("/")} changed while it was prepared`);
      if (dirFd !== rootFd) fs.closeSync(dirFd);
      dirFd = next;
    }
  } finally {
    if (dirFd !== rootFd) fs.closeSync(dirFd);
  }
}

/** Moves root/rel (a directory reached without following links) to root/<name>; nothing when rel is missing or not a plain path of directories. */
function adopt(rootFd, rel, name) {
  splitRel(name);
  if (name.includes("/")) throw new Error("the new name must be one component");
  const parts = splitRel(rel);
  let dirFd = rootFd;
  try {
    for (const part of parts.slice(0, -1)) {
      let st;
      try {
        st = fs.lstatSync(at(dirFd, part));
      } catch {
        return false;
      }
      if (!st.isDirectory()) return false;
      const next = openChildDir(dirFd, part, st);
      if (next === null) return false;
      if (dirFd !== rootFd) fs.closeSync(dirFd);
      dirFd = next;
    }
    const last = parts[parts.length - 1];
    let st;
    try {
      st = fs.lstatSync(at(dirFd, last));
    } catch {
      return false;
    }
    if (!st.isDirectory()) return false;
    fs.renameSync(at(dirFd, last), at(rootFd, name));
    return true;
  } finally {
    if (dirFd !== rootFd) fs.closeSync(dirFd);
  }
}

function main([op, ...args]) {
  const totals = { bytes: 0, files: 0, dirs: 0, links: 0 };
  if (op === "copy" && args.length >= 2 && args.length % 2 === 0 && args.slice(2).every((a, i) => i % 2 === 1 || a === "--empty")) {
    for (let i = 3; i < args.length; i += 2) leaveEmpty.add(args[i].replace(/^\/+|\/+$/g, ""));
    const src = openRoot(args[0]);
    fs.mkdirSync(args[1], { mode: 0o700 });
    const dst = openRoot(args[1]);
    copyTree(src, dst, "", 0, totals);
    fs.fchmodSync(dst, fs.fstatSync(src).mode & 0o777);
  } else if (op === "size" && args.length === 1) {
    sizeTree(openRoot(args[0]), "", 0, totals);
  } else if (op === "size" && args.length > 1) {
    // All of an environment's volumes in one process (a process each was six Node starts per environment page).
    totals.sizes = args.map((root) => {
      let fd;
      try {
        fd = openRoot(root);
      } catch {
        return null;
      }
      const own = { bytes: 0, files: 0 };
      try {
        sizeTree(fd, "", 0, own);
      } finally {
        fs.closeSync(fd);
      }
      totals.bytes += own.bytes;
      totals.files += own.files;
      return own.bytes;
    });
  } else if (op === "remove" && args.length === 1) {
    const p = args[0].replace(/\/+$/, "");
    const slash = p.lastIndexOf("/");
    if (slash <= 0) throw new Error(`${p} is not a path to remove`);
    let parent;
    try {
      parent = openRoot(p.slice(0, slash));
    } catch (e) {
      if (e.code === "ENOENT") return finish(totals);
      throw e;
    }
    removeEntry(parent, p.slice(slash + 1));
  } else if (op === "prepare" && args.length >= 2) {
    const root = openRoot(args[0]);
    for (const rel of args.slice(1)) prepare(root, rel, true);
  } else if (op === "ensure" && args.length >= 2) {
    const root = openRoot(args[0]);
    for (const rel of args.slice(1)) prepare(root, rel, false);
  } else if (op === "adopt" && args.length === 3) {
    totals.adopted = adopt(openRoot(args[0]), args[1], args[2]);
  } else throw new Error(`usage: tree-tool copy|size|remove|prepare|ensure|adopt …`);
  finish(totals);
}

function finish(totals) {
  out.push(JSON.stringify({ done: true, ...totals, skipped }));
  process.stdout.write(`${out.join("\n")}\n`);
}

try {
  main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
