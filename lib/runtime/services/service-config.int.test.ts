// The hostile values of testing-hostile-values.ts, written by quoteConfigValue and read back by
// the engines' own readers: MariaDB's my_print_defaults, PostgreSQL's `postgres -C` (in the
// sandbox: it refuses to run as root) and a Redis server's CONFIG GET.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatConfigFile } from "./service-config";
import { HOSTILE_CONFIG_VALUES } from "./testing-hostile-values";

const { probeServicePrograms } = await import("./service-host");
const { sandboxSupport, hookBaseEnv } = await import("@/lib/runtime/sandbox");
const { sandboxedCommand } = await import("@/lib/runtime/sandbox-command");

const required = Boolean(process.env.CI) || process.env.PWI_REQUIRE_SERVERS === "1";
const programs = probeServicePrograms();
function need(what: string, ok: boolean): boolean {
  if (ok) return true;
  if (required) throw new Error(`PWI_REQUIRE_SERVERS=1 and ${what} is not installed`);
  console.warn(`\n\n!!! SKIPPED: ${what} is not installed !!!\n\n`);
  return false;
}
const myPrintDefaults = ["/usr/bin/my_print_defaults", "/usr/bin/mariadb-print-defaults"].find((p) => fs.existsSync(p));
const hasMariadb = need("MariaDB (my_print_defaults)", Boolean(programs.mariadb && myPrintDefaults));
const hasRedis = need("Redis", Boolean(programs.redis));
const hasPostgresql = need("PostgreSQL with bubblewrap", programs.postgresql.length > 0 && sandboxSupport().ok);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-svc-conf-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("hostile values as the engines read them", () => {
  it.runIf(hasMariadb)("MariaDB's option-file reader gets each value whole, and nothing else", () => {
    const entries = HOSTILE_CONFIG_VALUES.map((v, i) => [`opt${i}`, v] as const);
    const file = path.join(dir, "my.cnf");
    fs.writeFileSync(file, formatConfigFile("mariadb", [...entries, ["last", 1]], ["[mysqld]"]));
    const out = spawnSync(myPrintDefaults!, [`--defaults-file=${file}`, "mysqld", "client"], { encoding: "utf8" });
    expect(out.status, out.stderr).toBe(0);
    // my_print_defaults prints `--name=value` per option, values with newlines spanning lines: compare the whole output.
    expect(out.stdout).toBe(`${[...entries.map(([n, v]) => `--${n}=${v}`), "--last=1"].join("\n")}\n`);
  });

  it.runIf(hasPostgresql)("PostgreSQL's configuration lexer gets each value whole", () => {
    for (const value of HOSTILE_CONFIG_VALUES) {
      const sub = fs.mkdtempSync(path.join(dir, "pg-"));
      fs.writeFileSync(path.join(sub, "pg.conf"), formatConfigFile("postgresql", [["data_directory", "/conf"], ["hba_file", "/dev/null"], ["ident_file", "/dev/null"], ["cluster_name", value], ["work_mem", "5MB"]]));
      const c = sandboxedCommand({
        inner: [`${path.dirname(programs.postgresql[0]!.postgres)}/postgres`, "-c", "config_file=/conf/pg.conf", "-C", "cluster_name"],
        env: hookBaseEnv("/app"),
        sandboxed: { bwrap: (sandboxSupport() as { bwrap: string }).bwrap, seccomp: null },
        sandbox: { appDir: sub, appWritable: false, binds: [], roBinds: [{ source: sub, dest: "/conf" }], network: false },
        limits: { memoryBytes: 512 * 1024 * 1024, maxProcesses: 16, cpus: 1 },
        cgroup: null,
        fileSizeBytes: null,
      });
      const out = spawnSync(c.file, c.args, { env: c.env as unknown as NodeJS.ProcessEnv, encoding: "utf8" });
      expect(out.status, out.stderr).toBe(0);
      // postgres -C prints the value and a newline; cluster_name keeps printable ASCII only (others become "?").
      const printable = [...Buffer.from(value)].map((b) => (b >= 0x20 && b <= 0x7e ? String.fromCharCode(b) : "?")).join("");
      expect(out.stdout, JSON.stringify(value)).toBe(`${printable}\n`);
    }
  });

  it.runIf(hasRedis)("Redis's configuration reader gets each value whole", async () => {
    for (const value of HOSTILE_CONFIG_VALUES) {
      const sub = fs.mkdtempSync(path.join(dir, "r-"));
      const socket = path.join(sub, "r.sock");
      const conf = formatConfigFile("redis", [["port", 0], ["unixsocket", socket], ["save", ""], ["dir", sub], ["logfile", ""], ["masterauth", value], ["maxmemory", 12345]]);
      fs.writeFileSync(path.join(sub, "redis.conf"), conf);
      const server = spawn(programs.redis!.server, [path.join(sub, "redis.conf")], { stdio: ["ignore", "pipe", "pipe"] });
      let output = "";
      server.stdout.on("data", (c) => (output += c));
      server.stderr.on("data", (c) => (output += c));
      try {
        const deadline = Date.now() + 5000;
        while (!fs.existsSync(socket) && Date.now() < deadline && server.exitCode === null) await new Promise((r) => setTimeout(r, 20));
        expect(fs.existsSync(socket), output).toBe(true);
        // The socket file is made when Redis binds it, a moment before it listens: refused until then.
        let answer: string[] | null = null;
        while (answer === null) {
          answer = await redisCommand(socket, ["CONFIG", "GET", "masterauth"], ["CONFIG", "GET", "maxmemory"]).catch((err: NodeJS.ErrnoException) => {
            if (err.code !== "ECONNREFUSED" || Date.now() > deadline) throw err;
            return new Promise<null>((r) => setTimeout(() => r(null), 20));
          });
        }
        expect(answer, JSON.stringify(value)).toEqual(["masterauth", value, "maxmemory", "12345"]);
      } finally {
        server.kill("SIGKILL");
      }
    }
  });
});

/** Sends commands over a socket and reads back the bulk strings of their array answers. */
function redisCommand(socket: string, ...commands: string[][]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const s = net.connect(socket);
    let buf = Buffer.alloc(0);
    const encode = (args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`;
    s.on("connect", () => s.write(commands.map(encode).join("")));
    s.on("error", reject);
    s.on("data", (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      const values: string[] = [];
      let i = 0;
      let arrays = 0;
      while (i < buf.length) {
        const eol = buf.indexOf("\r\n", i);
        if (eol < 0) return;
        const line = buf.subarray(i, eol).toString("utf8");
        i = eol + 2;
        if (line.startsWith("*")) arrays++;
        else if (line.startsWith("$")) {
          const n = Number(line.slice(1));
          if (buf.length < i + n + 2) return;
          values.push(buf.subarray(i, i + n).toString("utf8"));
          i += n + 2;
        } else return reject(new Error(line));
      }
      if (arrays === commands.length && values.length === commands.length * 2) {
        s.end();
        resolve(values);
      }
    });
  });
}
