import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyVolumes, currentDataPath, deleteVolumes, ensureVolumes, liveGeneration, prepareMountPlaces, volumeSizes, volumesRoot } from "@/lib/runtime/volumes";
import { runTreeTool } from "@/lib/tree-tool";
import { openSiteFile, type Site } from "@/lib/runtime/site-files";
import type { ProjectConfig } from "@/lib/config/parse-config";

// What pushed code can leave in an environment's data (a mount folder its processes write),
// and what the server does with it: every operation works beneath a folder it opened itself
// and never follows a link out of it.

const dataDir = () => process.env.DATA_DIR!;
const isRoot = process.getuid?.() === 0;
let outside: string; // a folder no environment owns, holding a secret
const SECRET = "the secret outside every environment";

function config(mounts: string[]): ProjectConfig {
  return { app: { mounts: Object.fromEntries(mounts.map((m) => [m, "shared:files/x"])) }, services: { mysql: { type: "mysql:10.6", disk: 512 } } } as unknown as ProjectConfig;
}

/** Makes an environment with live data (mounts var and pub/media) and returns its live generation. */
async function environment(project: string, name: string): Promise<string> {
  return ensureVolumes(project, name, config(["var", "pub/media"]));
}

/** Every path beneath dir with what it is (links by their target), never following one. */
function listing(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isSymbolicLink()) out[r] = `-> ${fs.readlinkSync(full)}`;
      else if (e.isDirectory()) {
        out[r] = "dir";
        walk(full, r);
      } else if (e.isFile()) out[r] = fs.readFileSync(full, "utf8").slice(0, 60);
      else out[r] = "special";
    }
  };
  walk(dir, "");
  return out;
}

beforeAll(() => {
  outside = fs.mkdtempSync(path.join(dataDir(), "outside-"));
  fs.mkdirSync(path.join(outside, "media"));
  fs.writeFileSync(path.join(outside, "secret.txt"), SECRET);
  fs.writeFileSync(path.join(outside, "media", "secret.txt"), SECRET);
});

