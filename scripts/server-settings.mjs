// How the server process is started, by `npm start` (package.json's `start`, which must say the
// same: scripts/server-settings.test.ts checks it) and by the tests' and benchmarks' servers.
// - glibc's malloc keeps one arena (it otherwise gives each of the server's threads, libuv's pool
//   and worker threads, its own, and keeps them), serves blocks of 32 KiB and more from their own
//   mappings (a burst of mid-sized blocks, freed, otherwise stays in the middle of its heap: about
//   20 MiB kept after a first start), and gives freed memory back above 128 KiB.
// - V8's young generation is capped at 2 MiB per half: it otherwise grows to 16 MiB per half
//   under a burst of renders and keeps that for 30-40 s after it.
// - NEXT_MANUAL_SIG_HANDLE: Next.js leaves SIGTERM and SIGINT to the server, which stops its worker
//   and closes the database (releasing the embedded database's lock) before it exits
//   (lib/instance/shutdown.ts; Next.js's documented switch for a graceful shutdown of one's own).
export const SERVER_ENV = { MALLOC_ARENA_MAX: "1", MALLOC_MMAP_THRESHOLD_: "32768", MALLOC_TRIM_THRESHOLD_: "131072", NEXT_MANUAL_SIG_HANDLE: "true" };
export const SERVER_NODE_ARGS = ["--max-semi-space-size=2"];
