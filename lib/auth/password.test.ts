import bcrypt from "bcryptjs";
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { hashPassword, verifyPassword } from "./password";

describe("passwords", () => {
  it("verify their own hash, refuse another, and refuse when there is no hash (an unknown email) after a comparison as costly", async () => {
    const hash = await hashPassword("correct horse");
    expect(await verifyPassword("correct horse", hash)).toBe(true);
    expect(await verifyPassword("wrong", hash)).toBe(false);
    expect(await verifyPassword("correct horse", null)).toBe(false);
    // The hash an unknown email is compared against has the cost of a real one.
    const dummy = /const DUMMY_HASH = "([^"]+)"/.exec(fs.readFileSync(new URL("./password.ts", import.meta.url), "utf8"))![1]!;
    expect(bcrypt.getRounds(dummy)).toBe(bcrypt.getRounds(hash));
  });
});
