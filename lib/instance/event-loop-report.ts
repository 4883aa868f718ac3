import "server-only";
import { monitorEventLoopDelay } from "node:perf_hooks";

/**
 * PWI_REPORT_EVENT_LOOP=1: every 5 s (or every N ms when it is a number ≥ 100) the server prints how long callbacks waited for its one
 * thread (p50, p99, max), the measure of what a request feels while hooks and deploys run.
 */
export function reportEventLoopDelay(log: (line: string) => void, everyMs = 5000): () => void {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const ms = (ns: number) => (ns / 1e6).toFixed(1);
  const timer = setInterval(() => {
    log(`[event-loop] p50 ${ms(histogram.percentile(50))} ms, p99 ${ms(histogram.percentile(99))} ms, max ${ms(histogram.max)} ms`);
    histogram.reset();
  }, everyMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    histogram.disable();
  };
}
