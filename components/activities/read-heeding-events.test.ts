import { QueryClient, QueryObserver } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import { readHeedingEvents } from "./read-heeding-events";

type State = "in_progress" | "complete";

/**
 * An activity on a "server" whose answers are held until `answer()`: each read takes the state as
 * it is when the request arrives (as the route reads the database), and answers later.
 */
function slowServer(initial: State) {
  let state: State = initial;
  const held: (() => void)[] = [];
  let reads = 0;
  return {
    set: (s: State) => void (state = s),
    get reads() {
      return reads;
    },
    read: () => {
      reads++;
      const seen = state;
      return new Promise<State>((resolve) => held.push(() => resolve(seen)));
    },
    /** Answers every request waiting, then lets their callers go on. */
    async answer() {
      held.splice(0).forEach((r) => r());
      await new Promise((r) => setTimeout(r, 0));
    },
  };
}

/**
 * What useActivityState does, without React: an observer (the mounted notice, no polling: the
 * event stream is up), and an event handler that counts the event and refetches.
 */
function follow(queryFn: (context: { signal: AbortSignal }) => Promise<State>, heard: { n: number }) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const observer = new QueryObserver<State>(client, { queryKey: ["activity-state", "a"], queryFn });
  const unsubscribe = observer.subscribe(() => undefined); // mounts: the first fetch starts
  return {
    event: () => {
      heard.n++;
      void observer.refetch();
    },
    data: () => observer.getCurrentResult().data,
    stop: () => {
      unsubscribe();
      client.clear();
    },
  };
}

describe("readHeedingEvents", () => {
  it("reads again when the activity's end is heard during the first read, which a refetch alone would not (TanStack Query reuses a first fetch in flight)", async () => {
    // The premise: with a plain query function, the event's refetch is the first fetch itself, and its stale answer stays.
    const plainServer = slowServer("in_progress");
    const plainHeard = { n: 0 };
    const plain = follow(() => plainServer.read(), plainHeard);
    plainServer.set("complete");
    plain.event();
    await plainServer.answer();
    await plainServer.answer();
    expect(plain.data()).toBe("in_progress");
    expect(plainServer.reads).toBe(1);
    plain.stop();

    const server = slowServer("in_progress");
    const heard = { n: 0 };
    const notice = follow(({ signal }) => readHeedingEvents(() => server.read(), () => heard.n, (s) => s === "complete", signal), heard);
    server.set("complete"); // the activity ends while the first read is on its way back
    notice.event();
    await server.answer(); // "in_progress", read before the end: it reads again
    await server.answer();
    expect(notice.data()).toBe("complete");
    expect(server.reads).toBe(2);
    notice.stop();
  });

  it("reads once when nothing was heard during the read, and stops at a final answer however many events come", async () => {
    const server = slowServer("in_progress");
    let heard = 0;
    const signal = new AbortController().signal;
    const queryFn = () => readHeedingEvents(() => server.read(), () => heard, (s) => s === "complete", signal);

    const quiet = queryFn();
    await server.answer();
    expect(await quiet).toBe("in_progress");
    expect(server.reads).toBe(1);

    server.set("complete");
    const ended = queryFn();
    heard++;
    await server.answer();
    expect(await ended).toBe("complete");
    expect(server.reads).toBe(2);
  });

  it("does not read again once its fetch was cancelled", async () => {
    const server = slowServer("in_progress");
    let heard = 0;
    const abort = new AbortController();
    const reading = readHeedingEvents(() => server.read(), () => heard, () => false, abort.signal);
    heard++;
    abort.abort();
    await server.answer();
    expect(await reading).toBe("in_progress");
    expect(server.reads).toBe(1);
  });
});
