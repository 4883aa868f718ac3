import { monitorEventLoopDelay } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { uniqueProjectId } from "@/lib/testing-fixtures";
import { commitOn, createRepository } from "@/lib/testing-git";
import { loadProjectConfig } from "./load-config";

/** Hostile configuration files, as a pusher can commit them: each is a configuration error, never a stall. */
const laughs = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]", ...["b", "c", "d", "e", "f", "g", "h", "i"].map((k, i) => `${k}: &${k} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(", ")}]`)].join("\n");

async function withDelay<T>(work: () => Promise<T>): Promise<{ result: T; maxDelayMs: number }> {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const result = await work();
  h.disable();
  return { result, maxDelayMs: h.max / 1e6 };
}

describe("loading a commit's configuration", () => {
  it("turns an oversized file, a billion laughs and a slow file into configuration errors without blocking the event loop", async () => {
    const id = uniqueProjectId("yaml");
    await createRepository(id, "Yaml", ["staging"]);

    const big = await commitOn(id, "staging", { ".magento/services.yaml": `# ${"x".repeat(1024 * 1024)}\nmysql:\n  type: mysql:10.6\n` }, "Too big");
    const tooBig = await withDelay(() => loadProjectConfig(id, big));
    expect(tooBig.result).toEqual({ ok: false, errors: [{ file: ".magento/services.yaml", line: null, message: "is 1.0 MiB; configuration files may be at most 1 MiB" }] });

    const bomb = await commitOn(id, "staging", { ".magento/services.yaml": laughs }, "Billion laughs");
    const laughed = await withDelay(() => loadProjectConfig(id, bomb));
    expect(laughed.result.ok).toBe(false);
    expect(!laughed.result.ok && laughed.result.errors[0]!.message).toMatch(/too many aliases/);

    // 30,000 services in one map: slow for the parser, bounded by its budget, off this thread.
    const many = Array.from({ length: 30_000 }, (_, i) => `s${i}:\n  type: redis:7.0`).join("\n");
    const slow = await commitOn(id, "staging", { ".magento/services.yaml": many }, "Many services");
    const parsed = await withDelay(() => loadProjectConfig(id, slow));
    expect(parsed.result).toEqual({ ok: false, errors: [{ file: ".magento/services.yaml", line: null, message: "parsing took longer than 5 s and was stopped: simplify the file" }] });
    expect(parsed.maxDelayMs).toBeLessThan(1000);
    console.log(`[load-config] slow file: ${JSON.stringify(parsed.result).slice(0, 200)}; longest event-loop delay ${parsed.maxDelayMs.toFixed(0)} ms`);

    // A configuration file committed as a symlink (to read a file of the server's) is refused before anything is read.
    const link = await commitOn(id, "staging", { ".magento/services.yaml": { symlink: "/etc/passwd" } }, "Symlinked services");
    expect(await loadProjectConfig(id, link)).toEqual({ ok: false, errors: [{ file: ".magento/services.yaml", line: null, message: "must be a regular file (not a symbolic link or a directory)" }] });

    // The same blobs are answered from the cache.
    expect(await loadProjectConfig(id, bomb)).toBe(await loadProjectConfig(id, bomb));
  }, 60_000);

  it("reads a valid configuration, and a schema error with its file and line", async () => {
    const id = uniqueProjectId("yaml");
    const { commit } = await createRepository(id, "Yaml", ["staging"]);
    const good = await loadProjectConfig(id, commit);
    expect(good.ok && good.config.app.name).toBe("mymagento");
    const bad = await commitOn(id, "staging", { ".magento/services.yaml": "mysql:\n  type: mysql:10.6\nredis:\n  type: nosql:1\n" }, "Unknown type");
    expect(await loadProjectConfig(id, bad)).toEqual({
      ok: false,
      errors: [
        { file: ".magento/services.yaml", line: 4, message: "redis.type: unknown service type “nosql” (known: mysql, mariadb, redis, redis-persistent, postgresql, opensearch, elasticsearch, rabbitmq, varnish, solr, memcached)" },
      ],
    });
  });
});