describe("links written into a mount", () => {
  let project: string;
  let targets: Record<string, string>;
  beforeAll(async () => {
    project = `links-${process.pid}`;
    const production = await environment(project, "production");
    fs.writeFileSync(path.join(production, "mounts", "var", "customers.csv"), SECRET);
    const other = await environment(`other-${process.pid}`, "master");
    fs.writeFileSync(path.join(other, "mounts", "var", "orders.csv"), SECRET);
    targets = {
      "another-environment": path.join(production, "mounts", "var"),
      "another-environment-current": currentDataPath(project, "production"),
      "another-project": path.join(other, "mounts", "var"),
      "data-dir": dataDir(),
      etc: "/etc",
      root: "/",
      "outside-file": path.join(outside, "secret.txt"),
    };
    const staging = await environment(project, "staging");
    for (const [name, target] of Object.entries(targets)) fs.symlinkSync(target, path.join(staging, "mounts", "var", name));
    fs.symlinkSync("../var/customers.csv", path.join(staging, "mounts", "pub%2Fmedia", "relative"));
  });

  it("are copied as links by Branch/Activate/Sync, never followed", async () => {
    const r = await copyVolumes(project, "staging", "child");
    const child = liveGeneration(project, "child")!;
    for (const [name, target] of Object.entries(targets)) expect(fs.readlinkSync(path.join(child, "mounts", "var", name))).toBe(target);
    expect(fs.readlinkSync(path.join(child, "mounts", "pub%2Fmedia", "relative"))).toBe("../var/customers.csv");
    expect(Object.values(listing(child))).not.toContain(SECRET);
    expect(r.bytes).toBe(0);
    expect(r.skipped).toBe(0);
  });

  it("count nothing in sizes and are removed without touching their targets", async () => {
    const sizes = await volumeSizes(project, "staging", config(["var", "pub/media"]));
    expect(sizes.find((s) => s.name === "var")?.bytes).toBe(0);
    await deleteVolumes(project, "child");
    expect(fs.existsSync(volumesRoot(project, "child"))).toBe(false);
    expect(fs.readFileSync(path.join(outside, "secret.txt"), "utf8")).toBe(SECRET);
    expect(fs.readFileSync(path.join(liveGeneration(project, "production")!, "mounts", "var", "customers.csv"), "utf8")).toBe(SECRET);
    expect(fs.existsSync("/etc/passwd")).toBe(true);
  });

  it("in place of the bookkeeping (`current`) are not believed", async () => {
    for (const target of [currentDataPath(project, "production"), liveGeneration(project, "production")!, dataDir(), "/etc", "/", "gen-1-abcdef"]) {
      const env = `forged-${path.basename(target).replace(/[^a-z0-9]/g, "") || "root"}`;
      fs.mkdirSync(volumesRoot(project, env), { recursive: true });
      fs.symlinkSync(target, currentDataPath(project, env));
      expect(liveGeneration(project, env)).toBeNull();
      const copied = await copyVolumes(project, env, `${env}-child`);
      expect(copied.method).toBe("empty");
      expect(listing(liveGeneration(project, `${env}-child`)!)).toEqual({});
      // Preparing the forged environment makes a new generation of its own; the link's target is untouched.
      const live = await ensureVolumes(project, env, config(["var"]));
      expect(path.dirname(live)).toBe(volumesRoot(project, env));
      expect(fs.readdirSync(path.join(live, "mounts", "var"))).toEqual([]);
    }
    expect(fs.readFileSync(path.join(liveGeneration(project, "production")!, "mounts", "var", "customers.csv"), "utf8")).toBe(SECRET);
    expect(fs.existsSync("/etc/mounts")).toBe(false);
  });

  it("in place of a mount folder in an older layout are replaced by an empty folder, not followed", async () => {
    const live = await environment(project, "legacy");
    fs.rmSync(path.join(live, "mounts", "var"), { recursive: true });
    fs.symlinkSync(outside, path.join(live, "mounts", "var"));
    fs.rmSync(path.join(live, "mounts", "pub%2Fmedia"), { recursive: true });
    fs.symlinkSync(outside, path.join(live, "mounts", "pub")); // an older layout's nested mount, through a link
    const again = await ensureVolumes(project, "legacy", config(["var", "pub/media"]));
    expect(fs.lstatSync(path.join(again, "mounts", "var")).isDirectory()).toBe(true);
    expect(fs.readdirSync(path.join(again, "mounts", "pub%2Fmedia"))).toEqual([]);
    expect(listing(outside)).toEqual({ media: "dir", "media/secret.txt": SECRET, "secret.txt": SECRET });
  });
});

describe("files that are not files", () => {
  it("FIFOs, sockets and device nodes are skipped with a line; hard links are copied as files", async () => {
    const project = `special-${process.pid}`;
    const live = await environment(project, "staging");
    const varDir = path.join(live, "mounts", "var");
    execFileSync("mkfifo", [path.join(varDir, "pipe")]);
    const server = (await import("node:net")).createServer();
    await new Promise<void>((r) => server.listen(path.join(varDir, "socket"), r));
    if (isRoot) execFileSync("mknod", [path.join(varDir, "null"), "c", "1", "3"]);
    fs.writeFileSync(path.join(outside, "hardlinked"), SECRET);
    fs.linkSync(path.join(outside, "hardlinked"), path.join(varDir, "hardlink"));
    try {
      const r = await copyVolumes(project, "staging", "child");
      const child = path.join(liveGeneration(project, "child")!, "mounts", "var");
      expect(r.skips).toEqual(expect.arrayContaining([expect.stringMatching(/^mounts\/var\/pipe: a FIFO/), expect.stringMatching(/^mounts\/var\/socket: a socket/), ...(isRoot ? [expect.stringMatching(/^mounts\/var\/null: a device file/)] : [])]));
      expect(fs.readdirSync(child).sort()).toEqual(["hardlink"]);
      fs.writeFileSync(path.join(child, "hardlink"), "changed in the copy");
      expect(fs.readFileSync(path.join(outside, "hardlinked"), "utf8")).toBe(SECRET);
      expect((await volumeSizes(project, "staging", config(["var"]))).find((v) => v.name === "var")).toMatchObject({ bytes: SECRET.length });
      // The router refuses them, without waiting on the pipe.
      const site: Site = { deployDir: outside, webRoot: "", mounts: [{ path: "var", folder: "mounts/var" }], live, hidden: [] };
      for (const name of ["pipe", "socket", ...(isRoot ? ["null"] : [])]) expect(openSiteFile(site, `/var/${name}`)).toBe("refused");
    } finally {
      server.close();
    }
  });
});

