"use client";

import { useMemo, useState } from "react";
import { LogModel } from "@/components/log-viewer/log-model";
import { LogPane } from "@/components/log-viewer/log-pane";
import { useLogStream, type Connection } from "@/components/log-viewer/use-log-stream";
import { appLogTransport } from "./app-log-transport";

/** The most lines the page keeps: past it, the oldest go. */
const MAX_LINES = 100_000;

const CONNECTION_LABEL: Record<Connection, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  polling: "Live (checking every second)",
  sealed: "Live",
  "signed-out": "Your session has ended: sign in again to follow this log.",
  gone: "This environment is no longer available.",
};

/** One application log in the log viewer: its newest lines, then new ones as they are written. */
export function AppLogViewer({ url, label }: { url: string; label: string }) {
  const [model] = useState(() => new LogModel({ maxLines: MAX_LINES }));
  const transport = useMemo(() => appLogTransport(url), [url]);
  const { version, connection } = useLogStream(transport, model);
  return (
    <div className="space-y-2">
      <p className={`text-xs ${connection === "signed-out" || connection === "gone" ? "text-danger" : "text-muted"}`} role="status">
        {CONNECTION_LABEL[connection]}
        {model.lines.length > 0 ? ` · ${model.lines.length.toLocaleString("en-US")} lines shown` : ""}
      </p>
      <LogPane model={model} version={version} label={`${label} log`} downloadHref={`${url}?download=1`} running={false} emptyText={connection === "connecting" ? "Loading the log…" : "No lines yet: new ones appear here as they are written."} />
    </div>
  );
}
