/**
 * A MariaDB data folder initialised once per host version, that a copy's temporary instance
 * starts from instead of running mariadb-install-db (about 0.6 s of every Branch, Activate and
 * Sync of a running MariaDB). It is made by an instance of its own, like any other: started on
 * an empty folder in the sandbox (so the engine's own installer writes it), then stopped
 * cleanly. Its throwaway credentials are replaced at the next start by the init file of
 * whoever starts from it (every instance applies its own at every start). Kept in
 * DATA_DIR/run/svc-templates/mariadb-<version>/, moved into place once complete; copied with the
 * tree tool (no link followed). When it cannot be made, copies initialise as before.
 */
import "server-only";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { dataPaths, removeTree } from "@/lib/paths";
import { sandboxSupport } from "@/lib/runtime/sandbox";
import { runTreeTool } from "@/lib/tree-tool";
import { generateServiceCredentials } from "./service-credentials";
import { hostServiceEngine } from "./service-host";
import { startServiceInstance } from "./service-instance";

/** The file that marks a template complete (written last, before the folder is moved into place). */
const READY = ".ready";

const key = Symbol.for("pwi.mariadb-template");
type G = typeof globalThis & { [key]?: Promise<string | null> };

/** The template folder of the host's MariaDB (its `mariadb/` is a data folder), made the first time it is asked for; null when it cannot be made. */
export function mariadbTemplate(): Promise<string | null> {
  const g = globalThis as G;
  g[key] ??= makeTemplate().catch((err) => {
    console.error("[services] The MariaDB data template could not be made; copies initialise their own:", err instanceof Error ? err.message : err);
    delete g[key];
    return null;
  });
  return g[key];
}

async function makeTemplate(): Promise<string | null> {
  const engine = hostServiceEngine("mariadb:10.11");
  if (!engine.ok || engine.engine !== "mariadb" || !sandboxSupport().ok) return null;
  const dir = path.join(dataPaths.run(), "svc-templates", `mariadb-${engine.version}`);
  if (fs.existsSync(path.join(dir, READY))) return dir;
  fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o700 });
  const work = `${dir}.new-${crypto.randomBytes(4).toString("hex")}`;
  const data = path.join(work, "data");
  fs.mkdirSync(data, { recursive: true, mode: 0o700 });
  const lines: string[] = [];
  try {
    const started = await startServiceInstance({
      projectId: "_templates",
      environmentName: `mariadb-${process.pid}`,
      serviceId: "template",
      service: { type: "mariadb:10.11", disk: 1024 },
      dataDir: data,
      runtimeDir: path.join(work, "instance"),
      credentials: generateServiceCredentials("mariadb"),
      log: { line: (text) => void lines.push(text) },
      graceMs: 60_000,
      purpose: "load",
    });
    if (!started.ok) throw new Error(started.message);
    const ready = await started.instance.waitUntilReady(120_000);
    await started.instance.stop("The data template is initialised.");
    const exit = started.instance.lastExit;
    if (!ready.ok) throw new Error(ready.message);
    if (!exit || exit.signal || exit.code !== 0) throw new Error(`its instance did not stop cleanly:\n${lines.slice(-20).join("\n")}`);
    fs.writeFileSync(path.join(data, READY), new Date().toISOString());
    await removeTree(path.join(work, "instance"));
    try {
      fs.renameSync(data, dir);
    } catch (err) {
      // Another process made it meanwhile: use theirs.
      if (!fs.existsSync(path.join(dir, READY))) throw err;
    }
    return dir;
  } finally {
    await removeTree(work).catch(() => undefined);
  }
}

/** Fills `dataDir` (an empty service data folder) from the template: true when it did, false when there is none. */
export async function startFromMariadbTemplate(dataDir: string): Promise<boolean> {
  const dir = await mariadbTemplate();
  if (!dir) return false;
  await runTreeTool("copy", [path.join(dir, "mariadb"), path.join(dataDir, "mariadb")]);
  return true;
}
