import { describe, expect, it } from "vitest";
import { firstAdministratorSchema, signInSchema } from "./validation";

describe("user validation", () => {
  it("normalises the email", () => {
    expect(signInSchema.parse({ email: "  Ada@Example.COM ", password: "x" }).email).toBe("ada@example.com");
  });
  it("refuses a malformed email", () => {
    const r = signInSchema.safeParse({ email: "ada", password: "x" });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.message).toContain("valid email");
  });
  it("requires matching passwords for the first administrator", () => {
    const r = firstAdministratorSchema.safeParse({ name: "Ada", email: "ada@example.com", password: "long-enough", confirmPassword: "different" });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(["confirmPassword"]);
  });
  it("refuses a short password", () => {
    const r = firstAdministratorSchema.safeParse({ name: "Ada", email: "ada@example.com", password: "short", confirmPassword: "short" });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.message).join(" ")).toContain("at least 8 characters");
  });
});