describe("size and shape", () => {
  it("sizes each of an environment's volumes in one process; a volume that is a link counts nothing", async () => {
    const project = `sizes-${process.pid}`;
    const live = await environment(project, "staging");
    fs.writeFileSync(path.join(live, "mounts", "var", "four"), "1234");
    fs.writeFileSync(path.join(live, "mounts", "pub%2Fmedia", "three"), "123");
    // The service's folder swapped for a link to a folder outside the environment.
    fs.rmSync(path.join(live, "services", "mysql"), { recursive: true });
    fs.symlinkSync(path.join(outside, "media"), path.join(live, "services", "mysql"));
    const sizes = await volumeSizes(project, "staging", config(["var", "pub/media"]));
    expect(Object.fromEntries(sizes.map((v) => [v.name, v.bytes]))).toEqual({ mysql: 0, var: 4, "pub/media": 3 });
    const both = await runTreeTool("size", [path.join(live, "mounts", "var"), path.join(live, "services", "mysql"), path.join(live, "mounts", "pub%2Fmedia")]);
    expect(both).toMatchObject({ sizes: [4, null, 3], bytes: 7 });
    await deleteVolumes(project, "staging");
  });

  it("copies 100,000 small files off the server's thread", async () => {
    const project = `many-${process.pid}`;
    const live = await environment(project, "staging");
    execFileSync("bash", ["-c", `cd '${path.join(live, "mounts", "var")}' && for d in $(seq 1 100); do mkdir d$d; (cd d$d && seq 1 1000 | xargs touch); done`]);
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const t0 = Date.now();
    const r = await copyVolumes(project, "staging", "child");
    const ms = Date.now() - t0;
    loop.disable();
    console.log(`[tree tool] copied 100,000 files in ${ms} ms; this thread's event-loop delay p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms, max ${(loop.max / 1e6).toFixed(1)} ms`);
    expect(loop.percentile(99) / 1e6).toBeLessThan(200);
    expect(r.skipped).toBe(0);
    expect(fs.readdirSync(path.join(liveGeneration(project, "child")!, "mounts", "var", "d100"))).toHaveLength(1000);
    await deleteVolumes(project, "staging");
    await deleteVolumes(project, "child");
  }, 120_000);

  it("copies, sizes and removes a path of 4,096 bytes", async () => {
    const project = `deep-${process.pid}`;
    const live = await environment(project, "staging");
    // 16 names of 255 bytes: 4,096 bytes beneath the mount, longer than PATH_MAX with the data directory in front.
    const names = Array.from({ length: 16 }, (_, i) => `${String(i).padStart(2, "0")}${"x".repeat(253)}`);
    let fd = fs.openSync(path.join(live, "mounts", "var"), "r");
    for (const name of names) {
      fs.mkdirSync(`/proc/self/fd/${fd}/${name}`);
      const next = fs.openSync(`/proc/self/fd/${fd}/${name}`, "r");
      fs.closeSync(fd);
      fd = next;
    }
    fs.writeFileSync(`/proc/self/fd/${fd}/deep.txt`, "deep");
    fs.closeSync(fd);
    const r = await copyVolumes(project, "staging", "child");
    expect(r).toMatchObject({ bytes: 4, skipped: 0 });
    expect((await runTreeTool("size", [path.join(liveGeneration(project, "child")!, "mounts", "var")])).bytes).toBe(4);
    await deleteVolumes(project, "child");
    await deleteVolumes(project, "staging");
    expect(fs.existsSync(volumesRoot(project, "staging"))).toBe(false);
  });
});

