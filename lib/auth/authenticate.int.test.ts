import { expect, it } from "vitest";
import { describeEachDatabase } from "@/db/testing/databases";
import { uniqueEmail } from "@/lib/testing-fixtures";
import { createUser } from "@/lib/users/create-user";
import { authenticateWithPassword } from "./authenticate";
import { MAX_FAILURES, WINDOW_MS, getLockout, recordSignInAttempt } from "./sign-in-throttle";

describeEachDatabase("sign-in", ({ db }) => {
  it("accepts the right password and refuses a wrong one or an unknown email alike", async () => {
    const email = uniqueEmail();
    await createUser(db(), { name: "Ada", email, password: "right-password" });
    expect(await authenticateWithPassword(db(), email.toUpperCase(), "right-password")).toMatchObject({ ok: true, user: { email } });
    expect(await authenticateWithPassword(db(), email, "wrong-password")).toEqual({ ok: false, reason: "wrong" });
    expect(await authenticateWithPassword(db(), uniqueEmail(), "right-password")).toEqual({ ok: false, reason: "wrong" });
  });

  it("locks an email after 10 failures in 15 minutes, even for the right password", async () => {
    const email = uniqueEmail();
    await createUser(db(), { name: "Ada", email, password: "right-password" });
    for (let i = 0; i < MAX_FAILURES; i++) {
      expect(await authenticateWithPassword(db(), email, `wrong-${i}`)).toMatchObject({ reason: "wrong" });
    }
    const locked = await authenticateWithPassword(db(), email, "right-password");
    expect(locked).toMatchObject({ ok: false, reason: "locked" });
    if (!locked.ok && locked.reason === "locked") {
      expect(locked.retryAfterSeconds).toBeGreaterThan(14 * 60);
      expect(locked.retryAfterSeconds).toBeLessThanOrEqual(15 * 60);
    }
    // Another email is not affected.
    const other = uniqueEmail();
    await createUser(db(), { name: "Bob", email: other, password: "right-password" });
    expect((await authenticateWithPassword(db(), other, "right-password")).ok).toBe(true);
  });

  it("lifts the lock once the oldest failure is 15 minutes old", async () => {
    const email = uniqueEmail();
    const start = new Date("2026-01-01T10:00:00Z");
    for (let i = 0; i < MAX_FAILURES; i++) await recordSignInAttempt(db(), email, false, new Date(start.getTime() + i * 1000));
    expect(await getLockout(db(), email, new Date(start.getTime() + 10_000))).toMatchObject({ isLocked: true });
    expect(await getLockout(db(), email, new Date(start.getTime() + WINDOW_MS + 1))).toEqual({ isLocked: false });
  });

  it("counts only the failures after the last success", async () => {
    const email = uniqueEmail();
    const t = new Date("2026-01-01T12:00:00Z");
    for (let i = 0; i < 6; i++) await recordSignInAttempt(db(), email, false, new Date(t.getTime() + i * 1000));
    await recordSignInAttempt(db(), email, true, new Date(t.getTime() + 10_000));
    for (let i = 0; i < 6; i++) await recordSignInAttempt(db(), email, false, new Date(t.getTime() + 20_000 + i * 1000));
    expect(await getLockout(db(), email, new Date(t.getTime() + 60_000))).toEqual({ isLocked: false });
  });
});
