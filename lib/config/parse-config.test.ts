import { describe, expect, it } from "vitest";
import { projectTemplate } from "@/lib/git/template";
import { formatConfigError, parseProjectConfig } from "./parse-config";

const template = projectTemplate("Shop");
const files = { app: template[".magento.app.yaml"]!, services: template[".magento/services.yaml"]!, routes: template[".magento/routes.yaml"]! };

describe("parseProjectConfig", () => {
  it("reads the template", () => {
    const result = parseProjectConfig(files);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.app.name).toBe("mymagento");
    expect(result.config.app.relationships).toEqual({ database: "mysql:mysql", redis: "redis:redis", opensearch: "opensearch:opensearch" });
    expect(Object.keys(result.config.services)).toEqual(["mysql", "redis", "opensearch", "rabbitmq"]);
    expect(result.config.app.hooks.build).toContain("public/index.html");
  });

  it("refuses nested mounts, mounts outside the application and mounts at the server's own file names, at their lines", () => {
    const app = files.app.replace('  "var": "shared:files/var"\n', '  "var": "shared:files/var"\n  "var/log": "shared:files/log"\n  "../up": "shared:files/up"\n  ".router.json": "shared:files/r"\n');
    const result = parseProjectConfig({ ...files, app });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const errors = result.errors.map(formatConfigError);
    expect(errors).toContainEqual(expect.stringMatching(/^\.magento\.app\.yaml:\d+: mounts\.var\/log: the mount “var\/log” lies inside the mount “var”: mounts cannot be nested; put it beside it$/));
    expect(errors).toContainEqual(expect.stringContaining("the mount “../up” must name a folder inside the application"));
    expect(errors).toContainEqual(expect.stringContaining("“.router.json” is a file the server keeps in every deployment"));
  });

  it("reports a YAML syntax error with its line", () => {
    const result = parseProjectConfig({ ...files, services: "mysql:\n  type: mysql:10.6\n  disk: [1024\n" });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[0]).toMatchObject({ file: ".magento/services.yaml", line: expect.any(Number) });
  });

  it("reports an unknown service type at its line", () => {
    const result = parseProjectConfig({ ...files, services: files.services.replace("redis:7.0", "mongodb:7.0") });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map(formatConfigError)).toContain(".magento/services.yaml:7: redis.type: unknown service type “mongodb” (known: mysql, mariadb, redis, opensearch, elasticsearch, rabbitmq, varnish, solr, memcached)");
  });

  it("reports a relationship to a missing service", () => {
    const result = parseProjectConfig({ ...files, services: files.services.replace(/opensearch:\n  type: opensearch:2\n  disk: 1024\n/, "") });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map(formatConfigError)).toContain(
      ".magento.app.yaml:8: relationships.opensearch: service “opensearch” is not defined in .magento/services.yaml",
    );
  });

  it("reports a missing file", () => {
    const result = parseProjectConfig({ ...files, routes: null });
    expect(result).toEqual({ ok: false, errors: [{ file: ".magento/routes.yaml", line: null, message: "the file is missing" }] });
  });
});
