// After `next build`: the server's bundler writes some chunks several times under different names
// with the same bytes (the route-handler runtime once per route handler: 7 copies of 330 KB).
// Node loads each name as a module of its own, and V8 keeps each one's source: about 3 MiB for
// the copies. Every copy but one becomes a one-line module that exports the kept one's exports
// (the same array of module factories; the bundler's runtime installs a factory once per id).
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/** Smaller files are left as they are: a copy costs less than the lookup. */
const MIN_BYTES = 4096;

/** Turns the duplicate .js files under `dir` into references to one of them; returns how many. */
export function dedupeServerChunks(dir) {
  const byHash = new Map();
  const walk = (p) => {
    for (const entry of fs.readdirSync(p, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(p, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && entry.name.endsWith(".js") && fs.statSync(full).size >= MIN_BYTES) {
        const hash = crypto.createHash("sha256").update(fs.readFileSync(full)).digest("hex");
        byHash.set(hash, [...(byHash.get(hash) ?? []), full]);
      }
    }
  };
  if (!fs.existsSync(dir)) return 0;
  walk(dir);
  let replaced = 0;
  for (const [kept, ...copies] of byHash.values()) {
    for (const copy of copies) {
      const relative = path.relative(path.dirname(copy), kept);
      fs.writeFileSync(copy, `module.exports=require(${JSON.stringify(relative.startsWith(".") ? relative : `./${relative}`)});\n`);
      replaced += 1;
    }
  }
  return replaced;
}
