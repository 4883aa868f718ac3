export async function register() {
  // Node.js server only: never in the Edge runtime, never while `next build` runs.
  if (process.env.NEXT_RUNTIME !== "nodejs" || process.env.NEXT_PHASE === "phase-production-build") return;
  const { startInstance } = await import("./lib/instance/startup");
  try {
    await startInstance();
  } catch (err) {
    // A server that cannot serve exits (a supervisor restarts it, a person reads why): it never
    // stays up answering 500 to every page and to /api/health.
    console.error(`[startup] The dashboard cannot start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
