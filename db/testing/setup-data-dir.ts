// Integration tests: each test file gets its own DATA_DIR (repositories, builds, deploys).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import { resetEnvForTests } from "@/lib/env";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-int-"));
process.env.DATA_DIR = dir;
resetEnvForTests();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
