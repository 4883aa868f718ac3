import { describe, expect, it } from "vitest";
import crypto from "node:crypto";
import { buildMariadbFiles, buildPostgresqlFiles, buildRabbitmqFiles, buildRedisFiles, formatConfigFile, quoteConfigValue, type ConfigSyntax } from "./service-config";
import { serviceMemory } from "./service-engines";
import { HOSTILE_CONFIG_VALUES } from "./testing-hostile-values";

/**
 * Each engine's reading of one quoted value, as its own reader does it (mysys's option files,
 * Redis's sdssplitargs, PostgreSQL's GUC lexer): the test's independent decoder. The
 * integration test (service-config.int.test.ts) asks the engines themselves.
 */
function readBack(syntax: ConfigSyntax, quoted: string): string {
  const quote = syntax === "postgresql" ? "'" : '"';
  expect(quoted.startsWith(quote) && quoted.endsWith(quote) && quoted.length >= 2).toBe(true);
  const inner = quoted.slice(1, -1);
  let out = "";
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]!;
    if (c === "\\") {
      const n = inner[++i]!;
      out += ({ n: "\n", r: "\r", t: "\t", "\\": "\\", '"': '"' } as Record<string, string>)[n] ?? (syntax === "postgresql" ? n : `\\${n}`);
    } else if (syntax === "postgresql" && c === "'") {
      // Inside, a quote only ever comes doubled.
      expect(inner[++i]).toBe("'");
      out += "'";
    } else {
      // No bare closing quote inside: the value cannot end early and leave text to be read as more.
      expect(c).not.toBe(quote);
      out += c;
    }
  }
  return out;
}

