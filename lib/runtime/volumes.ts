import "server-only";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { ProjectConfig } from "@/lib/config/parse-config";
import { dataPaths, removeTree, writeOwnFile } from "@/lib/paths";
import { runTreeTool } from "@/lib/tree-tool";
import { serviceKindOf } from "@/lib/runtime/services/service-engines";

/**
 * An environment's persistent data on this machine: DATA_DIR/volumes/<project>/<env>/
 * holds generations (`gen-…`) and `current`, a symlink to the live one. A copy or restore
 * fills a new generation and then renames a new link over `current`: the environment's
 * data is always wholly old or wholly new. Inside a generation: `services/<id>` for every
 * service with a disk or that keeps data (mysql, redis-persistent, postgresql: its engine's
 * files), `mounts/<name>` for every mount of .magento.app.yaml, its path with "/" written
 * "%2F" (`pub/media` is `mounts/pub%2Fmedia`), so no mount lies inside another.
 *
 * No sandbox ever sees this folder, a generation, `mounts/` or `services/`: a hook sees each
 * mount folder itself, bound at /app/<mount>, and a service's own sandbox sees its service
 * folder at /srv/data (lib/runtime/services), so each can write only inside its own. What the
 * server reads here (`current`, the generations) is therefore its own; what lies inside a mount
 * or service folder is hostile (a service's engine runs the environment's data, and a client can
 * make it write files), and the server touches it only through the tree tool
 * (lib/tree-tool-child.mjs), beneath a folder it opened itself, never following a link.
 */
export function volumesRoot(projectId: string, environmentName: string): string {
  return dataPaths.environmentVolumes(projectId, environmentName);
}

/** The `current` link (tests write through it; the server asks liveGeneration). */
export function currentDataPath(projectId: string, environmentName: string): string {
  return path.join(volumesRoot(projectId, environmentName), "current");
}

const GENERATION = /^gen-[0-9]+-[0-9a-f]{6}$/;

/**
 * The live generation's folder, or null when there is none: `current` must be a link to a
 * sibling named like a generation that is a real folder. Anything else (a link elsewhere,
 * left by an older version that let hooks write here) is not believed.
 */
export function liveGeneration(projectId: string, environmentName: string): string | null {
  const root = volumesRoot(projectId, environmentName);
  let target: string;
  try {
    target = fs.readlinkSync(path.join(root, "current"));
  } catch {
    return null;
  }
  if (!GENERATION.test(target)) return null;
  const generation = path.join(root, target);
  const stat = fs.lstatSync(generation, { throwIfNoEntry: false });
  return stat?.isDirectory() ? generation : null;
}

export interface VolumeSpec {
  kind: "service" | "mount";
  name: string;
  /** Relative to a generation. */
  relPath: string;
}

/** A mount path of the configuration, normalised ("/pub/media/" → "pub/media"); null when it would leave the application. */
export function normaliseMount(mount: string): string | null {
  const clean = path.posix.normalize(mount.replace(/^\/+|\/+$/g, ""));
  if (!clean || clean === "." || clean.startsWith("..") || clean.includes("\0")) return null;
  return clean;
}

