import type { LogLine } from "@/components/log-viewer/log-model";
import type { LogTransport } from "@/components/log-viewer/use-log-stream";
import { parseLogLine } from "@/lib/runtime/app-logs/log-line";

/**
 * An application log's route as the log viewer's transport: records `{ line, offset }` become
 * the viewer's lines, numbered as they arrive (a file has no line numbers: rotation starts it
 * over), with the time and stream read from the line. The event stream starts with the newest
 * `tail` lines; the browser's reconnects resume after the last offset (Last-Event-ID), and the
 * once-a-second fallback asks for what follows it.
 */
export function appLogTransport(url: string, tail = 1000): LogTransport {
  let n = 0;
  let offset: number | null = null;
  const toLine = (data: unknown): LogLine => {
    const record = data as { line: string; offset: number };
    offset = record.offset;
    const { at, stream, text } = parseLogLine(record.line);
    return { n: ++n, at: at ?? "", stream, section: null, text };
  };
  return {
    eventsUrl: () => `${url}?follow=1&lines=${tail}${offset === null ? "" : `&from=${offset}`}`,
    pollUrl: () => (offset === null ? `${url}?lines=${tail}` : `${url}?from=${offset}`),
    line: toLine,
    record: (data) => ({ type: "line", line: toLine(data) }),
  };
}
