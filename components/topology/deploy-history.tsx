import Link from "next/link";
import type { DeployHistoryEntry } from "@/lib/topology/get-environment-topology";

const W = 22;
const H = 120;

/** The last 30 deploys' build and deploy durations (stacked bars), failures marked; each bar opens its log. */
export function DeployHistory({ projectId, entries }: { projectId: string; entries: DeployHistoryEntry[] }) {
  if (entries.length === 0) return null;
  const max = Math.max(1000, ...entries.map((e) => (e.buildMs ?? 0) + (e.deployMs ?? 0)));
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  return (
    <section aria-labelledby="deploy-history" className="rounded-lg border border-border bg-surface p-4 text-sm">
      <h2 id="deploy-history" className="mb-1 font-semibold">
        Deploy history
      </h2>
      <p className="mb-2 text-xs text-muted">
        Last {entries.length === 1 ? "deploy" : `${entries.length} deploys`}: <span className="text-focus">■</span> build, <span className="text-accent">■</span> deploy hooks, <span className="text-danger">✕</span> failed. Tallest bar {seconds(max)}.
      </p>
      <svg width={entries.length * W} height={H + 14} role="group" aria-label={`Build and deploy durations of the last ${entries.length} deploys (each bar opens its log)`} className="max-w-full overflow-visible">
        {entries.map((e, i) => {
          const build = e.buildMs ?? 0;
          const deploy = e.deployMs ?? 0;
          const bh = Math.max(e.result === "success" ? 2 : 0, (build / max) * H);
          const dh = (deploy / max) * H;
          const x = i * W + 3;
          const title = `${e.description}: ${e.result === "success" ? `build ${e.buildReused ? "reused" : seconds(build)}, deploy ${seconds(deploy)}` : "failed"} (${new Date(e.at).toISOString().slice(0, 16).replace("T", " ")} UTC)`;
          return (
            <Link key={e.activityId} href={`/projects/${projectId}/activities/${e.activityId}`} aria-label={title}>
              <title>{title}</title>
              {e.result === "success" ? (
                <>
                  <rect x={x} y={H - bh - dh} width={W - 6} height={dh} className="fill-accent" />
                  <rect x={x} y={H - bh} width={W - 6} height={bh} className="fill-focus" />
                </>
              ) : (
                <text x={x + (W - 6) / 2} y={H - 2} textAnchor="middle" className="fill-danger text-sm">
                  ✕
                </text>
              )}
            </Link>
          );
        })}
        <line x1={0} x2={entries.length * W} y1={H + 0.5} y2={H + 0.5} className="stroke-border" />
      </svg>
    </section>
  );
}