describe("quoteConfigValue", () => {
  for (const syntax of ["mariadb", "redis", "postgresql"] as const) {
    it.each(HOSTILE_CONFIG_VALUES.map((v) => [JSON.stringify(v), v]))(`${syntax}: %s stays one value on one line`, (_name, value) => {
      const quoted = quoteConfigValue(syntax, value);
      expect(quoted).not.toMatch(/[\n\r]/);
      expect(readBack(syntax, quoted)).toBe(value);
      // In a whole file, it is one line among the others: no section, include or directive added.
      const file = formatConfigFile(syntax, [["first", 1], ["hostile", value], ["last", 2]], syntax === "mariadb" ? ["[mysqld]"] : []);
      const lines = file.trimEnd().split("\n");
      expect(lines).toHaveLength(syntax === "mariadb" ? 4 : 3);
      expect(lines.filter((l) => /^\s*(\[|!|include\b)/.test(l))).toEqual(syntax === "mariadb" ? ["[mysqld]"] : []);
      expect(lines.at(-1)).toBe(syntax === "redis" ? "last 2" : "last = 2");
    });

    it(`${syntax}: refuses control characters that no syntax can escape`, () => {
      for (const bad of ["nul\u0000", "bell\u0007", "esc\u001b[31m", "del\u007f"]) expect(() => quoteConfigValue(syntax, bad)).toThrow(/control characters/);
    });
  }

  it("writes numbers and booleans as each syntax spells them, and refuses names and numbers it cannot write", () => {
    expect(formatConfigFile("redis", [["appendonly", true], ["port", 0]])).toBe("appendonly yes\nport 0\n");
    expect(formatConfigFile("mariadb", [["skip-networking", true]])).toBe("skip-networking = on\n");
    expect(formatConfigFile("postgresql", [["fsync", false]])).toBe("fsync = off\n");
    expect(() => formatConfigFile("redis", [["bad name", 1]])).toThrow(/configuration name/);
    expect(() => formatConfigFile("redis", [["include\n", 1]])).toThrow(/configuration name/);
    expect(() => formatConfigFile("redis", [["port", 1.5]])).toThrow(/integer/);
    expect(() => formatConfigFile("redis", [["port", Number.NaN]])).toThrow(/integer/);
  });
});

describe("the engines' files", () => {
  const credentials = { username: "user", password: "p".repeat(32), adminPassword: "a".repeat(32) };

  it("MariaDB: no TCP, its socket in the socket folder, the buffer pool from its memory, credentials applied at each start", () => {
    const { files } = buildMariadbFiles(serviceMemory("mariadb", { disk: 2048 }), credentials);
    expect(files["my.cnf"]).toContain("skip-networking = on\n");
    expect(files["my.cnf"]).toContain('socket = "/run/service/mysql.sock"\n');
    expect(files["my.cnf"]).toContain(`innodb_buffer_pool_size = ${128 * 1024 * 1024}\n`);
    expect(files["my.cnf"]).not.toMatch(/^(port|bind-address)/m);
    expect(files["init.sql"]).toContain(`ALTER USER 'user'@'localhost' IDENTIFIED BY '${"p".repeat(32)}';`);
    expect(files["init.sql"]).toContain("GRANT ALL PRIVILEGES ON `main`.* TO 'user'@'localhost';");
  });

  it("Redis: port 0, a Unix socket, a password; a cache keeps nothing on disk", () => {
    const cache = buildRedisFiles(serviceMemory("redis", {}), { ...credentials, username: null }, false).files["redis.conf"]!;
    expect(cache).toMatch(/^port 0$/m);
    expect(cache).toContain('unixsocket "/run/service/redis.sock"');
    expect(cache).toContain(`requirepass "${"p".repeat(32)}"`);
    expect(cache).toContain('save ""');
    expect(cache).toContain("appendonly no");
    expect(cache).toContain(`maxmemory ${96 * 1024 * 1024}`);
    const persistent = buildRedisFiles(serviceMemory("redis", { size: "L" }), { ...credentials, username: null }, true).files["redis.conf"]!;
    expect(persistent).toContain("appendonly yes");
    expect(persistent).toContain('dir "/srv/data/redis"');
    expect(persistent).toContain('maxmemory-policy "noeviction"');
    expect(persistent).toContain(`maxmemory ${384 * 1024 * 1024}`);
  });

  it("PostgreSQL: no TCP, its socket folder, passwords required", () => {
    const { files } = buildPostgresqlFiles(serviceMemory("postgresql", { disk: 1024 }), { ...credentials, username: "main" });
    expect(files["postgresql.conf"]).toContain("listen_addresses = ''\n");
    expect(files["postgresql.conf"]).toContain("unix_socket_directories = '/run/service'\n");
    expect(files["postgresql.conf"]).toContain("shared_buffers = '32MB'\n");
    expect(files["pg_hba.conf"]).toMatch(/^local all all scram-sha-256$/m);
    expect(files["pg_hba.conf"]).not.toMatch(/trust|^host/m);
  });

  it("RabbitMQ: 127.0.0.1 inside its own namespace only, no guest/guest, its user declared with RabbitMQ's own password hash", () => {
    const { files } = buildRabbitmqFiles(serviceMemory("rabbitmq", { disk: 1024 }), { ...credentials, username: "guest" });
    expect(files["rabbitmq.conf"]).toContain("listeners.tcp.default = 127.0.0.1:5672\n");
    expect(files["rabbitmq.conf"]).toContain("vm_memory_high_watermark.absolute = 128MB\n");
    expect(files["rabbitmq.conf"]).toContain(`default_pass = ${credentials.password}\n`);
    expect(files["rabbitmq.conf"]).toContain("load_definitions = /run/pwi-conf/definitions.json\n");
    expect(files.enabled_plugins).toBe("[].\n"); // no management listener
    const definitions = JSON.parse(files["definitions.json"]!) as { users: { name: string; password_hash: string; hashing_algorithm: string }[] };
    const [user] = definitions.users;
    expect(user).toMatchObject({ name: "guest", hashing_algorithm: "rabbit_password_hashing_sha256" });
    // base64(salt ‖ SHA-256(salt ‖ password)): the generated password, and nothing else, matches.
    const raw = Buffer.from(user!.password_hash, "base64");
    const matches = (password: string) => crypto.createHash("sha256").update(Buffer.concat([raw.subarray(0, 4), Buffer.from(password)])).digest().equals(raw.subarray(4));
    expect(matches(credentials.password)).toBe(true);
    expect(matches("guest")).toBe(false);
    // Every line is `name = value` with a plain value: a value that could start another line or setting is refused.
    for (const line of files["rabbitmq.conf"]!.split("\n").filter((l) => l && !l.startsWith("#"))) expect(line).toMatch(/^[a-z][a-z0-9_.]* = [A-Za-z0-9_.:/-]+$/);
  });

  it("refuses credentials that were not generated (they reach SQL and files)", () => {
    for (const bad of [{ password: "short" }, { password: "x".repeat(20) + "'; DROP USER root; --" }, { adminPassword: "a\nb".repeat(10) }, { username: "user'@'%" }, { password: "x".repeat(20) + "\nloopback_users.guest = false" }, { username: "guest\ndefault_user = x" }]) {
      const c = { ...credentials, ...bad };
      expect(() => buildMariadbFiles(serviceMemory("mariadb", {}), c)).toThrow(/generated|user name/);
      expect(() => buildPostgresqlFiles(serviceMemory("postgresql", {}), c)).toThrow(/generated|user name/);
      expect(() => buildRabbitmqFiles(serviceMemory("rabbitmq", {}), c)).toThrow(/generated|user name/);
    }
  });
});