describe("names and depths", () => {
  it("copies and removes names that are not UTF-8 (one that decodes like another included)", async () => {
    const project = `bytes-${process.pid}`;
    const live = await environment(project, "staging");
    const fd = fs.openSync(path.join(live, "mounts", "var"), "r");
    for (const name of [Buffer.from([0xff]), Buffer.from([0xef, 0xbf, 0xbd]), Buffer.from("a\nb")]) fs.writeFileSync(Buffer.concat([Buffer.from(`/proc/self/fd/${fd}/`), name]), name);
    fs.closeSync(fd);
    const r = await copyVolumes(project, "staging", "child");
    expect(r).toMatchObject({ bytes: 7, skipped: 0 });
    const copied = fs.readdirSync(path.join(liveGeneration(project, "child")!, "mounts", "var"), { encoding: "buffer" }).map((b) => b.toString("hex")).sort();
    expect(copied).toEqual(["610a62", "efbfbd", "ff"]);
    await deleteVolumes(project, "child");
    await deleteVolumes(project, "staging");
    expect(fs.existsSync(volumesRoot(project, "staging"))).toBe(false);
  });

  it("removes a tree 3,500 folders deep, and copies one only 1,024 deep, saying what it left out", async () => {
    const project = `depth-${process.pid}`;
    const live = await environment(project, "staging");
    let fd = fs.openSync(path.join(live, "mounts", "var"), "r");
    for (let i = 0; i < 3500; i++) {
      fs.mkdirSync(`/proc/self/fd/${fd}/d`);
      const next = fs.openSync(`/proc/self/fd/${fd}/d`, "r");
      fs.closeSync(fd);
      fd = next;
    }
    fs.closeSync(fd);
    const r = await copyVolumes(project, "staging", "child");
    expect(r.skipped).toBe(1);
    expect(r.skips[0]).toMatch(/^mounts\/var\/(d\/)+d: nested deeper than 1024 folders$/);
    await deleteVolumes(project, "child");
    await deleteVolumes(project, "staging");
    expect(fs.existsSync(volumesRoot(project, "staging"))).toBe(false);
  }, 60_000);
});

describe("a folder swapped for a link during a copy", () => {
  let swapper: ReturnType<typeof spawn> | null = null;
  afterAll(() => swapper?.kill("SIGKILL"));

  it("is never followed: no copy ever holds what the link points to", async () => {
    const project = `race-${process.pid}`;
    const live = await environment(project, "staging");
    const varDir = path.join(live, "mounts", "var");
    for (let i = 0; i < 50; i++) {
      fs.mkdirSync(path.join(varDir, `d${i}`));
      fs.writeFileSync(path.join(varDir, `d${i}`, "secret.txt"), "own data");
    }
    // Swaps every folder for a link to `outside` (which holds secret.txt) and back, as fast as it can.
    swapper = spawn("bash", ["-c", `cd '${varDir}'; while :; do for i in $(seq 0 49); do mv -T d$i d$i.x 2>/dev/null; ln -sfn '${outside}' d$i; rm -f d$i; mv -T d$i.x d$i 2>/dev/null; done; done`], { stdio: "ignore" });
    let copies = 0;
    let links = 0;
    const deadline = Date.now() + 8000;
    while (Date.now() < deadline) {
      await copyVolumes(project, "staging", "child");
      copies++;
      const got = listing(path.join(liveGeneration(project, "child")!, "mounts", "var"));
      expect(Object.values(got)).not.toContain(SECRET);
      links += Object.values(got).filter((v) => v.startsWith("->")).length;
    }
    swapper.kill("SIGKILL");
    console.log(`[tree tool] ${copies} copies during the swaps, ${links} links caught and copied as links, none followed`);
    expect(copies).toBeGreaterThan(3);
  }, 30_000);
});

