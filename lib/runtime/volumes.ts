import "server-only";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { ProjectConfig } from "@/lib/config/parse-config";
import { childProcessEnv } from "@/lib/env";
import { dataPaths, removeTree } from "@/lib/paths";
import { runFileOrThrow } from "@/lib/process-runner";


/**
 * An environment's persistent data on this machine: DATA_DIR/volumes/<project>/<env>/
 * holds generations (`gen-…`) and `current`, a symlink to the live one. A copy or restore
 * fills a new generation and then renames a new link over `current`: the environment's
 * data is always wholly old or wholly new. Inside a generation: `services/<id>` for every
 * service with a disk, `mounts/<path>` for every mount of .magento.app.yaml.
 */
export function volumesRoot(projectId: string, environmentName: string): string {
  return dataPaths.environmentVolumes(projectId, environmentName);
}

export function currentDataPath(projectId: string, environmentName: string): string {
  return path.join(volumesRoot(projectId, environmentName), "current");
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

export function volumeSpecs(config: ProjectConfig): VolumeSpec[] {
  const specs: VolumeSpec[] = [];
  for (const [id, service] of Object.entries(config.services)) if (service.disk) specs.push({ kind: "service", name: id, relPath: path.join("services", id) });
  for (const mount of Object.keys(config.app.mounts)) {
    const clean = normaliseMount(mount);
    if (clean) specs.push({ kind: "mount", name: clean, relPath: path.join("mounts", clean) });
  }
  return specs;
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
  for (const entry of fs.readdirSync(root)) {
    if (entry !== "current" && entry !== path.basename(generation)) await removeTree(path.join(root, entry));
  }
}

/** Makes sure the environment has data and every volume of `config` exists in it; returns the live generation. */
export async function ensureVolumes(projectId: string, environmentName: string, config: ProjectConfig): Promise<string> {
  const root = volumesRoot(projectId, environmentName);
  const current = path.join(root, "current");
  if (!fs.existsSync(current)) {
    const generation = newGeneration(root);
    fs.mkdirSync(generation);
    await switchGeneration(root, generation);
  }
  const live = fs.realpathSync(current);
  for (const spec of volumeSpecs(config)) fs.mkdirSync(path.join(live, spec.relPath), { recursive: true });
  return live;
}

const reflinkByDevice = new Map<number, boolean>();

/** Whether `cp --reflink=always` works on the file system holding `dir` (probed once per device). */
async function supportsReflink(dir: string): Promise<boolean> {
  const device = fs.statSync(dir).dev;
  const known = reflinkByDevice.get(device);
  if (known !== undefined) return known;
  const probe = path.join(dir, `.reflink-probe-${crypto.randomBytes(3).toString("hex")}`);
  fs.writeFileSync(probe, "probe");
  let ok = false;
  try {
    await runFileOrThrow("cp", ["--reflink=always", probe, `${probe}.copy`], { env: childProcessEnv({}) });
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

/** The bytes of the files under `dir` (what a user calls the data's size; directories count nothing). */
export async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  const walk = async (d: string) => {
    const entries = await fs.promises.readdir(d, { withFileTypes: true }).catch(() => []);
    await Promise.all(
      entries.map(async (e) => {
        const full = path.join(d, e.name);
        if (e.isDirectory()) await walk(full);
        else if (e.isFile()) {
          // Read first, then add: `total += await …` would read `total` before the await and
          // lose every size added by the walks running meanwhile.
          const { size } = await fs.promises.lstat(full).catch(() => ({ size: 0 }));
          total += size;
        }
      }),
    );
  };
  await walk(dir);
  return total;
}

export interface CopyResult {
  bytes: number;
  method: "reflink" | "copy" | "empty";
}

/**
 * Replaces the target environment's data with a copy of the source's (a reflink copy when
 * the file system allows, else a plain one). The copy goes into a new generation; only a
 * complete copy is switched in, so a failure leaves the target as it was.
 */
export async function copyVolumes(projectId: string, from: string, to: string): Promise<CopyResult> {
  const source = currentDataPath(projectId, from);
  const root = volumesRoot(projectId, to);
  const generation = newGeneration(root);
  try {
    if (!fs.existsSync(source)) {
      fs.mkdirSync(generation);
      await switchGeneration(root, generation);
      return { bytes: 0, method: "empty" };
    }
    const live = fs.realpathSync(source);
    const reflink = await supportsReflink(path.dirname(live));
    await runFileOrThrow("cp", ["-a", `--reflink=${reflink ? "always" : "never"}`, `${live}/.`, generation], { env: childProcessEnv({}) });
    const bytes = await directoryBytes(generation);
    await switchGeneration(root, generation);
    return { bytes, method: reflink ? "reflink" : "copy" };
  } catch (err) {
    await removeTree(generation);
    const detail = (err as { stderr?: string }).stderr?.trim() || (err as Error).message;
    throw new Error(`Copying ${from}'s data to ${to} failed: ${detail}. ${to}'s data is as it was.`);
  }
}

/** Deletes every generation of the environment's data but the live one (left by an interrupted copy or restore). */
export async function removeStaleGenerations(projectId: string, environmentName: string): Promise<void> {
  const root = volumesRoot(projectId, environmentName);
  if (!fs.existsSync(root)) return;
  const live = fs.existsSync(path.join(root, "current")) ? path.basename(fs.realpathSync(path.join(root, "current"))) : null;
  for (const entry of fs.readdirSync(root)) {
    if (entry.startsWith("gen-") && entry !== live) await removeTree(path.join(root, entry));
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
  const current = currentDataPath(projectId, environmentName);
  if (!fs.existsSync(current)) return [];
  const live = fs.realpathSync(current);
  return Promise.all(volumeSpecs(config).map(async (spec) => ({ ...spec, bytes: await directoryBytes(path.join(live, spec.relPath)) })));
}

/** Links each mount of a deploy directory to the environment's live data (through `current`, so a restore is seen at once). */
export async function linkMounts(deployDir: string, projectId: string, environmentName: string, config: ProjectConfig): Promise<void> {
  const current = currentDataPath(projectId, environmentName);
  for (const spec of volumeSpecs(config)) {
    if (spec.kind !== "mount") continue;
    const at = path.join(deployDir, spec.name);
    await removeTree(at); // what the build left at the mount's place
    fs.mkdirSync(path.dirname(at), { recursive: true });
    fs.symlinkSync(path.join(current, spec.relPath), at);
  }
}
