export async function register() {
  // Node.js server only: never in the Edge runtime, never while `next build` runs.
  if (process.env.NEXT_RUNTIME !== "nodejs" || process.env.NEXT_PHASE === "phase-production-build") return;
  const { startInstance } = await import("./lib/instance/startup");
  await startInstance();
}
