"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useParams } from "next/navigation";
import { useEffect } from "react";
import { Menu, MenuContent, MenuItem, MenuLabel, MenuSeparator, MenuTrigger } from "@/components/ui/menu";
import { queryKeys } from "@/components/query-keys";
import { fetchProjectOverview } from "@/components/environments/use-project-overview";
import { treeOrder } from "@/lib/environments/tree-order";
import { useCurrentEnvironment } from "./current-environment";
import { useHydrated } from "@/components/ui/use-hydrated";


export interface SwitcherProject {
  id: string;
  title: string;
}

async function fetchProjects(): Promise<SwitcherProject[]> {
  const res = await fetch("/api/projects", { headers: { accept: "application/json" } });
  if (!res.ok) throw new Error(`Could not load projects (${res.status})`);
  const body = (await res.json()) as { projects: SwitcherProject[] };
  return body.projects;
}

const triggerClass =
  "inline-flex min-w-0 max-w-56 items-center gap-1.5 rounded-md border border-border bg-surface px-2.5 py-1.5 text-sm hover:bg-surface-muted disabled:opacity-60";

/** The user's projects and the current one; the dashboard layout hydrates the list. */
export function useSwitcherProjects() {
  const params = useParams<{ projectId?: string }>();
  const { data: projects = [], refetch, isFetching } = useQuery({ queryKey: queryKeys.projects(), queryFn: fetchProjects });
  const current = projects.find((p) => p.id === params.projectId);
  // Layouts survive client navigation, so a project created a moment ago may be missing.
  const isMissing = Boolean(params.projectId) && !current;
  useEffect(() => {
    if (isMissing && !isFetching) void refetch();
  }, [isMissing, params.projectId]); // eslint-disable-line react-hooks/exhaustive-deps
  return { projects, current, refetch };
}

/** Lists the user's projects; opening the menu refreshes it. */
export function ProjectSwitcher() {
  const { projects, current, refetch } = useSwitcherProjects();
  return (
    <Menu onOpenChange={(open) => open && void refetch()}>
      <MenuTrigger className={triggerClass} aria-label={`Project: ${current ? current.title : "none selected"}. Switch project`}>
        <span className="text-muted">Project</span>
        <span className="truncate font-medium">{current ? current.title : "All projects"}</span>
        <Chevron />
      </MenuTrigger>
      <MenuContent>
        <MenuLabel>Switch project</MenuLabel>
        {projects.length === 0 ? <MenuItem disabled>No projects yet</MenuItem> : null}
        {projects.map((p) => (
          <MenuItem key={p.id} asChild>
            <Link href={`/projects/${p.id}`} aria-current={p.id === current?.id ? "page" : undefined}>
              <span className="truncate">{p.title}</span>
              <span className="ml-auto font-mono text-xs text-muted">{p.id}</span>
            </Link>
          </MenuItem>
        ))}
        <MenuSeparator />
        <MenuItem asChild>
          <Link href="/projects">All projects</Link>
        </MenuItem>
      </MenuContent>
    </Menu>
  );
}

/** The current project's environments in tree order (shares the overview cache with the project page). */
export function useSwitcherEnvironments() {
  const params = useParams<{ projectId?: string; environmentName?: string }>();
  const projectId = params.projectId;
  const { data, isPending } = useQuery({
    queryKey: queryKeys.overview(projectId ?? "", null),
    queryFn: () => fetchProjectOverview(projectId!),
    enabled: Boolean(projectId),
  });
  const named = useCurrentEnvironment();
  // While hydrating, what the server rendered (nothing yet): the page below may have filled the
  // cache before this header hydrates, and rendering it at once would fail hydration (#418).
  const hydrated = useHydrated();
  const shown = hydrated ? data : undefined;
  // An environment being deleted is gone as far as navigation goes.
  const envs = (shown?.environments ?? []).filter((e) => e.status !== "deleting");
  const currentName = params.environmentName ? decodeURIComponent(params.environmentName) : named;
  const current = envs.find((e) => e.name === currentName);
  // Inactive leaves are folded (counted, not listed): the project page lists them.
  const folded = (shown?.folded ?? []).reduce((sum, f) => sum + f.count, 0);
  return { projectId, isPending: isPending || !hydrated, current, ordered: treeOrder(envs), folded };
}

/** The indentation of an environment at `depth` in a switcher list. */
export const depthIndent = (depth: number) => ({ paddingLeft: `${0.5 + Math.min(depth, 6) * 0.75}rem` });

export function EnvironmentSwitcher() {
  const { projectId, isPending, current, ordered, folded } = useSwitcherEnvironments();
  if (!projectId) return null;
  if (ordered.length === 0) {
    return (
      <button type="button" disabled className={triggerClass} title={isPending ? "Loading the environments" : "This project has no environments yet"}>
        <span className="text-muted">Environment</span>
        <span className="truncate">{isPending ? "Loading…" : "None yet"}</span>
        <Chevron />
      </button>
    );
  }
  return (
    <Menu>
      <MenuTrigger className={triggerClass} aria-label={`Environment: ${current ? current.title : "none selected"}. Switch environment`}>
        <span className="text-muted">Environment</span>
        <span className="truncate font-medium">{current ? current.title : "Choose"}</span>
        <Chevron />
      </MenuTrigger>
      <MenuContent>
        <MenuLabel>Switch environment</MenuLabel>
        {ordered.map(({ env: e, depth }) => (
          <MenuItem key={e.id} asChild>
            <Link
              href={`/projects/${projectId}/environments/${e.name}`}
              aria-current={e.name === current?.name ? "page" : undefined}
              className={e.status === "inactive" ? "opacity-60" : ""}
              style={depthIndent(depth)}
            >
              <span className="truncate">{e.title}</span>
              <span className="ml-auto font-mono text-xs text-muted">{e.name}</span>
            </Link>
          </MenuItem>
        ))}
        {folded > 0 ? (
          <>
            <MenuSeparator />
            <MenuItem asChild>
              <Link href={`/projects/${projectId}?inactive=1`}>{folded} inactive: see the project page</Link>
            </MenuItem>
          </>
        ) : null}
      </MenuContent>
    </Menu>
  );
}

export function Chevron() {
  return (
    <svg aria-hidden viewBox="0 0 16 16" className="size-3.5 shrink-0 text-muted" fill="none" stroke="currentColor" strokeWidth="1.8">
      <path d="m4 6 4 4 4-4" />
    </svg>
  );
}