describe("the mount places of a deployment", () => {
  it("replace what the build left there, never following a link on the way", async () => {
    const deploy = fs.mkdtempSync(path.join(dataDir(), "deploy-"));
    fs.symlinkSync(outside, path.join(deploy, "pub")); // the build made pub a link to somewhere else
    fs.symlinkSync("/etc", path.join(deploy, "var"));
    const mounts = await prepareMountPlaces(deploy, config(["var", "pub/media"]));
    expect(mounts).toEqual([
      { path: "var", folder: "mounts/var" },
      { path: "pub/media", folder: "mounts/pub%2Fmedia" },
    ]);
    expect(fs.lstatSync(path.join(deploy, "pub")).isDirectory()).toBe(true);
    expect(fs.readdirSync(path.join(deploy, "pub", "media"))).toEqual([]);
    expect(fs.readdirSync(path.join(deploy, "var"))).toEqual([]);
    expect(listing(outside)).toMatchObject({ media: "dir", "media/secret.txt": SECRET, "secret.txt": SECRET });
    expect(fs.existsSync("/etc/passwd")).toBe(true);
  });
});

describe("the router's files", () => {
  it("serves the build and mounts, follows links only inside the build, never inside a mount", async () => {
    const project = `site-${process.pid}`;
    const live = await environment(project, "staging");
    const deploy = fs.mkdtempSync(path.join(dataDir(), "deploy-"));
    fs.mkdirSync(path.join(deploy, "public", "env"), { recursive: true });
    fs.writeFileSync(path.join(deploy, "public", "app.css"), "body{}");
    fs.symlinkSync("env/index.html", path.join(deploy, "public", "index.html"));
    fs.symlinkSync("/etc/passwd", path.join(deploy, "public", "passwd"));
    fs.symlinkSync("../../../../..", path.join(deploy, "public", "up"));
    fs.writeFileSync(path.join(deploy, ".router.json"), "{}");
    const envDir = path.join(live, "mounts", "public%2Fenv");
    fs.mkdirSync(envDir);
    fs.writeFileSync(path.join(envDir, "index.html"), "hello from staging");
    fs.symlinkSync(path.join(outside, "secret.txt"), path.join(envDir, "leak.html"));
    fs.symlinkSync(outside, path.join(envDir, "dir"));
    const site: Site = { deployDir: deploy, webRoot: "public", mounts: [{ path: "public/env", folder: "mounts/public%2Fenv" }], live, hidden: [".router.json"] };
    const read = (p: string) => {
      const f = openSiteFile(site, p);
      if (typeof f === "string") return f;
      const text = fs.readFileSync(f.fd, "utf8");
      fs.closeSync(f.fd);
      return text;
    };
    expect(read("/app.css")).toBe("body{}");
    expect(read("/")).toBe("hello from staging"); // index.html → env/index.html, in the mount
    expect(read("/env/")).toBe("hello from staging");
    expect(read("/env/leak.html")).toBe("refused");
    expect(read("/env/dir/secret.txt")).toBe("refused");
    expect(read("/passwd")).toBe("refused");
    expect(read("/up/etc/passwd")).toBe("missing"); // `..` stops at the application's root, as in the sandbox
    expect(read("/../.router.json")).toBe("missing"); // normalised at the web root
    expect(read("/nothing")).toBe("missing");
    expect(read("/%E0%A4%A")).toBe("refused");
    site.webRoot = "";
    expect(read("/.router.json")).toBe("refused");
  });
});
