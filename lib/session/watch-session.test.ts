import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SESSION_RECHECK_MS, watchSession } from "./watch-session";

const user = { id: "u", email: "u@example.com", name: null, isAdmin: false };

describe("watchSession (long streams end with their session)", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("ends a stream soon after its session is signed out elsewhere", async () => {
    let valid = true;
    const onEnd = vi.fn();
    watchSession({ user, expiresAt: new Date(Date.now() + 3_600_000), isStillValid: async () => valid }, onEnd);
    await vi.advanceTimersByTimeAsync(SESSION_RECHECK_MS * 2);
    expect(onEnd).not.toHaveBeenCalled();
    valid = false;
    await vi.advanceTimersByTimeAsync(SESSION_RECHECK_MS);
    expect(onEnd).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(SESSION_RECHECK_MS * 3);
    expect(onEnd).toHaveBeenCalledTimes(1);
  });

  it("ends at expiry, survives a failed check, and stops when asked", async () => {
    const onEnd = vi.fn();
    watchSession({ user, expiresAt: new Date(Date.now() + 1000), isStillValid: () => Promise.reject(new Error("db busy")) }, onEnd);
    await vi.advanceTimersByTimeAsync(1000);
    expect(onEnd).toHaveBeenCalledTimes(1);
    const never = vi.fn();
    const stop = watchSession({ user, expiresAt: null, isStillValid: async () => false }, never);
    stop();
    await vi.advanceTimersByTimeAsync(SESSION_RECHECK_MS * 2);
    expect(never).not.toHaveBeenCalled();
  });
});
