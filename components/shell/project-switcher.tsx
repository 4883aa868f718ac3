"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useParams } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { Menu, MenuContent, MenuItem, MenuLabel, MenuSeparator, MenuTrigger } from "@/components/ui/menu";
import { queryKeys } from "@/components/query-keys";
import { fetchProjectOverview } from "@/components/environments/use-project-overview";
import { treeOrder } from "@/lib/environments/tree-order";
import { useCurrentEnvironment } from "./current-environment";
import { EnvironmentList } from "./environment-list";
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
      <MenuTrigger className={triggerClass} aria-label={`Project: ${current ? current.title : "All projects"}. Switch project`}>
        <span className="text-muted">Project</span>{" "}
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
  const currentName = params.environmentName ? decodeURIComponent(params.environmentName) : named;
  // An inactive environment is folded in the project's overview; its own page's overview holds it (read, never fetched here).
  const { data: pageData } = useQuery({
    queryKey: queryKeys.overview(projectId ?? "", currentName ?? null),
    queryFn: () => fetchProjectOverview(projectId!, currentName),
    enabled: false,
  });
  // While hydrating, what the server rendered (nothing yet): the page below may have filled the
  // cache before this header hydrates, and rendering it at once would fail hydration (#418).
  const hydrated = useHydrated();
  const shown = hydrated ? data : undefined;
  // An environment being deleted is gone as far as navigation goes.
  const envs = (shown?.environments ?? []).filter((e) => e.status !== "deleting");
  const found = envs.find((e) => e.name === currentName) ?? (hydrated ? pageData?.environments.find((e) => e.name === currentName && e.status !== "deleting") : undefined);
  // Named by the address but in neither overview yet: its name, never "Choose".
  const current: { name: string; title: string } | undefined = found ?? (shown && currentName ? { name: currentName, title: currentName } : undefined);
  // Inactive leaves are folded (counted, not listed): the switcher searches them when opened.
  const folded = (shown?.folded ?? []).reduce((sum, f) => sum + f.count, 0);
  return { projectId, isPending: isPending || !hydrated, current, ordered: treeOrder(envs), folded };
}

interface InactiveChoices {
  environments: { id: string; name: string; title: string; status: string }[];
  more: boolean;
}

/** The inactive environments whose name or title contains `text`, newest first (read when the menu or the phone's sheet opens, again as the filter changes). */
export function useInactiveChoices(projectId: string | undefined, text: string, enabled: boolean) {
  const [query, setQuery] = useState(text);
  useEffect(() => {
    const timer = setTimeout(() => setQuery(text), text ? 150 : 0); // one request per pause in typing
    return () => clearTimeout(timer);
  }, [text]);
  return useQuery({
    // Under the overview's key: the project's events refetch it with the rest.
    queryKey: ["overview", projectId ?? "", { choices: query }] as const,
    queryFn: async (): Promise<InactiveChoices> => {
      const res = await fetch(`/api/projects/${encodeURIComponent(projectId!)}/environment-choices?q=${encodeURIComponent(query)}`, { cache: "no-store" });
      if (!res.ok) throw new Error(`Could not load the inactive environments (${res.status}).`);
      return res.json();
    },
    enabled: enabled && Boolean(projectId),
    placeholderData: keepPreviousData,
  });
}

export function EnvironmentSwitcher() {
  const { projectId, isPending, current, ordered, folded } = useSwitcherEnvironments();
  const [open, setOpen] = useState(false);
  const [text, setText] = useState("");
  const filter = useRef<HTMLInputElement>(null);
  const inactive = useInactiveChoices(projectId, text.trim(), open);
  useEffect(() => {
    if (!open) return;
    // The filter takes the focus once the menu has placed its own: type at once; ↓ goes to the list.
    const frame = requestAnimationFrame(() => filter.current?.focus());
    return () => cancelAnimationFrame(frame);
  }, [open]);
  if (!projectId) return null;
  if (ordered.length === 0) {
    return (
      <button type="button" disabled className={triggerClass} title={isPending ? "Loading the environments" : "This project has no environments yet"}>
        <span className="text-muted">Environment</span>{" "}
        <span className="truncate">{isPending ? "Loading…" : "None yet"}</span>
        <Chevron />
      </button>
    );
  }
  return (
    <Menu
      onOpenChange={(isOpen) => {
        setOpen(isOpen);
        if (!isOpen) setText("");
      }}
    >
      <MenuTrigger className={triggerClass} aria-label={`Environment: ${current ? current.title : "Choose"}. Switch environment`}>
        <span className="text-muted">Environment</span>{" "}
        <span className="truncate font-medium">{current ? current.title : "Choose"}</span>
        <Chevron />
      </MenuTrigger>
      <MenuContent className="w-72">
        <MenuLabel>Switch environment</MenuLabel>
        <div className="px-1 pb-1">
          <input
            ref={filter}
            type="search"
            value={text}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "ArrowDown") {
                e.preventDefault();
                e.currentTarget.closest("[role=menu]")?.querySelector<HTMLElement>("[role=menuitem]")?.focus();
              } else if (e.key !== "Escape") {
                e.stopPropagation(); // the menu's type-to-select would take the letters
              }
            }}
            maxLength={100}
            placeholder="Find by name or title"
            aria-label="Find an environment by name or title"
            className="w-full rounded border border-border bg-surface px-2 py-1 text-sm"
          />
        </div>
        <EnvironmentList variant="menu" projectId={projectId} current={current?.name} ordered={ordered} folded={folded} wanted={text.trim()} inactive={inactive} open={open} />
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
