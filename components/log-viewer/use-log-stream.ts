"use client";

import { useEffect, useRef, useState } from "react";
import type { ActivityView } from "@/lib/activities/activity-view";
import type { LogLine, LogModel } from "./log-model";

export interface Seal {
  state: ActivityView["state"];
  result: ActivityView["result"];
  completedAt: string | null;
  lines: number;
}

export type Connection = "connecting" | "live" | "reconnecting" | "polling" | "sealed" | "signed-out" | "gone";

export type LogEvent = { type: "line"; line: LogLine } | { type: "state"; activity: ActivityView } | { type: "seal"; seal: Seal };

/**
 * Where a log comes from and how its records read: the one thing that differs between an
 * activity's log and an application log. Keep it stable (useMemo): a new one reconnects.
 */
export interface LogTransport {
  /** The EventSource's address, resuming after `lastN`, the model's last line (0: none yet). */
  eventsUrl(lastN: number): string;
  /** The address of one NDJSON look (the fallback when SSE cannot connect), after line `after`. */
  pollUrl(after: number): string;
  /** An SSE `line` event's data, parsed, as a line. */
  line(data: unknown): LogLine;
  /** One parsed NDJSON record as an event (null: not one the viewer uses). */
  record(data: unknown): LogEvent | null;
}

/** An activity's log route: `line`/`state`/`seal` events, resumed after a line number. */
export function activityLogTransport(url: string): LogTransport {
  return {
    eventsUrl: (lastN) => `${url}?after=${lastN}`,
    pollUrl: (after) => `${url}?format=ndjson&follow=0&after=${after}`,
    line: (data) => data as LogLine,
    record(data) {
      const event = data as { type: string } & Record<string, unknown>;
      if (event.type === "line") return { type: "line", line: event as unknown as LogLine };
      if (event.type === "state") return { type: "state", activity: event.activity as ActivityView };
      if (event.type === "seal") return { type: "seal", seal: event as unknown as Seal };
      return null;
    },
  };
}

/**
 * Follows a log: Server-Sent Events (the browser reconnects by itself and the server resumes
 * after Last-Event-ID), falling back to NDJSON once a second when SSE cannot connect. Lines go
 * into `model` at most once per animation frame, so a fast log never floods React; `version`
 * changes when they do. `transport` says where from (an activity's log, an application log).
 */
export function useLogStream(transport: LogTransport, model: LogModel, handlers: { onState?(a: ActivityView): void; onSeal?(s: Seal): void } = {}) {
  const [version, setVersion] = useState(0);
  const [connection, setConnection] = useState<Connection>("connecting");
  const handlersRef = useRef(handlers);
  useEffect(() => {
    handlersRef.current = handlers;
  });

  useEffect(() => {
    let stopped = false;
    let pending: LogLine[] = [];
    let frame = 0;
    let es: EventSource | null = null;
    let poll: ReturnType<typeof setTimeout> | null = null;
    let opened = false;
    let failures = 0;

    const flush = () => {
      frame = 0;
      if (pending.length === 0) return;
      const batch = pending;
      pending = [];
      if (model.append(batch) > 0) setVersion((v) => v + 1);
    };
    const queue = (line: LogLine) => {
      pending.push(line);
      if (!frame) frame = requestAnimationFrame(flush);
    };
    const seal = (s: Seal) => {
      flush();
      setConnection("sealed");
      handlersRef.current.onSeal?.(s);
    };

    const pollOnce = async () => {
      if (stopped) return;
      try {
        const res = await fetch(transport.pollUrl(model.lastN + pending.length), { cache: "no-store" });
        if (res.status === 401) return setConnection("signed-out");
        if (res.status === 404) return setConnection("gone");
        const text = await res.text();
        let sealed = false;
        for (const raw of text.split("\n")) {
          if (!raw) continue;
          const event = transport.record(JSON.parse(raw));
          if (event?.type === "line") queue(event.line);
          else if (event?.type === "state") handlersRef.current.onState?.(event.activity);
          else if (event?.type === "seal") {
            sealed = true;
            seal(event.seal);
          }
        }
        if (sealed || stopped) return;
      } catch {
        /* offline for a moment: try again */
      }
      poll = setTimeout(() => void pollOnce(), 1000);
    };

    const startPolling = () => {
      es?.close();
      es = null;
      setConnection("polling");
      void pollOnce();
    };

    if (typeof EventSource === "undefined") startPolling();
    else {
      es = new EventSource(transport.eventsUrl(model.lastN));
      es.onopen = () => {
        opened = true;
        failures = 0;
        setConnection("live");
      };
      es.addEventListener("line", (e) => queue(transport.line(JSON.parse((e as MessageEvent<string>).data))));
      es.addEventListener("state", (e) => handlersRef.current.onState?.(JSON.parse((e as MessageEvent<string>).data) as ActivityView));
      es.addEventListener("seal", (e) => {
        es?.close();
        seal(JSON.parse((e as MessageEvent<string>).data) as Seal);
      });
      es.onerror = () => {
        if (stopped) return;
        failures++;
        // Closed for good (an error status, e.g. the session ended), or never able to
        // connect (a proxy that does not pass event streams): NDJSON answers instead.
        if (es?.readyState === EventSource.CLOSED || (!opened && failures >= 3)) startPolling();
        else setConnection("reconnecting");
      };
    }
    return () => {
      stopped = true;
      es?.close();
      if (poll) clearTimeout(poll);
      if (frame) cancelAnimationFrame(frame);
    };
  }, [transport, model]);

  return { version, connection };
}
