/**
 * A query function's read of something a page follows by events (an activity's state): it reads with
 * `read`, and reads again while an event was heard during the read, unless what it read is `final`.
 *
 * An event's refetch cannot be relied on to do that: while a query's first fetch is in flight (it
 * has no data yet), TanStack Query's refetch returns that fetch instead of starting another. A
 * fetch the server answered just before an activity ended would then stand as the answer to the
 * event that said it ended, and a page that waits for events (no polling while its event stream
 * is up) would show it running for good. `heard` counts the events; the hook adds one before it
 * refetches.
 */
export async function readHeedingEvents<T>(read: () => Promise<T>, heard: () => number, final: (value: T) => boolean, signal: AbortSignal): Promise<T> {
  for (;;) {
    const before = heard();
    const value = await read();
    // (A cancelled fetch's answer is not used: it stops here, not reading again.)
    if (signal.aborted || final(value) || heard() === before) return value;
  }
}
