import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import type { Activity } from "@/db/schema";
import type { ActivityRegistry } from "./activity-runner";
import type { Tx } from "./queue";
import { abandonPartialWork } from "./worker";

/** A project-level activity row (no environment: no deploy folder to clean). */
const activity = (parameters: Record<string, unknown>) => ({ id: "a-1", projectId: "p", type: "test.kind", environmentName: null, parameters }) as Activity;

describe("abandonPartialWork", () => {
  afterEach(() => vi.restoreAllMocks());

  function registry() {
    const abandon = vi.fn(async () => {});
    const reg: ActivityRegistry = {
      kinds: { "test.kind": { label: "Test", parameters: z.object({ snapshotId: z.string().uuid() }).strict(), status: null, deploys: false } },
      runners: { "test.kind": { run: async () => ({ ok: true }), abandon } },
    };
    return { reg, abandon };
  }

  it("gives the runner its kind's parameters, checked", async () => {
    const { reg, abandon } = registry();
    const snapshotId = crypto.randomUUID();
    await abandonPartialWork(reg, {} as Tx, activity({ snapshotId }));
    expect(abandon).toHaveBeenCalledWith({}, expect.objectContaining({ id: "a-1" }), { snapshotId });
  });

  it("gives it null, and says which activity in the server's log, when the stored parameters do not match", async () => {
    const { reg, abandon } = registry();
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    await abandonPartialWork(reg, {} as Tx, activity({ snapshotId: "../../etc" }));
    expect(abandon).toHaveBeenCalledWith({}, expect.objectContaining({ id: "a-1" }), null);
    expect(logged).toHaveBeenCalledWith(expect.stringMatching(/^\[worker\] Activity a-1 has a parameter object that does not match its schema: snapshotId: /));
  });
});
