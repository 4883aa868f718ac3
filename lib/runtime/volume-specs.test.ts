import { describe, expect, it } from "vitest";
import { parseProjectConfig, type ProjectConfig } from "@/lib/config/parse-config";
import { projectTemplate } from "@/lib/git/template";
import { volumeSpecs } from "./volumes";

function configWith(services: string): ProjectConfig {
  const t = projectTemplate("Shop");
  const parsed = parseProjectConfig({ app: t[".magento.app.yaml"]!.replace(/relationships:\n(?: {2}.*\n)+/, "relationships: {}\n"), services, routes: t[".magento/routes.yaml"]! });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.config;
}

describe("volumeSpecs", () => {
  it("gives a folder to every service with a disk and to every one that keeps data here, none to a cache", () => {
    const config = configWith("db:\n  type: mysql:10.6\ncache:\n  type: redis:7.0\nkept:\n  type: redis-persistent:7.0\npg:\n  type: postgresql:15\nsearch:\n  type: opensearch:2\n  disk: 256\nqueue:\n  type: rabbitmq:3.9\n");
    const services = volumeSpecs(config).filter((s) => s.kind === "service").map((s) => [s.name, s.relPath]);
    expect(services).toEqual([
      ["db", "services/db"],
      ["kept", "services/kept"],
      ["pg", "services/pg"],
      ["search", "services/search"],
      ["queue", "services/queue"],
    ]);
  });
});
