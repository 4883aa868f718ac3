import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { SERVER_ENV, SERVER_NODE_ARGS } from "./server-settings.mjs";

describe("server settings", () => {
  it("npm start starts the server as the tests and benchmarks do", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, "..", "package.json"), "utf8")) as { scripts: { start: string } };
    const expected = `${Object.entries(SERVER_ENV).map(([k, v]) => `${k}=${v}`).join(" ")} exec node ${SERVER_NODE_ARGS.join(" ")} scripts/start.mjs`;
    expect(pkg.scripts.start).toBe(expected);
  });
});
