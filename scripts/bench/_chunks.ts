import { chromium } from "@playwright/test";
import { CHROMIUM_ARGS, chromiumPath } from "../../e2e/support/chromium";
import fs from "node:fs"; import zlib from "node:zlib";
const { cookie } = JSON.parse(fs.readFileSync("/tmp/prof/info.json", "utf8"));
const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
const ctx = await browser.newContext();
await ctx.addCookies(cookie.split("; ").map((c: string) => { const i = c.indexOf("="); return { name: c.slice(0, i), value: c.slice(i + 1), url: "http://localhost:3999" }; }));
for (const path of process.argv.slice(2)) {
  const page = await ctx.newPage(); const list: [string, number][] = [];
  page.on("requestfinished", async (r) => { if (r.resourceType() === "script") { const s = await r.sizes(); const body = await (await r.response())!.body(); list.push([r.url().replace(/.*\/_next\/static\/chunks\//, "") + " " + (body.toString().slice(0, 0)), s.responseBodySize]); } });
  await page.goto("http://localhost:3999" + path); await page.waitForLoadState("networkidle");
  console.log(path, list.reduce((a, b) => a + b[1], 0));
  for (const [u, n] of list.sort((a, b) => b[1] - a[1])) console.log("  ", n, u);
  await page.close();
}
await browser.close();
