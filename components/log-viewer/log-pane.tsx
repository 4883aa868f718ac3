"use client";

import Anser from "anser";
import { useVirtualizer } from "@tanstack/react-virtual";
import { memo, useCallback, useDeferredValue, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { formatDuration } from "@/components/activities/activity-state";
import { SECTION_LABEL, lineHash, parseLineHash, sectionDurationMs, type LogLine, type LogSection, type LogModel } from "./log-model";

const ROW_PX = 20;

/**
 * A log held in a LogModel, drawn: virtualised (only the visible rows are in the page), with
 * collapsible sections and their durations, ANSI colours, optional timestamps, follow-tail
 * with "Jump to latest", line links (#L120, #L120-L140), search, download and copy. What
 * feeds the model (an activity's stream, an application log's) is the caller's: `version`
 * changes when lines were added.
 */
export function LogPane({
  model,
  version,
  label,
  downloadHref,
  running,
  emptyText,
}: {
  model: LogModel;
  version: number;
  /** The log region's accessible name ("Activity log"). */
  label: string;
  downloadHref: string;
  /** Still being written: the last section is running, and the region is busy. */
  running: boolean;
  /** What the region says while it holds no line. */
  emptyText: string;
}) {
  const [, forceRender] = useState(0);

  // Line links
  const [range, setRange] = useState<{ from: number; to: number } | null>(null);
  const anchor = useRef<number | null>(null);
  const hashTarget = useRef<{ from: number; to: number } | null>(null);
  const [hashVersion, setHashVersion] = useState(0);
  useEffect(() => {
    const read = () => {
      const fromHash = parseLineHash(window.location.hash);
      if (!fromHash) return;
      hashTarget.current = fromHash;
      anchor.current = fromHash.from;
      setRange(fromHash);
      setHashVersion((v) => v + 1);
    };
    read();
    window.addEventListener("hashchange", read);
    return () => window.removeEventListener("hashchange", read);
  }, []);

  // Follow-tail
  const [follow, setFollow] = useState(true);
  const scrollRef = useRef<HTMLDivElement>(null);
  const rows = model.rows;
  // eslint-disable-next-line react-hooks/incompatible-library -- the React Compiler is not enabled; the virtualizer re-renders us itself
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_PX,
    overscan: 30,
  });

  // Search
  const [query, setQuery] = useState("");
  const deferredQuery = useDeferredValue(query);
  const matches = useMemo(() => (version >= 0 ? model.search(deferredQuery) : []), [model, deferredQuery, version]);
  const [matchIndex, setMatchIndex] = useState(-1);
  const currentMatch = matches.length > 0 && matchIndex >= 0 ? matches[Math.min(matchIndex, matches.length - 1)]! : -1;

  const scrollToLine = useCallback(
    (lineIndex: number) => {
      const before = model.rows;
      const row = model.reveal(lineIndex);
      if (model.rows !== before) forceRender((v) => v + 1);
      if (row >= 0) virtualizer.scrollToIndex(row, { align: "center" });
    },
    [model, virtualizer],
  );

  useEffect(() => {
    const target = hashTarget.current;
    if (target) {
      const i = model.indexOfLine(target.from);
      if (i >= 0) {
        hashTarget.current = null;
        setFollow(false);
        scrollToLine(i);
      }
      return;
    }
    if (follow && rows.length > 0) virtualizer.scrollToIndex(rows.length - 1, { align: "end" });
  }, [version, hashVersion, follow, rows.length, model, scrollToLine, virtualizer]);

  const onScroll = () => {
    const el = scrollRef.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < ROW_PX * 2;
    if (atBottom !== follow) setFollow(atBottom);
  };

  const goToMatch = (delta: number) => {
    if (matches.length === 0) return;
    const at = matchIndex < 0 ? (delta > 0 ? -1 : 0) : Math.min(matchIndex, matches.length - 1);
    const next = (at + delta + matches.length) % matches.length;
    setMatchIndex(next);
    setFollow(false);
    scrollToLine(matches[next]!);
  };

  const onLineNumber = (n: number, extend: boolean) => {
    const next = extend && anchor.current !== null ? { from: Math.min(anchor.current, n), to: Math.max(anchor.current, n) } : { from: n, to: n };
    if (!extend) anchor.current = n;
    setRange(next);
    window.history.replaceState(null, "", lineHash(next));
  };

  const [copied, setCopied] = useState<string | null>(null);
  const copy = async () => {
    const text = range ? model.text(range.from, range.to) : model.text();
    try {
      await navigator.clipboard.writeText(text);
      setCopied(range ? `Copied lines ${range.from}–${range.to}` : `Copied ${model.lines.length} lines`);
    } catch {
      setCopied("Copy is not allowed here: use Download.");
    }
    setTimeout(() => setCopied(null), 2500);
  };

  const [timestamps, setTimestamps] = useState(false);
  const namedSections = model.sections.filter((s) => s.name);

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-center gap-2 text-sm" role="toolbar" aria-label="Log tools">
        <form
          role="search"
          className="flex items-center gap-1"
          onSubmit={(e) => {
            e.preventDefault();
            goToMatch(1);
          }}
        >
          <input
            type="search"
            aria-label="Search the log"
            placeholder="Search the log"
            value={query}
            onChange={(e) => {
              setQuery(e.target.value);
              setMatchIndex(-1);
            }}
            onKeyDown={(e) => {
              if (e.key === "Enter" && e.shiftKey) {
                e.preventDefault();
                goToMatch(-1);
              }
            }}
            className="w-40 min-w-0 rounded-md sm:w-56 border border-border bg-surface px-2 py-1"
          />
          <span className="min-w-14 text-xs text-muted sm:min-w-20" aria-live="polite">
            {deferredQuery ? (matches.length ? (matchIndex < 0 ? `${matches.length} ${matches.length === 1 ? "match" : "matches"}` : `${Math.min(matchIndex, matches.length - 1) + 1} of ${matches.length}`) : "No matches") : ""}
          </span>
          <button type="button" className="rounded-md border border-border px-2 py-1 hover:bg-surface-muted" onClick={() => goToMatch(-1)} aria-label="Previous match">
            ↑
          </button>
          <button type="submit" className="rounded-md border border-border px-2 py-1 hover:bg-surface-muted" aria-label="Next match">
            ↓
          </button>
        </form>
        <label className="ml-2 flex items-center gap-1">
          <input type="checkbox" checked={timestamps} onChange={(e) => setTimestamps(e.target.checked)} /> Timestamps
        </label>
        <label className="flex items-center gap-1">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow
        </label>
        <span className="ml-auto flex items-center gap-2">
          {copied ? (
            <span className="text-xs text-muted" role="status">
              {copied}
            </span>
          ) : null}
          <button type="button" className="rounded-md border border-border px-2 py-1 hover:bg-surface-muted" onClick={() => void copy()}>
            {range ? "Copy lines" : "Copy"}
          </button>
          <a className="rounded-md border border-border px-2 py-1 hover:bg-surface-muted" href={downloadHref} download>
            Download
          </a>
        </span>
      </div>

      {namedSections.length > 0 ? (
        <div className="flex flex-wrap gap-2 text-xs" aria-label="Sections">
          {namedSections.map((s) => (
            <SectionChip key={s.index} section={s} collapsed={model.collapsed.has(s.index)} running={running && s === model.sections.at(-1)} onToggle={() => {
              model.toggle(s.index);
              forceRender((v) => v + 1);
            }} />
          ))}
        </div>
      ) : null}

      <div className="relative">
        <div
          ref={scrollRef}
          onScroll={onScroll}
          tabIndex={0}
          role="log"
          aria-label={label}
          aria-busy={running}
          className="h-[65vh] min-h-64 overflow-auto rounded-lg border border-border bg-[#0f1115] font-mono text-xs text-[#e8eaee] focus:outline-2 focus:outline-accent"
        >
          {model.lines.length === 0 ? (
            <p className="p-3 text-[#a2a9b6]">{emptyText}</p>
          ) : null}
          <div style={{ height: virtualizer.getTotalSize(), position: "relative", minWidth: "100%", width: "max-content" }}>
            {virtualizer.getVirtualItems().map((item) => {
              const row = rows[item.index]!;
              const style = { position: "absolute" as const, top: 0, left: 0, minWidth: "100%", height: ROW_PX, transform: `translateY(${item.start}px)` };
              if (row < 0) {
                const s = model.sections[-row - 1]!;
                return (
                  <div key={`s${s.index}`} style={style} className="flex items-center bg-[#161a21] px-2">
                    <SectionHeader section={s} collapsed={model.collapsed.has(s.index)} running={running && s === model.sections.at(-1)} onToggle={() => {
                      model.toggle(s.index);
                      forceRender((v) => v + 1);
                    }} />
                  </div>
                );
              }
              const line = model.lines[row]!;
              return (
                <div key={line.n} style={style}>
                  <LogRow
                    line={line}
                    timestamps={timestamps}
                    selected={!!range && line.n >= range.from && line.n <= range.to}
                    current={row === currentMatch}
                    query={row === currentMatch || matches.length > 0 ? deferredQuery : ""}
                    onLineNumber={onLineNumber}
                  />
                </div>
              );
            })}
          </div>
        </div>
        {!follow && model.lines.length > 0 ? (
          <button
            type="button"
            className="absolute bottom-3 right-5 rounded-full bg-accent px-3 py-1.5 text-xs font-medium text-white shadow-lg"
            onClick={() => {
              setFollow(true);
              virtualizer.scrollToIndex(rows.length - 1, { align: "end" });
            }}
          >
            Jump to latest ↓
          </button>
        ) : null}
      </div>
    </div>
  );
}


