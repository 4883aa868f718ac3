import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createElement } from "react";
import { renderToString } from "react-dom/server";
import { describe, expect, it, vi } from "vitest";
import { queryKeys } from "@/components/query-keys";
import type { ActivityStreamPage } from "@/lib/environments/activity-stream";
import { ActivityStream } from "./activity-stream";
import { streamActivity } from "./testing-activities";

// The page's address, as Next.js's router would give it (its public hooks, not its internals).
vi.mock("next/navigation", () => ({
  useSearchParams: () => new URLSearchParams(),
  useRouter: () => ({ push() {}, replace() {}, refresh() {}, prefetch() {} }),
  usePathname: () => "/projects/p",
}));

const done = streamActivity({
  id: "a1",
  type: "environment.redeploy",
  state: "complete",
  result: "success",
  description: "Redeploy staging",
  environmentName: "staging",
  startedAt: new Date(0).toISOString(),
  completedAt: new Date(1000).toISOString(),
  deployMs: 900,
});
const initial: ActivityStreamPage = { running: [], pending: [], recent: [done], nextCursor: null };

/**
 * renderToString renders as hydration does (useSyncExternalStore's server snapshot): what a
 * client cache holds must not change that first render, or hydration fails (React error #418).
 */
function render(client: QueryClient): string {
  const stream = createElement(ActivityStream, { projectId: "p", environment: "staging", initial, typeLabels: [["environment.redeploy", "Redeploy"]] });
  return renderToString(createElement(QueryClientProvider, { client }, stream));
}

describe("ActivityStream while hydrating", () => {
  it("renders what the server rendered, whatever the cache holds: a newer page and a refetch on its way", async () => {
    const fresh = () => new QueryClient({ defaultOptions: { queries: { staleTime: 30_000, retry: false } } });
    const asServer = render(fresh());
    expect(asServer).toContain("Redeploy staging");
    expect(asServer).not.toContain("Updating");

    // The project's event stream connected before this part hydrated: the query was invalidated
    // (a render then reports a refetch on its way) and a newer page arrived.
    const client = fresh();
    const key = queryKeys.activityStream("p", "staging", { type: "", state: "", result: "" });
    client.setQueryData(key, { pages: [{ ...initial, recent: [{ ...done, id: "a2", description: "Newer" }, done], nextCursor: "more" }], pageParams: [""] });
    await client.invalidateQueries({ queryKey: key, refetchType: "none" });
    expect(render(client)).toBe(asServer);
  });

  it("shows times in UTC, the same text on the server and in a browser anywhere", () => {
    const client = () => new QueryClient({ defaultOptions: { queries: { staleTime: 30_000 } } });
    const zone = process.env.TZ;
    try {
      process.env.TZ = "UTC";
      const here = render(client());
      process.env.TZ = "Pacific/Kiritimati"; // UTC+14: another day
      expect(render(client())).toBe(here);
      expect(here).toContain("Jan 1, 1970, 12:00 AM UTC");
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });
});
