import { describe, expect, it } from "vitest";
import { quietNow, REQUEST_GAP_MS } from "./idle-memory";

describe("the idle collection's moment", () => {
  it("is a quiet interval with no request for REQUEST_GAP_MS: a server asked every 100 ms is never stopped for a collection", () => {
    expect(quietNow(0.01, REQUEST_GAP_MS)).toBe(true);
    expect(quietNow(0.01, Number.POSITIVE_INFINITY)).toBe(true); // no request since the start
    expect(quietNow(0.01, 100)).toBe(false);
    expect(quietNow(0.01, REQUEST_GAP_MS - 1)).toBe(false);
    expect(quietNow(0.05, 60_000)).toBe(false); // busy: not quiet whatever the requests
  });
});
