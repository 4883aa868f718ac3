"use client";

import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useParams } from "next/navigation";
import type { SwitcherProject } from "@/components/shell/project-switcher";
import { queryKeys } from "@/components/query-keys";
import { useHydrated } from "@/components/ui/use-hydrated";
import { useFrameDelay } from "./frame-delay";
import type { ProjectOverview } from "@/lib/environments/overview";

/** Which page is loading: its heading is the project's title, or an environment page's heading. */
export type SkeletonHeading = "project" | "environment" | "environment-settings" | "mailbox";

const decode = (segment: string) => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

type KnownTitles = { project: string | null; environment: string | null };
const NOTHING_KNOWN: KnownTitles = { project: null, environment: null };

/** The project's and the environment's titles in the query cache. */
function knownTitles(client: QueryClient, projectId: string, name: string): KnownTitles {
  const project = client.getQueryData<SwitcherProject[]>(queryKeys.projects())?.find((p) => p.id === projectId)?.title ?? null;
  const environment = name
    ? (client
        .getQueriesData<ProjectOverview>({ queryKey: queryKeys.overview(projectId) })
        .flatMap(([, data]) => (data && Array.isArray(data.environments) ? data.environments : []))
        .find((e) => e.name === name)?.title ?? null)
    : null;
  return { project, environment };
}

/**
 * The frame a page shows while the server renders it (a route's loading.tsx): its real heading,
 * from what the client already knows (the project switcher's list, any overview held for the
 * project; else the name in the address), and placeholders where the content will be. After a
 * click it shows only if the page has not come within FRAME_DELAY_MS (frame-delay.ts).
 */
export function PageSkeleton({ heading }: { heading: SkeletonHeading }) {
  useFrameDelay();
  const params = useParams<{ projectId: string; environmentName?: string }>();
  const client = useQueryClient();
  const projectId = decode(params.projectId);
  const name = decode(params.environmentName ?? "");
  // What the client knows is read after hydration: the server knew nothing, and a frame that
  // hydrates with another heading than the server sent fails hydration.
  const known = useHydrated() ? knownTitles(client, projectId, name) : NOTHING_KNOWN;
  const project = known.project ?? projectId;
  const env = known.environment ?? name;
  const title =
    heading === "project" ? project : heading === "environment" ? env : heading === "environment-settings" ? `Settings of ${env}` : `Mailbox of ${env}`;
  return (
    <div aria-busy="true" data-loading-frame="">
      <div className="mb-6 min-w-0">
        <h1 className="truncate text-2xl font-semibold tracking-tight">{title}</h1>
        <p className="mt-1 text-sm text-muted">
          Loading…
        </p>
      </div>
      <div className="grid gap-6 lg:grid-cols-3" aria-hidden="true">
        <div className="space-y-3 lg:col-span-2">
          {[0, 1, 2, 3].map((i) => (
            <div key={i} className="h-14 animate-pulse rounded-lg border border-border bg-surface-muted" />
          ))}
        </div>
        <div className="space-y-3">
          {[0, 1].map((i) => (
            <div key={i} className="h-24 animate-pulse rounded-lg border border-border bg-surface-muted" />
          ))}
        </div>
      </div>
    </div>
  );
}
