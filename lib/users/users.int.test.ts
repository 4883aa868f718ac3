import { expect, it } from "vitest";
import { describeEachDatabase } from "@/db/testing/databases";
import { authenticateWithPassword } from "@/lib/auth/authenticate";
import { DomainError } from "@/lib/errors";
import { uniqueEmail } from "@/lib/testing-fixtures";
import { countUsers, createFirstAdministrator, createUser, upsertAdministrator } from "./create-user";

describeEachDatabase("users", ({ db }) => {
  it("creates the first administrator only while no user exists", async () => {
    expect(await countUsers(db())).toBe(0);
    const first = await createFirstAdministrator(db(), { name: "Ada", email: "  Ada@Example.com ", password: "password-1" });
    expect(first.isAdmin).toBe(true);
    expect(first.email).toBe("ada@example.com");
    expect(first.passwordHash).not.toContain("password-1");

    const second = createFirstAdministrator(db(), { name: "Eve", email: uniqueEmail(), password: "password-2" });
    await expect(second).rejects.toThrow("An administrator already exists");
    expect(await countUsers(db())).toBe(1);
  });

  it("refuses a second account with the same email, whatever its case", async () => {
    const email = uniqueEmail();
    await createUser(db(), { name: "A", email, password: "password-1" });
    const again = createUser(db(), { name: "B", email: email.toUpperCase(), password: "password-2" });
    await expect(again).rejects.toBeInstanceOf(DomainError);
    await expect(again).rejects.toMatchObject({ fieldErrors: { email: [expect.stringContaining("already exists")] } });
  });

  it("ADMIN_EMAIL/ADMIN_PASSWORD create an administrator, then reset its password", async () => {
    const email = uniqueEmail("admin");
    const first = await upsertAdministrator(db(), email, "first-password");
    expect(first).toMatchObject({ created: true, user: { isAdmin: true } });
    const second = await upsertAdministrator(db(), email, "second-password");
    expect(second.created).toBe(false);
    expect(second.user.id).toBe(first.user.id);
    expect((await authenticateWithPassword(db(), email, "first-password", "10.0.0.1")).ok).toBe(false);
    expect((await authenticateWithPassword(db(), email, "second-password", "10.0.0.1")).ok).toBe(true);
  });

  it("makes an existing user an administrator when named in ADMIN_EMAIL", async () => {
    const email = uniqueEmail();
    await createUser(db(), { name: "Plain", email, password: "password-1" });
    const { user } = await upsertAdministrator(db(), email, "password-2");
    expect(user.isAdmin).toBe(true);
  });
});
