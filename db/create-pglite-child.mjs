// Creates a new embedded database (PostgreSQL's initdb) in a short-lived process of its own, for
// db/client.ts. Creating one unpacks PostgreSQL's files and runs initdb inside PGlite: it peaks
// near 700 MiB and leaves the process's malloc heap about 40 MiB larger for good (freed, but in
// the middle of the heap, so never given back). Here that memory ends with this process.
// Usage: node db/create-pglite-child.mjs <directory> <start parameters as JSON>
import v8 from "node:v8";
import { PGlite } from "@electric-sql/pglite";

const [dir, params] = process.argv.slice(2);
if (!dir || !params) {
  console.error("usage: create-pglite-child.mjs <directory> <start parameters as JSON>");
  process.exit(2);
}
v8.setFlagsFromString("--liftoff-only");
const client = await PGlite.create(dir, { startParams: JSON.parse(params) ?? undefined });
await client.query("select 1");
await client.close();
