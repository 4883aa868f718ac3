import { describe, expect, it } from "vitest";
import { sourceExcerpt } from "./source-excerpt";

const services = `# Services of the project
mysql:
  type: mysql:10.6
  disk: 2048   # keep it big

  configuration:
    schemas: [main]

"redis":
  type: redis:7.0
# a comment between
opensearch:
  type: opensearch:2
`;

describe("sourceExcerpt", () => {
  it("finds a top-level key's block as written, with its first line number", () => {
    expect(sourceExcerpt("s.yaml", services, "mysql")).toEqual({
      file: "s.yaml",
      firstLine: 2,
      lines: ["mysql:", "  type: mysql:10.6", "  disk: 2048   # keep it big", "", "  configuration:", "    schemas: [main]"],
      more: 0,
    });
    expect(sourceExcerpt("s.yaml", services, "redis")).toMatchObject({ firstLine: 9, lines: ['"redis":', "  type: redis:7.0"] });
    expect(sourceExcerpt("s.yaml", services, "opensearch")).toMatchObject({ firstLine: 12, lines: ["opensearch:", "  type: opensearch:2"] });
    expect(sourceExcerpt("s.yaml", services, "postgres")).toBeNull();
    expect(sourceExcerpt("s.yaml", services, "my.sql")).toBeNull(); // a key is matched literally
  });

  it("gives a whole file without a key, and cuts long ones", () => {
    expect(sourceExcerpt("a.yaml", "name: app\r\ntype: php:8.3\r\n", null)).toEqual({ file: "a.yaml", firstLine: 1, lines: ["name: app", "type: php:8.3"], more: 0 });
    const long = Array.from({ length: 250 }, (_, i) => `k${i}: ${i}`).join("\n");
    expect(sourceExcerpt("l.yaml", long, null)).toMatchObject({ more: 50 });
  });
});
