import { expect, it } from "vitest";
import { describeEachDatabase } from "@/db/testing/databases";
import { authenticateWithPassword } from "@/lib/auth/authenticate";
import { MAX_FAILURES, getLockout, recordSignInAttempt } from "@/lib/auth/sign-in-throttle";
import { makeUser } from "@/lib/testing-fixtures";
import { resetPasswordWithLink } from "@/lib/users/account-links";
import { adminCommand } from "./admin-commands";

describeEachDatabase("npm run admin", ({ db }) => {
  it("reset-password prints a one-time link that sets the password and lifts lockouts", async () => {
    const user = await makeUser(db());
    for (let i = 0; i < MAX_FAILURES; i++) await recordSignInAttempt(db(), user.email, "192.0.2.3", false);
    const answer = await adminCommand(db(), { command: "reset-password", email: ` ${user.email.toUpperCase()} ` });
    expect(answer).toMatchObject({ ok: true });
    const token = answer.ok ? /\/reset-password\/([A-Za-z0-9_-]{43})$/m.exec(answer.message)?.[1] : undefined;
    expect(token).toBeDefined();
    expect(await getLockout(db(), user.email, "192.0.2.3")).toEqual({ isLocked: false });
    await resetPasswordWithLink(db(), token!, "recovered-password");
    expect((await authenticateWithPassword(db(), user.email, "recovered-password", "192.0.2.3")).ok).toBe(true);
  });

  it("names an unknown email and an unknown command", async () => {
    expect(await adminCommand(db(), { command: "reset-password", email: "nobody@example.com" })).toMatchObject({ ok: false, error: expect.stringContaining("No user has the email") });
    const user = await makeUser(db());
    expect(await adminCommand(db(), { command: "drop-everything", email: user.email } as never)).toEqual({ ok: false, error: "Unknown command." });
  });
});
