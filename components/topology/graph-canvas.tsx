"use client";

import { Fragment, useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent, type PointerEvent, type ReactNode } from "react";

/** A box placed by the server's layout, in graph coordinates (absolute, not relative to a group). */
export interface CanvasNode {
  id: string;
  x: number;
  y: number;
  w: number;
  h: number;
  /** A group is drawn behind the edges and cannot be selected (a Pro node holding its containers). */
  group?: boolean;
  /** A group's name. A node is named by its content (what it shows, plus any words for screen readers only). */
  ariaLabel?: string;
  children: ReactNode;
  /** Drawn over the node's box but outside its button (a link of its own: Tab reaches it after the node). */
  over?: ReactNode;
}

export interface CanvasEdge {
  id: string;
  source: string;
  target: string;
  label?: string;
  /** Dashed and faint, its label left out (shown elsewhere). */
  secondary?: boolean;
}

interface Viewport {
  x: number;
  y: number;
  zoom: number;
}

const MIN_ZOOM = 0.2;
const MAX_ZOOM = 2;
const CONTROL = "h-7 w-7 border-b border-border text-sm text-foreground last:border-b-0 hover:bg-surface-muted";
const clamp = (zoom: number) => Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, zoom));

/**
 * A graph whose layout the server computed, drawn as positioned boxes and SVG edges: drag to
 * pan, the wheel or the − / + buttons to zoom, Fit to see it all. Nodes take the focus (Tab)
 * and open with Enter, Space or a click; each is named by what it shows (a name of its own that left
 * out its visible words would not answer to them: axe's label-content-name-mismatch). No layout
 * engine and no graph library in the browser.
 */
