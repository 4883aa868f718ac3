"use client";

import Link from "next/link";
import { useMemo, useState, type ReactNode } from "react";
import { Spoken } from "@/components/ui/spoken";
import { logHref, TONE_DOT, TONE_TEXT } from "@/components/environments/site-status";
import type { ProcessLine } from "@/lib/environments/site-status";
import type { SourceExcerpt } from "@/lib/topology/source-excerpt";
import { formatBytes } from "@/lib/format-bytes";
import type { EnvironmentTopology, TopologyNode } from "@/lib/topology/environment-graph";
import { diskUsedText, type ServiceLine } from "@/lib/topology/service-state";
import { TOPOLOGY_NODE_H as NODE_H, TOPOLOGY_NODE_W as NODE_W, type TopologyLayout } from "@/lib/topology/topology-size";
import { GraphCanvas, type CanvasEdge, type CanvasNode } from "./graph-canvas";

const KIND_LABEL: Record<TopologyNode["kind"], string> = {
  fastly: "CDN",
  "load-balancer": "Load balancer",
  node: "Node",
  router: "Router",
  app: "Application",
  worker: "Worker",
  service: "Service",
  filesystem: "File system",
};
/** A service node's border follows its state (a service that does not run here is not drawn as a healthy one). */
const SERVICE_TONE: Record<ServiceLine["tone"], string> = {
  success: "border-success/60",
  progress: "border-accent/60",
  danger: "border-danger/70",
  muted: "border-muted/50",
};
const KIND_TONE: Record<TopologyNode["kind"], string> = {
  fastly: "border-[#e11d48]/50",
  "load-balancer": "border-focus/60",
  node: "border-border",
  router: "border-focus/60",
  app: "border-accent",
  worker: "border-accent/50",
  service: "border-success/60",
  filesystem: "border-muted/60",
};

/** A process's or a service's state on its node: a dot and words ("running", "crash loop", "Does not run here"). */
function RuntimeBadge({ runtime }: { runtime: Pick<ProcessLine, "label" | "tone"> }) {
  return (
    <span className={`flex shrink-0 items-center gap-1 text-[10px] font-semibold ${TONE_TEXT[runtime.tone]}`} data-testid="node-runtime">
      <span aria-hidden className={`inline-block size-1.5 rounded-full ${TONE_DOT[runtime.tone]}`} />
      {runtime.label}
    </span>
  );
}

/** A service node's last two lines: what runs it and its memory (or its type, when it does not run here), and its disk. */
function serviceLines(n: TopologyNode, service: ServiceLine, used: number | undefined): [ReactNode, string | null] {
  const disk = diskOf(n);
  // (Its memory is bare, as the application's is: the word would not fit beside "PostgreSQL 15"; a screen reader hears it.)
  const runs = service.runs ? (
    <>
      {service.runs}
      {service.memory ? (
        <>
          {` · ${service.memory}`}
          <Spoken> memory</Spoken>
        </>
      ) : null}
    </>
  ) : (
    (n.facts[0] ?? "")
  );
  return [runs, used !== undefined ? `disk ${diskUsedText(used, disk)}` : disk ? null : "no disk"];
}

function TopologyCard({ node: n, selected, used }: { node: TopologyNode; selected: boolean; used: number | undefined }) {
  const runtime = n.runtime ?? n.service;
  const [facts, more] = n.service ? serviceLines(n, n.service, used) : [n.facts.slice(0, 2).join(" · "), n.runtime ? n.runtime.facts.join(" · ") : null];
  return (
    <div
      className={`h-full w-full rounded-lg border-2 bg-surface px-3 text-left text-xs shadow-sm ${runtime ? "py-1.5" : "py-2"} ${n.service ? SERVICE_TONE[n.service.tone] : runtime?.tone === "danger" ? "border-danger/70" : KIND_TONE[n.kind]} ${selected ? "ring-2 ring-focus" : ""}`}
    >
      {/* The node's accessible name is this text: the spaces and the screen-reader words keep it a sentence. */}
      <div className="flex items-center gap-1">
        <span className="text-[10px] uppercase tracking-wide text-muted">{KIND_LABEL[n.kind]}</span>{" "}
        {runtime ? <RuntimeBadge runtime={runtime} /> : null}{" "}
        {n.changed || n.variablesChanged ? (
          <span className="ml-auto flex gap-1">
            {n.changed ? (
              <span className="rounded bg-danger-soft px-1 text-[10px] text-danger">
                changed<span className="sr-only"> since the deploy,</span>
              </span>
            ) : null}{" "}
            {n.variablesChanged ? (
              <span className="rounded bg-accent-soft px-1 text-[10px] text-accent">
                variables<span className="sr-only"> changed since the deploy,</span>
              </span>
            ) : null}
          </span>
        ) : null}
      </div>{" "}
      <div className="truncate font-semibold text-foreground">{n.label}</div>{" "}
      <div className="truncate text-muted">{facts}</div>{" "}
      {/* (The log link is drawn over this line's right end, outside the node's button.) */}
      {more !== null ? <div className={`truncate text-muted ${runtime && "log" in runtime && runtime.log ? "pr-10" : ""}`}>{more}</div> : null}
    </div>
  );
}

