"use client";

import { useEffect, useRef, useState } from "react";
import type { ActivityView } from "@/lib/environments/overview";
import { ActivityStateBadge, formatDuration } from "./activity-list";
import { CancelActivityButton } from "./cancel-activity-button";

export interface LogLine {
  n: number;
  at: string;
  stream: "stdout" | "stderr" | "system";
  section: string | null;
  text: string;
}

const SECTION_LABEL: Record<string, string> = { build: "Build", deploy: "Deploy", "post-deploy": "Post-deploy" };

/** The log, polled once a second while the activity runs (live streaming comes with the next issue). */
export function ActivityLogView({ projectId, initialActivity, initialLines }: { projectId: string; initialActivity: ActivityView; initialLines: LogLine[] }) {
  const [activity, setActivity] = useState(initialActivity);
  const [lines, setLines] = useState(initialLines);
  const last = useRef(initialLines.at(-1)?.n ?? 0);
  const [now, setNow] = useState(() => Date.now());
  const isOpen = activity.state === "pending" || activity.state === "in_progress";

  useEffect(() => {
    if (!isOpen) return;
    let stop = false;
    const tick = async () => {
      const res = await fetch(`/api/projects/${encodeURIComponent(projectId)}/activities/${activity.id}/log?after=${last.current}`);
      if (!res.ok || stop) return;
      const body = (await res.json()) as { activity: ActivityView; lines: LogLine[] };
      if (body.lines.length) {
        last.current = body.lines.at(-1)!.n;
        setLines((prev) => [...prev, ...body.lines]);
      }
      setActivity(body.activity);
      setNow(Date.now());
    };
    const t = setInterval(() => void tick(), 1000);
    return () => {
      stop = true;
      clearInterval(t);
    };
  }, [isOpen, projectId, activity.id]);

  const groups: { section: string | null; lines: LogLine[] }[] = [];
  for (const line of lines) {
    const g = groups.at(-1);
    if (g && g.section === line.section) g.lines.push(line);
    else groups.push({ section: line.section, lines: [line] });
  }
  const duration = activity.startedAt ? formatDuration((activity.completedAt ? Date.parse(activity.completedAt) : now) - Date.parse(activity.startedAt)) : null;

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center gap-3 text-sm" aria-live="polite">
        <ActivityStateBadge activity={activity} />
        <span className="text-muted">{activity.environmentName}</span>
        {duration ? <span className="text-muted">Duration {duration}</span> : null}
        <span className="text-muted">{lines.length} lines</span>
        {isOpen ? <CancelActivityButton projectId={projectId} activity={activity} /> : null}
      </div>
      <div className="overflow-x-auto rounded-lg border border-border bg-[#0f1115] p-3 font-mono text-xs leading-5 text-[#e8eaee]">
        {lines.length === 0 ? <p className="text-[#a2a9b6]">{isOpen ? "Waiting for the worker…" : "This activity wrote no log."}</p> : null}
        {groups.map((g, i) => (
          <section key={i} aria-label={g.section ? SECTION_LABEL[g.section] : "Activity"}>
            {g.section ? <h2 className="mb-1 mt-2 font-sans text-sm font-semibold text-[#fb923c]">{SECTION_LABEL[g.section] ?? g.section}</h2> : null}
            {g.lines.map((l) => (
              <div key={l.n} id={`L${l.n}`} className={`flex gap-3 whitespace-pre-wrap ${l.stream === "stderr" ? "text-[#f97066]" : ""}`}>
                <a href={`#L${l.n}`} className="w-10 shrink-0 select-none text-right text-[#5b616e] hover:text-[#a2a9b6]">
                  {l.n}
                </a>
                <span className="min-w-0 break-words">{l.text}</span>
              </div>
            ))}
          </section>
        ))}
      </div>
    </div>
  );
}