function SectionLabel({ section }: { section: LogSection }) {
  return <>{SECTION_LABEL[section.name ?? ""] ?? section.name}</>;
}

function SectionChip({ section, collapsed, running, onToggle }: { section: LogSection; collapsed: boolean; running: boolean; onToggle(): void }) {
  return (
    <button type="button" onClick={onToggle} aria-pressed={!collapsed} className="rounded-full border border-border px-2 py-0.5 hover:bg-surface-muted">
      <SectionLabel section={section} /> · {running ? "running" : formatDuration(sectionDurationMs(section))} · {section.end - section.start} lines
      {collapsed ? " (collapsed)" : ""}
    </button>
  );
}

function SectionHeader({ section, collapsed, running, onToggle }: { section: LogSection; collapsed: boolean; running: boolean; onToggle(): void }) {
  return (
    <button type="button" onClick={onToggle} aria-expanded={!collapsed} className="font-sans text-xs font-semibold text-[#fb923c] hover:underline">
      {collapsed ? "▸" : "▾"} <SectionLabel section={section} />{" "}
      <span className="font-normal text-[#a2a9b6]">
        {running ? "running…" : formatDuration(sectionDurationMs(section))} · {section.end - section.start} lines
      </span>
    </button>
  );
}

const LogRow = memo(function LogRow({
  line,
  timestamps,
  selected,
  current,
  query,
  onLineNumber,
}: {
  line: LogLine;
  timestamps: boolean;
  selected: boolean;
  current: boolean;
  query: string;
  onLineNumber(n: number, extend: boolean): void;
}) {
  return (
    <div
      id={`L${line.n}`}
      className={`flex h-5 items-center gap-3 whitespace-pre pr-4 leading-5 ${selected ? "bg-[#2a2f1a]" : ""} ${current ? "bg-[#3b3413]" : ""} ${line.stream === "stderr" ? "text-[#f97066]" : line.stream === "system" ? "text-[#a2a9b6]" : ""}`}
    >
      <a
        href={`#L${line.n}`}
        onClick={(e) => {
          e.preventDefault();
          onLineNumber(line.n, e.shiftKey);
        }}
        className="sticky left-0 w-14 shrink-0 select-none bg-[#0f1115] pr-2 text-right text-[#7d8593] hover:text-[#a2a9b6]"
        aria-label={`Line ${line.n}`}
      >
        {line.n}
      </a>
      {timestamps ? <time className="shrink-0 select-none text-[#7d8593]">{line.at.slice(11, 23)}</time> : null}
      <span>
        <AnsiText text={line.text} query={query} />
      </span>
    </div>
  );
});