export function GraphCanvas({
  nodes,
  edges,
  fit,
  initial,
  onSelect,
}: {
  nodes: CanvasNode[];
  edges: CanvasEdge[];
  /** Open fitted to the whole graph; otherwise at `initial`. */
  fit: boolean;
  initial?: Viewport;
  onSelect: (id: string) => void;
}) {
  const frame = useRef<HTMLDivElement>(null);
  const [viewport, setViewport] = useState<Viewport | null>(fit ? null : (initial ?? { x: 0, y: 0, zoom: 1 }));
  const drag = useRef<{ pointer: number; x: number; y: number; moved: boolean } | null>(null);
  const dragged = useRef(false);

  const bounds = nodes.reduce(
    (b, n) => ({ minX: Math.min(b.minX, n.x), minY: Math.min(b.minY, n.y), maxX: Math.max(b.maxX, n.x + n.w), maxY: Math.max(b.maxY, n.y + n.h) }),
    { minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity },
  );
  const fitted = useCallback((): Viewport => {
    const el = frame.current;
    if (!el || nodes.length === 0) return { x: 0, y: 0, zoom: 1 };
    const pad = 0.12;
    const width = bounds.maxX - bounds.minX;
    const height = bounds.maxY - bounds.minY;
    const zoom = clamp(Math.min(el.clientWidth / (width * (1 + 2 * pad)), el.clientHeight / (height * (1 + 2 * pad)), 1.5));
    return { zoom, x: (el.clientWidth - width * zoom) / 2 - bounds.minX * zoom, y: (el.clientHeight - height * zoom) / 2 - bounds.minY * zoom };
  }, [nodes.length, bounds.minX, bounds.minY, bounds.maxX, bounds.maxY]);
  // Fitted once its frame has a size (a ResizeObserver reports it before the first paint, so it never jumps).
  useEffect(() => {
    const el = frame.current;
    if (!el || !fit) return;
    const observer = new ResizeObserver(() => {
      if (el.clientWidth > 0) setViewport((v) => v ?? fitted());
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [fit, fitted]);

  const zoomAround = (factor: number, cx?: number, cy?: number) =>
    setViewport((v) => {
      if (!v || !frame.current) return v;
      const zoom = clamp(v.zoom * factor);
      const px = cx ?? frame.current.clientWidth / 2;
      const py = cy ?? frame.current.clientHeight / 2;
      return { zoom, x: px - ((px - v.x) * zoom) / v.zoom, y: py - ((py - v.y) * zoom) / v.zoom };
    });
  const zoomAroundRef = useRef(zoomAround);
  useLayoutEffect(() => {
    zoomAroundRef.current = zoomAround;
  });
  const onPointerDown = (event: PointerEvent<HTMLDivElement>) => {
    if (event.button !== 0 || (event.target as HTMLElement).closest("button")) return;
    drag.current = { pointer: event.pointerId, x: event.clientX, y: event.clientY, moved: false };
  };
  const onPointerMove = (event: PointerEvent<HTMLDivElement>) => {
    const d = drag.current;
    if (!d || d.pointer !== event.pointerId) return;
    const dx = event.clientX - d.x;
    const dy = event.clientY - d.y;
    if (!d.moved && Math.abs(dx) + Math.abs(dy) < 4) return; // a click, not a drag
    if (!d.moved) event.currentTarget.setPointerCapture(event.pointerId);
    d.moved = true;
    d.x = event.clientX;
    d.y = event.clientY;
    setViewport((v) => (v ? { ...v, x: v.x + dx, y: v.y + dy } : v));
  };
  const onPointerUp = () => {
    dragged.current = drag.current?.moved ?? false; // the click that ends a drag opens nothing
    drag.current = null;
  };
  // The wheel zooms the graph, not the page (a passive React listener could not keep the page still).
  useEffect(() => {
    const el = frame.current;
    if (!el) return;
    const onWheel = (event: globalThis.WheelEvent) => {
      event.preventDefault();
      const rect = el.getBoundingClientRect();
      zoomAroundRef.current(Math.exp(-event.deltaY / 500), event.clientX - rect.left, event.clientY - rect.top);
    };
    el.addEventListener("wheel", onWheel, { passive: false });
    return () => el.removeEventListener("wheel", onWheel);
  }, []);

  const byId = new Map(nodes.map((n) => [n.id, n]));
  const v = viewport ?? { x: 0, y: 0, zoom: 1 };
  const open = (event: KeyboardEvent<HTMLDivElement>, id: string) => {
    if (event.key !== "Enter" && event.key !== " ") return;
    event.preventDefault();
    onSelect(id);
  };

  return (
    <div
      ref={frame}
      className="relative h-full w-full touch-none select-none overflow-hidden"
      style={{
        visibility: viewport ? "visible" : "hidden",
        backgroundImage: "radial-gradient(var(--color-border, #d0d4dc) 1px, transparent 1px)",
        backgroundSize: `${20 * v.zoom}px ${20 * v.zoom}px`,
        backgroundPosition: `${v.x}px ${v.y}px`,
      }}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerCancel={onPointerUp}
    >
      <div className="absolute left-0 top-0 origin-top-left" style={{ transform: `translate(${v.x}px, ${v.y}px) scale(${v.zoom})` }}>
        {nodes
          .filter((n) => n.group)
          .map((n) => (
            <div
              key={n.id}
              data-testid={`graph-node-${n.id}`}
              aria-label={n.ariaLabel}
              className="absolute rounded-xl border-2 border-dashed border-border p-2 text-left text-xs"
              style={{ left: n.x, top: n.y, width: n.w, height: n.h }}
            >
              {n.children}
            </div>
          ))}
        <svg className="absolute left-0 top-0 overflow-visible" width={1} height={1} aria-hidden>
          {edges.map((e) => {
            const s = byId.get(e.source);
            const t = byId.get(e.target);
            if (!s || !t) return null;
            const [sx, sy, tx, ty] = [s.x + s.w / 2, s.y + s.h, t.x + t.w / 2, t.y];
            const bend = Math.max(30, Math.abs(ty - sy) / 2);
            return (
              <g key={e.id} data-testid={`graph-edge-${e.id}`}>
                <path
                  d={`M ${sx} ${sy} C ${sx} ${sy + bend}, ${tx} ${ty - bend}, ${tx} ${ty}`}
                  fill="none"
                  className={e.secondary ? "stroke-muted/50" : "stroke-muted"}
                  strokeWidth={e.secondary ? 1 : 1.5}
                  strokeDasharray={e.secondary ? "4 3" : undefined}
                />
                {e.label && !e.secondary ? (
                  <text x={(sx + tx) / 2} y={(sy + ty) / 2} textAnchor="middle" dominantBaseline="middle" className="fill-foreground text-[10px]" paintOrder="stroke" stroke="var(--color-surface, #fff)" strokeWidth={4}>
                    {e.label}
                  </text>
                ) : null}
              </g>
            );
          })}
        </svg>
        {nodes
          .filter((n) => !n.group)
          .map((n) => (
            <Fragment key={n.id}>
              <div
                role="button"
                tabIndex={0}
                data-testid={`graph-node-${n.id}`}
                data-graph-node=""
                className="absolute cursor-pointer rounded-lg outline-none focus-visible:ring-2 focus-visible:ring-focus"
                style={{ left: n.x, top: n.y, width: n.w, height: n.h }}
                onClick={() => {
                  if (!dragged.current) onSelect(n.id);
                }}
                onKeyDown={(event) => open(event, n.id)}
              >
                {n.children}
              </div>
              {n.over ? (
                <div className="pointer-events-none absolute" style={{ left: n.x, top: n.y, width: n.w, height: n.h }}>
                  <div className="pointer-events-auto">{n.over}</div>
                </div>
              ) : null}
            </Fragment>
          ))}
      </div>
      <div className="absolute bottom-2 left-2 z-[5] flex flex-col overflow-hidden rounded border border-border bg-surface shadow-sm">
        <button type="button" aria-label="Zoom in" title="Zoom in" onClick={() => zoomAround(1.25)} className={CONTROL}>
          +
        </button>
        <button type="button" aria-label="Zoom out" title="Zoom out" onClick={() => zoomAround(0.8)} className={CONTROL}>
          −
        </button>
        <button type="button" aria-label="Fit view" title="Fit view" onClick={() => setViewport(fitted())} className={CONTROL}>
          ⤢
        </button>
      </div>
    </div>
  );
}