/** Which entry of `used` a node's disk is: its service, or the application's mounts (every node group shares them). */
const usedKey = (n: TopologyNode) => (n.kind === "service" ? `service:${n.id.split("service:")[1]}` : n.kind === "app" ? "app" : "");
const diskOf = (n: TopologyNode) => (n.source?.value as { disk?: number } | undefined)?.disk;
/** The Logs tab's log a node links to: its process's, or its service engine's. */
const logOf = (n: TopologyNode) => n.runtime?.log ?? n.service?.log ?? null;
/** A state with what stands beside it ("Running · MariaDB 10.11 · 41 MiB · no restarts"), for the side panel and the table. */
const stateFacts = (n: TopologyNode): string[] =>
  n.runtime ? n.runtime.facts : n.service ? [n.service.runs, n.service.memory && `${n.service.memory} memory`, n.service.restarts].filter((f): f is string => !!f) : [];
/**
 * The environment's topology: zoom, pan, fit; nodes reachable by keyboard (Tab, Enter opens
 * the side panel); a table of the same data below for screen readers and copying.
 */
export function TopologyGraph({
  projectId,
  environmentName,
  topology,
  lastDeploy,
  used,
  excerpts = {},
  layout,
  asParsed = {},
}: {
  projectId: string;
  environmentName: string;
  topology: EnvironmentTopology;
  lastDeploy: { buildMs: number; deployMs: number; buildReused: boolean } | null;
  used: Record<string, number>;
  /** Each node's lines as written in its configuration file (by node id). */
  excerpts?: Record<string, SourceExcerpt>;
  /** Where each node sits, laid out on the server (no layout engine in the browser); or why the graph is not drawn. */
  layout: { positions: TopologyLayout } | { problem: string };
  /** A node's configuration as parsed (YAML), for nodes whose file lines could not be shown. */
  asParsed?: Record<string, string>;
}) {
  const [selected, setSelected] = useState<string | null>(null);
  const positions = "positions" in layout ? layout.positions : null;

  const nodes: CanvasNode[] = useMemo(() => {
    if (!positions) return [];
    const box = (id: string) => positions[id] ?? { x: 0, y: 0, w: NODE_W, h: NODE_H };
    return topology.nodes.map((n) => {
      const p = box(n.id);
      // A container's position is within its node group's box.
      const offset = n.group ? box(n.group) : { x: 0, y: 0 };
      if (n.kind === "node") return { id: n.id, x: p.x, y: p.y, w: p.w, h: p.h, group: true, ariaLabel: n.label, children: n.label };
      return {
        id: n.id,
        x: offset.x + p.x,
        y: offset.y + p.y,
        w: p.w,
        h: p.h,
        children: <TopologyCard node={n} selected={selected === n.id} used={used[usedKey(n)]} />,
        over: logOf(n) ? (
          <Link
            href={logHref(projectId, environmentName, logOf(n)!)}
            className="absolute bottom-1.5 right-2.5 rounded px-0.5 text-[11px] font-medium leading-4 text-accent hover:underline"
            aria-label={`${KIND_LABEL[n.kind]} ${n.label}: its log (${logOf(n)})`}
          >
            log →
          </Link>
        ) : undefined,
      };
    });
  }, [positions, topology, selected, projectId, environmentName, used]);
  const edges: CanvasEdge[] = useMemo(() => topology.edges.map((e) => ({ id: e.id, source: e.source, target: e.target, label: e.label, secondary: e.secondary })), [topology]);
  const current = topology.nodes.find((n) => n.id === selected) ?? null;
  const excerpt = current ? excerpts[current.id] : undefined;
  // A Pro production (three nodes side by side) is wide: the graph takes the page's width so its text can be read,
  // and a selected node's details open over its right side on wide screens (below it on narrow ones), never below the fold.
  const wide = topology.nodes.some((n) => n.kind === "node");

  return (
    <div className="space-y-4">
      {/* The details sit beside the graph on wide screens, so a click never sends them below the fold. */}
      <div className={`relative grid gap-4 ${wide ? "" : "lg:grid-cols-[1fr_22rem]"}`}>
        <div className="relative h-[560px] rounded-lg border border-border bg-surface" aria-label="Topology graph" role="figure">
          {wide ? (
            <p className="pointer-events-none absolute right-2 top-2 z-[5] rounded bg-surface/90 px-2 py-1 text-xs text-muted">
              {topology.nodes.filter((n) => n.kind === "node").length} nodes side by side: drag or use − to see them all
            </p>
          ) : null}
          {positions ? (
            <GraphCanvas
              nodes={nodes}
              edges={edges}
              // A wide graph opens at its top left at a zoom whose text reads (the rest is a pan away); others fit.
              fit={!wide}
              initial={{ x: 16, y: 16, zoom: 0.8 }}
              onSelect={(id) => {
                if (topology.nodes.some((n) => n.id === id && n.kind !== "node")) setSelected(id);
              }}
            />
          ) : (
            <p className="p-4 text-sm text-muted" role="status">
              The graph is not drawn: {"problem" in layout ? layout.problem : ""}. The table view below lists every node.
            </p>
          )}
        </div>
        <aside
          className={`min-w-0 rounded-lg border border-border bg-surface p-4 text-sm lg:overflow-y-auto ${wide ? (current ? "lg:absolute lg:right-2 lg:top-2 lg:z-10 lg:max-h-[544px] lg:w-96 lg:shadow-lg" : "lg:hidden") : "lg:max-h-[560px]"}`}
          aria-live="polite"
          aria-label="Selected node"
        >
          {current ? (
            <div className="space-y-2">
              <div className="flex items-start justify-between gap-2">
                <p className="text-xs uppercase tracking-wide text-muted">{KIND_LABEL[current.kind]}</p>
                <button type="button" onClick={() => setSelected(null)} className="rounded px-1 text-muted hover:bg-surface-muted hover:text-foreground" aria-label="Close the node's details">
                  ✕
                </button>
              </div>
              <h2 className="text-base font-semibold">{current.label}</h2>
              {current.runtime ?? current.service ? (
                <SelectedState node={current} projectId={projectId} environmentName={environmentName} />
              ) : null}
              {current.changed ? <p className="text-danger">Its configuration changed at the branch head: redeploy to apply.</p> : null}
              {current.variablesChanged ? <p className="text-accent">Variables changed — redeploy to apply: the last deploy ran with other variables.</p> : null}
              <ul className="space-y-0.5">
                {current.facts.map((f) => (
                  <li key={f}>{f}</li>
                ))}
              </ul>
              <Relationships topology={topology} node={current} />
              {usedKey(current) in used ? (
                <p>
                  Disk used: <strong>{formatBytes(used[usedKey(current)]!)}</strong>
                  {diskOf(current) ? ` of ${diskOf(current)} MB` : ""}
                </p>
              ) : null}
              {current.kind === "app" && lastDeploy ? (
                <p className="text-muted">
                  Last deploy: build {lastDeploy.buildReused ? "reused" : `${(lastDeploy.buildMs / 1000).toFixed(1)} s`}, deploy {(lastDeploy.deployMs / 1000).toFixed(1)} s
                </p>
              ) : null}
              {excerpt ? (
                <SourceLines excerpt={excerpt} />
              ) : current.source && asParsed[current.id] ? (
                <div>
                  <p className="text-xs text-muted">From {current.source.file} (as parsed)</p>
                  <pre className="mt-1 max-h-64 overflow-auto rounded bg-surface-muted p-2 text-xs">{asParsed[current.id]}</pre>
                </div>
              ) : null}
            </div>
          ) : (
            <p className="text-muted">Select a node (click, or Tab to it and press Enter) to see its configuration.</p>
          )}
        </aside>
      </div>
      <details className="rounded-lg border border-border bg-surface p-4 text-sm" open={positions === null}>
        <summary className="cursor-pointer font-medium">Table view</summary>
        <div className="relative mt-2 overflow-x-auto">
          {/* Wider than a phone: it scrolls sideways there rather than break names letter by letter. */}
          <table className="w-full min-w-[36rem] text-left text-xs [overflow-wrap:anywhere]">
            <thead className="text-muted">
              <tr>
                <th className="pr-3 font-normal">Kind</th>
                <th className="pr-3 font-normal">Name</th>
                <th className="pr-3 font-normal">State</th>
                <th className="pr-3 font-normal">Facts</th>
                <th className="font-normal">Connects to</th>
              </tr>
            </thead>
            <tbody>
              {topology.nodes.map((n) => (
                <tr key={n.id} className="align-top">
                  <td className="whitespace-nowrap pr-3">{KIND_LABEL[n.kind]}</td>
                  <td className="pr-3 font-mono [overflow-wrap:normal]">
                    {n.group ? `${n.group} / ` : ""}
                    {n.label}
                    {n.changed ? " (changed)" : ""}
                  </td>
                  {/* Words kept whole: "crash loop, restarted 4 times (app.log)" wraps between them. */}
                  <td className="min-w-28 pr-3 [overflow-wrap:normal]">
                    {n.runtime ?? n.service ? (
                      <>
                        <span className={TONE_TEXT[(n.runtime ?? n.service)!.tone]}>{(n.runtime ?? n.service)!.label}</span>
                        {stateFacts(n).length ? `, ${stateFacts(n).join(", ")}` : ""}
                        {n.service?.detail ? `: ${n.service.detail}` : ""}
                        {logOf(n) ? (
                          <>
                            {" "}
                            (
                            <Link href={logHref(projectId, environmentName, logOf(n)!)} className="text-accent hover:underline">
                              {logOf(n)}.log
                            </Link>
                            )
                          </>
                        ) : null}
                      </>
                    ) : null}
                  </td>
                  <td className="pr-3">{n.facts.join("; ")}</td>
                  <td>
                    {topology.edges
                      .filter((e) => e.source === n.id)
                      .map((e) => `${topology.nodes.find((x) => x.id === e.target)?.label ?? e.target}${e.label ? ` (${e.label})` : ""}`)
                      .join(", ")}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </div>
  );
}

/** The selected node's state: its process's (the application, a worker) or its service's, with its log, the version note and why. */
function SelectedState({ node, projectId, environmentName }: { node: TopologyNode; projectId: string; environmentName: string }) {
  const state = (node.runtime ?? node.service)!;
  const facts = stateFacts(node);
  const log = logOf(node);
  return (
    <>
      <p data-testid="selected-runtime">
        <span className={`font-semibold ${TONE_TEXT[state.tone]}`}>{state.label[0]!.toUpperCase() + state.label.slice(1)}</span>
        {facts.length ? <span className="text-muted"> · {facts.join(" · ")}</span> : null}
        {log ? (
          <>
            {" · "}
            <Link href={logHref(projectId, environmentName, log)} className="font-medium text-accent hover:underline">
              {log}.log →
            </Link>
          </>
        ) : null}
      </p>
      {node.service?.note ? <p className="text-xs text-muted">{node.service.note}</p> : null}
      {node.service?.detail ? <p>{node.service.detail}</p> : null}
    </>
  );
}

/** The app's relationships (name → service) or, for a service, who uses it under which name. */
function Relationships({ topology, node }: { topology: EnvironmentTopology; node: TopologyNode }) {
  const label = (id: string) => topology.nodes.find((n) => n.id === id)?.label ?? id;
  const isService = (id: string) => topology.nodes.some((n) => n.id === id && n.kind === "service");
  const links = topology.edges.filter((e) => e.label && isService(e.target) && (e.source === node.id || e.target === node.id));
  if (links.length === 0) return null;
  return (
    <div>
      <p className="text-xs text-muted">Relationships</p>
      <ul className="font-mono text-xs">
        {links.map((e) => (
          <li key={e.id}>{e.source === node.id ? `${e.label} → ${label(e.target)}` : `${label(e.source)} uses it as ${e.label}`}</li>
        ))}
      </ul>
    </div>
  );
}

/** A node's configuration as written in its file, with the file's line numbers. */
function SourceLines({ excerpt }: { excerpt: SourceExcerpt }) {
  const last = excerpt.firstLine + excerpt.lines.length - 1;
  return (
    <div>
      <p className="text-xs text-muted">
        {excerpt.file}, line{excerpt.lines.length === 1 ? ` ${excerpt.firstLine}` : `s ${excerpt.firstLine}–${last}`}
      </p>
      <pre className="mt-1 max-h-80 overflow-auto rounded bg-surface-muted py-2 text-xs" aria-label={`${excerpt.file} from line ${excerpt.firstLine}`}>
        {excerpt.lines.map((line, i) => (
          <span key={i} className="block whitespace-pre pr-2">
            <span aria-hidden className="inline-block w-9 select-none pr-2 text-right text-muted">
              {excerpt.firstLine + i}
            </span>
            {line}
          </span>
        ))}
        {excerpt.more > 0 ? <span className="block pl-9 text-muted">… {excerpt.more} more lines</span> : null}
      </pre>
    </div>
  );
}
