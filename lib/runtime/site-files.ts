import "server-only";
import fs from "node:fs";
import path from "node:path";
import type { DeployedMount } from "./volumes";

/** A deployed site as the router reads it. */
export interface Site {
  /** The deployment's folder: the server's copy of the build, which nothing writes after the deploy. */
  deployDir: string;
  /** The web root, relative to the application ("public"; "" for the application's root). */
  webRoot: string;
  /** The deployment's mounts, each served from its own folder in `live`. */
  mounts: readonly DeployedMount[];
  /** The environment's live generation of data (null: none yet). */
  live: string | null;
  /** Files of the deployment never served, relative to the application (the router's settings). */
  hidden: readonly string[];
}

export type SiteFile = { fd: number; stat: fs.Stats; name: string } | "missing" | "refused";

const C = fs.constants;
const MAX_LINKS = 40;
const at = (dirFd: number, name: string) => `/proc/self/fd/${dirFd}/${name}`;
const isUnder = (parts: readonly string[], base: readonly string[]) => base.every((p, i) => parts[i] === p);

/**
 * Opens the file a site path names, as the platform's router would find it through the
 * application's mounts, without ever following a link written by the environment's processes:
 *
 * - In the deployment (the build, frozen at deploy), links are resolved by us, component by
 *   component, and only while they stay inside the application (`/app/…` or relative).
 * - A path that reaches a mount continues in that mount's own folder, opened beneath it one
 *   component at a time through the folder we hold open (`/proc/self/fd/<dir>/<name>`,
 *   O_NOFOLLOW): a link there, a FIFO, a socket or a device is refused, never opened through.
 *
 * The file must lie inside the web root (directly or in a mount under it); a folder gives its
 * index.html. "missing" when nothing is there (the passthru answers), "refused" otherwise.
 * The caller owns the returned descriptor.
 */
export function openSiteFile(site: Site, sitePath: string): SiteFile {
  let decoded: string;
  try {
    decoded = decodeURIComponent(sitePath);
  } catch {
    return "refused";
  }
  if (decoded.includes("\0")) return "refused";
  const web = site.webRoot.split("/").filter(Boolean);
  const requested = [...web, ...path.posix.normalize(`/${decoded}`).split("/").filter(Boolean)];
  return open(site, requested, web, 0);
}

function open(site: Site, parts: string[], web: readonly string[], depth: number): SiteFile {
  const resolved = resolveInApp(site, parts);
  if (typeof resolved === "string") return resolved;
  if (!isUnder(resolved.parts, web)) return "refused";
  const file = resolved.mount ? openInMount(site, resolved.mount, resolved.parts.slice(resolved.mount.path.split("/").length)) : openInDeploy(site, resolved.parts);
  if (file === "directory") return depth === 0 ? open(site, [...resolved.parts, "index.html"], web, 1) : "refused";
  return file;
}

/** The longest mount whose path begins `parts`. */
function mountOf(mounts: readonly DeployedMount[], parts: readonly string[]): DeployedMount | null {
  let best: DeployedMount | null = null;
  for (const m of mounts) {
    const mp = m.path.split("/");
    if (mp.length <= parts.length && isUnder(parts, mp) && (!best || mp.length > best.path.split("/").length)) best = m;
  }
  return best;
}

/** Follows the deployment's links to the application path the request really names. */
function resolveInApp(site: Site, start: string[]): { parts: string[]; mount: DeployedMount | null } | "missing" | "refused" {
  let parts = start;
  for (let hops = 0; hops <= MAX_LINKS; hops++) {
    const mount = mountOf(site.mounts, parts);
    const walkTo = mount ? mount.path.split("/").length - 1 : parts.length;
    let restarted = false;
    for (let i = 0; i < walkTo && !restarted; i++) {
      const prefix = parts.slice(0, i + 1);
      const stat = fs.lstatSync(path.join(site.deployDir, ...prefix), { throwIfNoEntry: false });
      if (!stat) return "missing";
      if (stat.isSymbolicLink()) {
        const target = fs.readlinkSync(path.join(site.deployDir, ...prefix));
        const base = target.startsWith("/") ? (target === "/app" || target.startsWith("/app/") ? "/" : null) : `/${parts.slice(0, i).join("/")}`;
        if (base === null) return "refused"; // a link out of the application
        const next = path.posix.normalize(`${base}/${target.replace(/^\/app(\/|$)/, "")}/${parts.slice(i + 1).join("/")}`);
        parts = next.split("/").filter(Boolean);
        if (parts.includes("..")) return "refused";
        restarted = true;
      } else if (!stat.isDirectory() && i < parts.length - 1) return "missing";
    }
    if (!restarted) return { parts, mount };
  }
  return "refused"; // a loop of links
}

function openInDeploy(site: Site, parts: string[]): SiteFile | "directory" {
  if (site.hidden.includes(parts.join("/"))) return "refused";
  let fd: number;
  try {
    fd = fs.openSync(path.join(site.deployDir, ...parts), C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ENOENT" ? "missing" : "refused";
  }
  return checked(fd, parts);
}

function openInMount(site: Site, mount: DeployedMount, rest: string[]): SiteFile | "directory" {
  if (!site.live) return "missing";
  let dir: number;
  try {
    dir = fs.openSync(path.join(site.live, mount.folder), C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW);
  } catch {
    return "missing";
  }
  try {
    for (let i = 0; i < rest.length; i++) {
      const name = rest[i]!;
      const stat = fs.lstatSync(at(dir, name), { throwIfNoEntry: false });
      if (!stat) return "missing";
      if (stat.isSymbolicLink()) return "refused";
      const last = i === rest.length - 1;
      if (!last && !stat.isDirectory()) return "missing";
      let fd: number;
      try {
        fd = fs.openSync(at(dir, name), C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK | (last ? 0 : C.O_DIRECTORY));
      } catch {
        return "refused"; // replaced meanwhile by a link or a file
      }
      const opened = fs.fstatSync(fd);
      if (opened.ino !== stat.ino || opened.dev !== stat.dev) {
        fs.closeSync(fd);
        return "refused";
      }
      if (last) return checked(fd, [...mount.path.split("/"), ...rest]);
      fs.closeSync(dir);
      dir = fd;
    }
    return "directory";
  } finally {
    fs.closeSync(dir);
  }
}

/** A regular file is served; a folder asks for its index.html; anything else is refused. The descriptor is closed unless returned. */
function checked(fd: number, parts: string[]): SiteFile | "directory" {
  const stat = fs.fstatSync(fd);
  if (stat.isFile()) return { fd, stat, name: parts[parts.length - 1] ?? "" };
  fs.closeSync(fd);
  return stat.isDirectory() ? "directory" : "refused";
}
