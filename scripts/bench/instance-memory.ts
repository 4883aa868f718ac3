// The whole instance's memory as a user runs it: `npm start` on a new data directory (the
// demo project seeded, its first deploys finished), four pages visited in Chromium, then 30 s
// and 60 s of quiet. The console's processes are counted against its budget: npm, the server
// and the server's process runner. What the demo's environments run (each sandbox: nginx,
// PHP-FPM, MariaDB, Redis …, whatever their configuration asks) is counted apart, as what the
// hosted sites cost.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { Browser } from "@playwright/test";
import { freePort, makeDataDir, type TestServer } from "../../e2e/support/server";
import { cookieOf, waitForQuiet } from "./support";

interface Sample {
  /** Resident memory summed over the console's processes: pages shared between them counted in each. */
  rss: number;
  /** Proportional memory summed: each shared page counted once, split between its processes (what the console costs the machine). */
  pss: number;
  processes: string[];
  /** For a process over 400 MiB resident: its largest mappings, to see what grew (live large allocations, the database's memory, V8's pages). */
  largest: string[];
  /** The environments' processes (every sandbox and what runs in it), summed apart. */
  environments: { rss: number; pss: number; count: number };
  /** npm and the server alone (what the budget is for), resident. */
  npmAndServer: number;
}

const SUSPICIOUS_MIB = 400;

/** A process's five largest mappings by resident size: "rss/size MiB perms name". */
export function largestMappings(pid: number): string[] {
  const rows: { rss: number; size: number; what: string }[] = [];
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) rows.push({ rss: 0, size: (parseInt(head[2]!, 16) - parseInt(head[1]!, 16)) / 1048576, what: `${head[3]} ${path.basename(head[4] || "anonymous")}` });
    else if (line.startsWith("Rss:") && rows.length > 0) rows.at(-1)!.rss = Number(line.split(/\s+/)[1]) / 1024;
  }
  return rows.sort((a, b) => b.rss - a.rss).slice(0, 5).map((r) => `${r.rss.toFixed(0)}/${r.size.toFixed(0)} MiB ${r.what}`);
}

const ADMIN = { email: "memory@example.com", password: "memory-password" };

/** Every process under `pid`, and whether it is an environment's (a sandbox, or in one). */
function descendants(pid: number): { pid: number; sandboxed: boolean }[] {
  const children = (p: number): number[] => {
    const file = `/proc/${p}/task/${p}/children`;
    if (!fs.existsSync(file)) return [];
    return fs.readFileSync(file, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  };
  const isSandbox = (p: number) => {
    try {
      return path.basename(fs.readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0")[0] ?? "") === "bwrap";
    } catch {
      return false;
    }
  };
  const all = [{ pid, sandboxed: false }];
  for (let i = 0; i < all.length; i++) {
    const parent = all[i]!;
    for (const child of children(parent.pid)) all.push({ pid: child, sandboxed: parent.sandboxed || isSandbox(child) });
  }
  return all;
}

function sample(root: number): Sample {
  const own = { rss: 0, pss: 0 };
  const environments = { rss: 0, pss: 0, count: 0 };
  let npmAndServer = 0;
  const processes: string[] = [];
  const largest: string[] = [];
  for (const { pid, sandboxed } of descendants(root)) {
    try {
      const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
      const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(rollup)?.[1] ?? 0);
      const into = sandboxed ? environments : own;
      into.rss += kb("Rss");
      into.pss += kb("Pss");
      if (sandboxed) {
        environments.count++;
        continue;
      }
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
      const name = argv.map((a) => path.basename(a)).slice(0, 2).join(" ");
      if (pid === root || argv.some((a) => a.endsWith("scripts/start.mjs"))) npmAndServer += kb("Rss");
      processes.push(`${name} ${Math.round(kb("Rss") / 1024)}/${Math.round(kb("Pss") / 1024)}`);
      if (kb("Rss") / 1024 > SUSPICIOUS_MIB) largest.push(`${name}: ${largestMappings(pid).join(", ")}`);
    } catch {
      /* ended meanwhile */
    }
  }
  const mib = (kb: number) => Math.round(kb / 1024);
  return { rss: mib(own.rss), pss: mib(own.pss), processes, largest, environments: { rss: mib(environments.rss), pss: mib(environments.pss), count: environments.count }, npmAndServer: mib(npmAndServer) };
}

export async function instanceMemory(browser: Browser): Promise<{ after30: Sample; after60: Sample }> {
  const dataDir = makeDataDir();
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), ENV_PORT: String(await freePort()), DATA_DIR: dataDir, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, SEED_DEMO: "1" };
  delete env.DATABASE_URL;
  delete env.NODE_OPTIONS;
  const npm = spawn("npm", ["start"], { cwd: path.resolve(import.meta.dirname, "../.."), env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  npm.stdout!.on("data", (d) => (output += d));
  npm.stderr!.on("data", (d) => (output += d));
  try {
    const deadline = Date.now() + 120_000;
    while (!/Ready on/.test(output)) {
      if (npm.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not become ready:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const context = await browser.newContext({ baseURL: `http://localhost:${port}` });
    const page = await context.newPage();
    await page.goto("/sign-in");
    await page.getByLabel("Email").fill(ADMIN.email);
    await page.getByLabel("Password").fill(ADMIN.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/projects$/);
    // The demo's first deploys run at the first start: idle begins once they have finished.
    await waitForQuiet({ url: `http://localhost:${port}` } as TestServer, await cookieOf(context));
    for (const p of ["/projects", "/projects/demo-store", "/projects/demo-store/environments/staging", "/projects/demo-store/environments/staging/topology"]) {
      await page.goto(p);
      await page.waitForLoadState("networkidle");
    }
    await context.close();
    await new Promise((r) => setTimeout(r, 30_000));
    const after30 = sample(npm.pid!);
    await new Promise((r) => setTimeout(r, 30_000));
    const after60 = sample(npm.pid!);
    return { after30, after60 };
  } finally {
    try {
      process.kill(-npm.pid!, "SIGTERM");
    } catch {
      /* already gone */
    }
    await new Promise((r) => (npm.exitCode !== null ? r(null) : npm.once("exit", r)));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
