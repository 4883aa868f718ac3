import { QueryClient, type InfiniteData } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import { queryKeys } from "@/components/query-keys";
import type { ActivityStreamPage, StreamActivity } from "@/lib/environments/activity-stream";
import { showQueuedActivity } from "./show-queued-activity";
import { streamActivity } from "./testing-activities";

const activity = (id: string, state: StreamActivity["state"] = "pending"): StreamActivity => streamActivity({ id, state });
const page = (pending: StreamActivity[] = [], recent: StreamActivity[] = []): InfiniteData<ActivityStreamPage> => ({ pages: [{ running: [], pending, recent, nextCursor: null }], pageParams: [""] });
const none = { type: "", state: "", result: "" };

describe("showQueuedActivity", () => {
  it("adds the activity to the streams that show it, once, and not to those a filter or another environment hides it from", () => {
    const qc = new QueryClient();
    const keys = {
      project: queryKeys.activityStream("p", null, none),
      staging: queryKeys.activityStream("p", "staging", none),
      child: queryKeys.activityStream("p", "feature", none),
      master: queryKeys.activityStream("p", "master", none),
      failures: queryKeys.activityStream("p", null, { ...none, result: "failure" }),
      deploys: queryKeys.activityStream("p", null, { ...none, type: "environment.redeploy" }),
      other: queryKeys.activityStream("other", null, none),
    };
    for (const key of Object.values(keys)) qc.setQueryData(key, page([activity("older")]));
    const queued = activity("feature");
    showQueuedActivity(qc, "p", queued, ["staging", "feature"]);
    showQueuedActivity(qc, "p", queued, ["staging", "feature"]); // the answer seen twice: still one row
    const pending = (key: readonly unknown[]) => qc.getQueryData<InfiniteData<ActivityStreamPage>>(key)!.pages[0]!.pending.map((a) => a.id);
    expect(pending(keys.project)).toEqual(["older", "feature"]);
    expect(pending(keys.staging)).toEqual(["older", "feature"]);
    expect(pending(keys.child)).toEqual(["older", "feature"]);
    for (const key of [keys.master, keys.failures, keys.deploys, keys.other]) expect(pending(key)).toEqual(["older"]);
  });

  it("leaves a stream alone that already lists the activity (its refetch came first)", () => {
    const qc = new QueryClient();
    const key = queryKeys.activityStream("p", null, none);
    qc.setQueryData(key, page([], [activity("done", "complete")]));
    showQueuedActivity(qc, "p", activity("done"), ["staging"]);
    expect(qc.getQueryData<InfiniteData<ActivityStreamPage>>(key)!.pages[0]).toMatchObject({ pending: [], recent: [{ id: "done", state: "complete" }] });
  });
});