function AnsiText({ text, query }: { text: string; query: string }) {
  if (!text.includes("\u001b")) return <Highlight text={text} query={query} />;
  const parts = Anser.ansiToJson(text, { remove_empty: true });
  return (
    <>
      {parts.map((p, i) => (
        <span
          key={i}
          style={{
            color: p.fg ? `rgb(${p.fg})` : undefined,
            backgroundColor: p.bg ? `rgb(${p.bg})` : undefined,
            fontWeight: p.decorations.includes("bold") ? 600 : undefined,
            fontStyle: p.decorations.includes("italic") ? "italic" : undefined,
            textDecoration: p.decorations.includes("underline") ? "underline" : undefined,
          }}
        >
          <Highlight text={p.content} query={query} />
        </span>
      ))}
    </>
  );
}

function Highlight({ text, query }: { text: string; query: string }) {
  if (!query) return <>{text}</>;
  const lower = text.toLowerCase();
  const q = query.toLowerCase();
  const out: ReactNode[] = [];
  let from = 0;
  for (let i = lower.indexOf(q); i !== -1; i = lower.indexOf(q, from)) {
    out.push(text.slice(from, i), <mark key={i} className="rounded-sm bg-[#facc15] text-black">{text.slice(i, i + q.length)}</mark>);
    from = i + q.length;
  }
  out.push(text.slice(from));
  return <>{out}</>;
}
