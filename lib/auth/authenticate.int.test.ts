import { expect, it } from "vitest";
import { describeEachDatabase } from "@/db/testing/databases";
import { uniqueEmail } from "@/lib/testing-fixtures";
import { createUser } from "@/lib/users/create-user";
import { authenticateWithPassword } from "./authenticate";
import { MAX_ADDRESS_FAILURES, MAX_FAILURES, WINDOW_MS, getLockout, listSignInLocks, recordSignInAttempt, unlockSignIn } from "./sign-in-throttle";

const HOME = "192.0.2.10";
const ATTACKER = "198.51.100.66";

describeEachDatabase("sign-in", ({ db }) => {
  it("accepts the right password and refuses a wrong one or an unknown email alike", async () => {
    const email = uniqueEmail();
    await createUser(db(), { name: "Ada", email, password: "right-password" });
    expect(await authenticateWithPassword(db(), email.toUpperCase(), "right-password", HOME)).toMatchObject({ ok: true, user: { email } });
    expect(await authenticateWithPassword(db(), email, "wrong-password", HOME)).toEqual({ ok: false, reason: "wrong" });
    expect(await authenticateWithPassword(db(), uniqueEmail(), "right-password", HOME)).toEqual({ ok: false, reason: "wrong" });
  });

  it("locks an (email, address) pair after 10 failures, but not the same email from elsewhere", async () => {
    const email = uniqueEmail();
    await createUser(db(), { name: "Ada", email, password: "right-password" });
    for (let i = 0; i < MAX_FAILURES; i++) {
      expect(await authenticateWithPassword(db(), email, `wrong-${i}`, ATTACKER)).toMatchObject({ reason: "wrong" });
    }
    const locked = await authenticateWithPassword(db(), email, "right-password", ATTACKER);
    expect(locked).toMatchObject({ ok: false, reason: "locked", lockout: { scope: "pair" } });
    if (!locked.ok && locked.reason === "locked") {
      expect(locked.lockout.retryAfterSeconds).toBeGreaterThan(14 * 60);
      expect(locked.lockout.retryAfterSeconds).toBeLessThanOrEqual(15 * 60);
    }
    // The owner, from their own address, signs in as usual.
    expect((await authenticateWithPassword(db(), email, "right-password", HOME)).ok).toBe(true);
    expect(await listSignInLocks(db())).toContainEqual({ email, address: ATTACKER });
    // An administrator's unlock lifts it.
    expect(await unlockSignIn(db(), email)).toBeGreaterThanOrEqual(MAX_FAILURES);
    expect((await authenticateWithPassword(db(), email, "right-password", ATTACKER)).ok).toBe(true);
    expect(await listSignInLocks(db())).not.toContainEqual({ email, address: ATTACKER });
  });

  it("locks an address that fails for many emails, whatever the email", async () => {
    const address = `203.0.113.${Math.floor(Math.random() * 250)}-${Date.now()}`;
    const t = new Date();
    for (let i = 0; i < MAX_ADDRESS_FAILURES; i++) await recordSignInAttempt(db(), uniqueEmail(), address, false, new Date(t.getTime() - 60_000 + i));
    expect(await getLockout(db(), uniqueEmail(), address)).toMatchObject({ isLocked: true, scope: "address" });
    expect(await getLockout(db(), uniqueEmail(), HOME)).toEqual({ isLocked: false });
  });

  it("lifts the lock once the oldest failure is 15 minutes old", async () => {
    const email = uniqueEmail();
    const start = new Date("2026-01-01T10:00:00Z");
    for (let i = 0; i < MAX_FAILURES; i++) await recordSignInAttempt(db(), email, HOME, false, new Date(start.getTime() + i * 1000));
    expect(await getLockout(db(), email, HOME, new Date(start.getTime() + 10_000))).toMatchObject({ isLocked: true });
    expect(await getLockout(db(), email, HOME, new Date(start.getTime() + WINDOW_MS + 1))).toEqual({ isLocked: false });
  });

  it("counts only the failures after the pair's last success", async () => {
    const email = uniqueEmail();
    const t = new Date("2026-01-01T12:00:00Z");
    for (let i = 0; i < 6; i++) await recordSignInAttempt(db(), email, HOME, false, new Date(t.getTime() + i * 1000));
    await recordSignInAttempt(db(), email, HOME, true, new Date(t.getTime() + 10_000));
    for (let i = 0; i < 6; i++) await recordSignInAttempt(db(), email, HOME, false, new Date(t.getTime() + 20_000 + i * 1000));
    expect(await getLockout(db(), email, HOME, new Date(t.getTime() + 60_000))).toEqual({ isLocked: false });
  });
});
