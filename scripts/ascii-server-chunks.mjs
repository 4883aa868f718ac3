// After `next build`: rewrites the server's JavaScript with every non-ASCII character escaped
// (esbuild's `charset: "ascii"`, whitespace minified as Next.js already did). V8 keeps the source
// of every loaded module in memory, and one non-ASCII character (a ✓ in a log message) makes it
// store the whole file as two bytes per character: about 8 MiB more for the server's modules.
// Meaning is unchanged: esbuild parses each file and prints it back with escapes (it keeps a
// tagged template's raw text and regular expression literals as written; the build has none today).
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

// Loaded when a build runs: `npm start` imports this file's caller, and a server has no use for esbuild.
const esbuild = () => createRequire(import.meta.url)("esbuild");

const NON_ASCII = /[^\x00-\x7f]/;

/** Rewrites the .js files under `dir` that hold non-ASCII characters; returns how many it rewrote. */
export function asciiServerChunks(dir, log = console.log) {
  let rewritten = 0;
  const walk = (p) => {
    for (const entry of fs.readdirSync(p, { withFileTypes: true })) {
      const full = path.join(p, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".js")) {
        const source = fs.readFileSync(full, "utf8");
        if (!NON_ASCII.test(source)) continue;
        try {
          const { code } = esbuild().transformSync(source, { loader: "js", charset: "ascii", minifyWhitespace: true, legalComments: "none" });
          fs.writeFileSync(full, code);
          rewritten += 1;
        } catch (err) {
          // Left as Next.js wrote it: it runs the same, only larger in memory.
          log(`[build] ${path.relative(dir, full)} kept as built (${String(err).split("\n")[0]})`);
        }
      }
    }
  };
  walk(dir);
  return rewritten;
}
