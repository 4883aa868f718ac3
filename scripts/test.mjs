#!/usr/bin/env node
// `npm test`: typecheck, lint and the production build side by side, Vitest unit + integration
// (PGlite and PostgreSQL), then Playwright end-to-end tests against that build. Stops at the
// first failing step and ends with one plain line: "tests: N passed, N failed, N skipped".
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { root } from "./build-if-needed.mjs";

const reports = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-test-"));
const bin = (p) => path.join(root, "node_modules", p);
const totals = { passed: 0, failed: 0, skipped: 0 };
const notes = [];
const started = Date.now();

function step(name, args, env = {}) {
  const t0 = Date.now();
  console.log(`\n=== ${name} ===`);
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...env } });
  console.log(`=== ${name}: ${result.status === 0 ? "ok" : "FAILED"} in ${((Date.now() - t0) / 1000).toFixed(1)} s ===`);
  return result.status === 0;
}

function finish(ok) {
  fs.rmSync(reports, { recursive: true, force: true });
  for (const note of notes) console.log(note);
  console.log(`\nnpm test ${ok ? "passed" : "FAILED"} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
  process.exit(ok ? 0 : 1);
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    return null;
  }
}

/** As `step`, beside others: its output is kept and printed whole when it ends. */
function stepBeside(name, args) {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: process.env });
    const out = [];
    child.stdout.on("data", (d) => out.push(d));
    child.stderr.on("data", (d) => out.push(d));
    child.on("close", (code) => {
      console.log(`\n=== ${name} ===`);
      process.stdout.write(Buffer.concat(out));
      console.log(`=== ${name}: ${code === 0 ? "ok" : "FAILED"} in ${((Date.now() - t0) / 1000).toFixed(1)} s ===`);
      resolve(code === 0);
    });
  });
}

// The typecheck, the lint and the end-to-end tests' production build side by side (each mostly
// one core). The typecheck reads tsconfig.check.json: the sources without .next, which the build
// writes meanwhile.
const prelude = await Promise.all([
  stepBeside("typecheck", [bin("typescript/bin/tsc"), "--noEmit", "-p", "tsconfig.check.json"]),
  stepBeside("lint", [bin("eslint/bin/eslint.js"), "--max-warnings=0", "."]),
  stepBeside("production build (for the end-to-end tests)", ["--input-type=module", "-e", "import { buildIfNeeded } from './scripts/build-if-needed.mjs'; await buildIfNeeded();"]),
]);
if (prelude.includes(false)) finish(false);

const vitestJson = path.join(reports, "vitest.json");
const vitestOk = step("unit and integration tests (Vitest)", [bin("vitest/vitest.mjs"), "run", "--reporter=default", "--reporter=json", `--outputFile.json=${vitestJson}`]);
const vitest = readJson(vitestJson);
if (vitest && vitest.numTotalTests > 0) {
  totals.passed += vitest.numPassedTests;
  totals.failed += vitest.numFailedTests;
  totals.skipped += vitest.numPendingTests + vitest.numTodoTests;
  const results = vitest.testResults.flatMap((f) => f.assertionResults);
  const onPostgres = results.filter((r) => r.fullName.includes("[PostgreSQL]"));
  const ranOnPostgres = onPostgres.filter((r) => r.status === "passed" || r.status === "failed").length;
  notes.push(
    ranOnPostgres > 0
      ? `PostgreSQL integration tests: ${ranOnPostgres} ran on a real PostgreSQL server.`
      : "PostgreSQL integration tests: SKIPPED (no PostgreSQL server binaries and no TEST_DATABASE_URL; see above).",
  );
}
if (!vitestOk) {
  if (!vitest || vitest.numFailedTests === 0) {
    totals.failed += 1; // Vitest failed outside any test (configuration, unhandled error)
    notes.push("Vitest failed outside the tests; see its output above.");
  }
  finish(false);
}

const playwrightJson = path.join(reports, "playwright.json");
const e2eOk = step("end-to-end tests (Playwright, production build)", [path.join(root, "scripts/test-e2e.mjs")], { PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightJson });
const playwright = readJson(playwrightJson);
if (playwright?.stats) {
  totals.passed += playwright.stats.expected + playwright.stats.flaky;
  totals.failed += playwright.stats.unexpected;
  totals.skipped += playwright.stats.skipped;
  if (playwright.stats.flaky) notes.push(`End-to-end: ${playwright.stats.flaky} test(s) passed only on retry.`);
} else if (!e2eOk) {
  totals.failed += 1; // the run failed before reporting (no Chromium, build failure)
}
finish(e2eOk);