/** A mount's folder name in a generation: its path with "%" and "/" escaped, one component. */
export function mountFolderName(clean: string): string {
  return clean.replace(/%/g, "%25").replace(/\//g, "%2F");
}

export function volumeSpecs(config: ProjectConfig): VolumeSpec[] {
  const specs: VolumeSpec[] = [];
  for (const [id, service] of Object.entries(config.services)) if (service.disk || keepsData(service.type)) specs.push({ kind: "service", name: id, relPath: path.join("services", id) });
  for (const mount of Object.keys(config.app.mounts)) {
    const clean = normaliseMount(mount);
    if (clean) specs.push({ kind: "mount", name: clean, relPath: path.join("mounts", mountFolderName(clean)) });
  }
  return specs;
}

/** Whether a service of `type` that runs here keeps files (a database, `redis-persistent:`), so it has a folder even without `disk`. */
function keepsData(type: string): boolean {
  const kind = serviceKindOf(type);
  return kind.runnable && kind.persistent;
}

/** The folder of service `serviceId` in generation `live` (its engine's data, shown at /srv/data in its sandbox). */
export function serviceDataDir(live: string, serviceId: string): string {
  return path.join(live, "services", serviceId);
}

/** A fresh generation's path under `root` (not created). */
export function newGeneration(root: string): string {
  fs.mkdirSync(root, { recursive: true });
  return path.join(root, `gen-${Date.now()}-${crypto.randomBytes(3).toString("hex")}`);
}

/** Points `current` at `generation` atomically, then deletes the generations no longer used. */
export async function switchGeneration(root: string, generation: string): Promise<void> {
  const link = path.join(root, `.current-${crypto.randomBytes(4).toString("hex")}`);
  fs.symlinkSync(path.basename(generation), link);
  fs.renameSync(link, path.join(root, "current"));
  // What is no longer live goes; a removal that fails is retried by the next switch (the data is switched already).
  for (const entry of fs.readdirSync(root)) {
    if (entry !== "current" && entry !== path.basename(generation)) await removeTree(path.join(root, entry)).catch((e: Error) => console.error(`[volumes] ${path.join(root, entry)} could not be removed: ${e.message}`));
  }
}

/**
 * Makes sure the environment has data and every volume of `config` exists in it, each a real
 * folder (a link or file in its place is replaced, never followed); returns the live generation.
 * A mount kept by an older version inside another (`mounts/pub/media`) is moved to its own folder.
 */
export async function ensureVolumes(projectId: string, environmentName: string, config: ProjectConfig): Promise<string> {
  const root = volumesRoot(projectId, environmentName);
  let live = liveGeneration(projectId, environmentName);
  if (!live) {
    const generation = newGeneration(root);
    fs.mkdirSync(generation, { mode: 0o700 });
    await switchGeneration(root, generation);
    live = generation;
  }
  const specs = volumeSpecs(config);
  for (const spec of specs) {
    if (spec.kind !== "mount" || !spec.name.includes("/") || fs.existsSync(path.join(/* turbopackIgnore: true */ live, spec.relPath))) continue;
    // Not found, or not a plain folder (a link): the mount starts empty, nothing is followed.
    await runTreeTool("adopt", [path.join(live, "mounts"), spec.name, mountFolderName(spec.name)]).catch(() => undefined);
  }
  // `services/`, `mounts/` and the folders in them are the server's alone (no sandbox sees them):
  // when each is already a real folder, there is nothing to make and no process to start.
  const isFolder = (p: string) => fs.lstatSync(p, { throwIfNoEntry: false })?.isDirectory() === true;
  const missing = specs.filter((s) => !isFolder(path.join(/* turbopackIgnore: true */ live!, path.dirname(s.relPath))) || !isFolder(path.join(/* turbopackIgnore: true */ live!, s.relPath)));
  if (missing.length > 0) await runTreeTool("ensure", [live, ...missing.map((s) => s.relPath)]);
  return live;
}

/** The bytes of the regular files under `dir`, links not followed (what a user calls the data's size). */
export async function directoryBytes(dir: string): Promise<number> {
  if (!fs.existsSync(dir)) return 0;
  return (await runTreeTool("size", [dir])).bytes;
}

/** directoryBytes of each of `dirs`, in one tree-tool process (0 for one missing, refused or unreadable). */
export async function directoriesBytes(dirs: readonly string[]): Promise<number[]> {
  const present = dirs.filter((dir) => fs.existsSync(dir));
  if (present.length === 0) return dirs.map(() => 0);
  // Given two or more folders the tool answers each (`sizes`); given one, its total.
  const sizes = await runTreeTool("size", present)
    .then((r) => (present.length === 1 ? [r.bytes] : (r.sizes ?? [])))
    .catch((): (number | null)[] => []);
  const bytes = new Map(present.map((dir, i) => [dir, sizes[i] ?? 0]));
  return dirs.map((dir) => bytes.get(dir) ?? 0);
}

export interface CopyResult {
  bytes: number;
  method: "reflink" | "copy" | "empty";
  /** Entries left out ("path: why"): FIFOs, sockets, device files, entries that changed mid-copy. */
  skips: string[];
  skipped: number;
}

/** What a copy does besides copying files (copyVolumes). */
export interface CopyOptions {
  /** Folders of the source (relative to a generation: `services/db`) made empty in the copy instead: another way fills them. */
  empty?: readonly string[];
  /** Fills the new generation (it is complete but for `empty`) before it is switched in; a throw fails the copy. */
  fill?: (generation: string) => Promise<void>;
  /** Runs just before the switch (the target's services stop: their data is about to be replaced). */
  beforeSwitch?: () => Promise<void>;
}

/**
 * Replaces the target environment's data with a copy of the source's (reflinks where the
 * file system allows), made by the tree tool beneath the source's live generation: links are
 * copied as links, never followed. The copy goes into a new generation; only a complete copy
 * is switched in, so a failure leaves the target as it was.
 */
export async function copyVolumes(projectId: string, from: string, to: string, options: CopyOptions = {}): Promise<CopyResult> {
  const live = liveGeneration(projectId, from);
  const root = volumesRoot(projectId, to);
  const generation = newGeneration(root);
  try {
    if (!live) {
      fs.mkdirSync(generation, { mode: 0o700 });
      await options.beforeSwitch?.();
      await switchGeneration(root, generation);
      return { bytes: 0, method: "empty", skips: [], skipped: 0 };
    }
    const r = await runTreeTool("copy", [live, generation, ...(options.empty ?? []).flatMap((rel) => ["--empty", rel])]);
    await options.fill?.(generation);
    await options.beforeSwitch?.();
    await switchGeneration(root, generation);
    return { bytes: r.bytes, method: (await supportsReflink(root)) ? "reflink" : "copy", skips: r.skips, skipped: r.skipped };
  } catch (err) {
    if (liveGeneration(projectId, to) === generation) throw err; // switched: the copy is the target's data now
    await removeTree(generation).catch(() => undefined);
    throw new Error(`Copying ${from}'s data to ${to} failed: ${(err as Error).message.replace(/\.$/, "")}. ${to}'s data is as it was.`);
  }
}

const reflinkByDevice = new Map<number, boolean>();

/** Whether the file system holding `dir` makes reflink copies (FICLONE), probed once per device. */
async function supportsReflink(dir: string): Promise<boolean> {
  const device = fs.statSync(dir).dev;
  const known = reflinkByDevice.get(device);
  if (known !== undefined) return known;
  const probe = path.join(dir, `.reflink-probe-${crypto.randomBytes(3).toString("hex")}`);
  fs.writeFileSync(probe, "probe");
  let ok = false;
  try {
    await fs.promises.copyFile(probe, `${probe}.copy`, fs.constants.COPYFILE_FICLONE_FORCE);
    ok = true;
  } catch {
    ok = false;
  } finally {
    fs.rmSync(probe, { force: true });
    fs.rmSync(`${probe}.copy`, { force: true });
  }
  reflinkByDevice.set(device, ok);
  return ok;
}

/** Deletes every generation of the environment's data but the live one (left by an interrupted copy or restore). */
export async function removeStaleGenerations(projectId: string, environmentName: string): Promise<void> {
  const root = volumesRoot(projectId, environmentName);
  if (!fs.existsSync(root)) return;
  const live = liveGeneration(projectId, environmentName);
  for (const entry of fs.readdirSync(root)) {
    if (entry.startsWith("gen-") && path.join(root, entry) !== live) await removeTree(path.join(root, entry));
  }
}

export async function deleteVolumes(projectId: string, environmentName: string): Promise<void> {
  await removeTree(volumesRoot(projectId, environmentName));
}

export interface VolumeSize extends VolumeSpec {
  bytes: number;
}

/** The size of each volume of the environment's live data (empty when it has none). */
export async function volumeSizes(projectId: string, environmentName: string, config: ProjectConfig): Promise<VolumeSize[]> {
  const live = liveGeneration(projectId, environmentName);
  if (!live) return [];
  const specs = volumeSpecs(config);
  const bytes = await directoriesBytes(specs.map((spec) => path.join(/* turbopackIgnore: true */ live, spec.relPath)));
  return specs.map((spec, i) => ({ ...spec, bytes: bytes[i] ?? 0 }));
}

/** The file in a deployment that lists its mounts for the router: [{ path, folder }]. */
export const MOUNTS_FILE = ".mounts.json";

export interface DeployedMount {
  /** The mount's path in the application ("pub/media"). */
  path: string;
  /** Its folder in a generation ("mounts/pub%2Fmedia"). */
  folder: string;
}

/**
 * Makes each mount's place in a new deployment an empty folder (what the build left there,
 * and any link on the way, is removed, never followed) for the sandbox to bind the mount
 * onto, and lists the mounts for the router.
 */
export async function prepareMountPlaces(deployDir: string, config: ProjectConfig): Promise<DeployedMount[]> {
  const mounts = volumeSpecs(config)
    .filter((s) => s.kind === "mount")
    .map((s) => ({ path: s.name, folder: s.relPath }));
  if (mounts.length > 0) await runTreeTool("prepare", [deployDir, ...mounts.map((m) => m.path)]);
  writeOwnFile(path.join(deployDir, MOUNTS_FILE), JSON.stringify(mounts));
  return mounts;
}

/** What a deploy hook sees of the environment's data: each mount folder at /app/<mount>, nothing else. */
export function mountBinds(live: string, mounts: readonly DeployedMount[], appDir: string): { source: string; dest: string }[] {
  // Outer mounts first: a mount inside another is bound over it.
  return [...mounts].sort((a, b) => a.path.split("/").length - b.path.split("/").length).map((m) => ({ source: path.join(live, m.folder), dest: path.posix.join(appDir, m.path) }));
}
