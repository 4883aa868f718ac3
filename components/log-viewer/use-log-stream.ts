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

/**
 * Follows an activity's log: Server-Sent Events (the browser reconnects by itself and the
 * server resumes after Last-Event-ID), falling back to NDJSON once a second when SSE cannot
 * connect. Lines go into `model` at most once per animation frame, so a fast log never
 * floods React; `version` changes when they do.
 */
export function useLogStream(url: string, model: LogModel, handlers: { onState(a: ActivityView): void; onSeal(s: Seal): void }) {
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
      handlersRef.current.onSeal(s);
    };

    const pollOnce = async () => {
      if (stopped) return;
      try {
        const res = await fetch(`${url}?format=ndjson&follow=0&after=${model.lastN + pending.length}`, { cache: "no-store" });
        if (res.status === 401) return setConnection("signed-out");
        if (res.status === 404) return setConnection("gone");
        const text = await res.text();
        let sealed = false;
        for (const raw of text.split("\n")) {
          if (!raw) continue;
          const event = JSON.parse(raw) as { type: string } & Record<string, unknown>;
          if (event.type === "line") queue(event as unknown as LogLine);
          else if (event.type === "state") handlersRef.current.onState(event.activity as ActivityView);
          else if (event.type === "seal") {
            sealed = true;
            seal(event as unknown as Seal);
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
      es = new EventSource(`${url}?after=${model.lastN}`);
      es.onopen = () => {
        opened = true;
        failures = 0;
        setConnection("live");
      };
      es.addEventListener("line", (e) => queue(JSON.parse((e as MessageEvent<string>).data) as LogLine));
      es.addEventListener("state", (e) => handlersRef.current.onState(JSON.parse((e as MessageEvent<string>).data) as ActivityView));
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
  }, [url, model]);

  return { version, connection };
}
