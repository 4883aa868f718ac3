// After `next build`: writes a Brotli-compressed copy (`<file>.br`, quality 11) beside each
// script and stylesheet under .next/static. Next.js compresses its answers with gzip only, at
// level 6, for every request; these are compressed once, a sixth smaller, and the server answers
// a browser that takes Brotli with them (lib/instance/precompressed-static.ts).
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

const PRECOMPRESSED = /\.(js|css)$/;

/** Compresses every .js and .css file under `dir` (a `.br` beside each); returns how many it wrote. */
export function precompressStatic(dir, log = () => {}) {
  let written = 0;
  const walk = (folder) => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const file = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.isFile() && PRECOMPRESSED.test(entry.name)) {
        const source = fs.readFileSync(file);
        const compressed = zlib.brotliCompressSync(source, {
          params: {
            [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY,
            [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
            [zlib.constants.BROTLI_PARAM_SIZE_HINT]: source.length,
          },
        });
        fs.writeFileSync(`${file}.br`, compressed);
        written++;
      }
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  log(`[build] ${written} static file(s) compressed with Brotli.`);
  return written;
}
