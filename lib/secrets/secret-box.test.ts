import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { SecretKeyMismatch, SecretTampered, open, seal } from "./secret-box";

const key = crypto.randomBytes(32);

describe("secret box", () => {
  it("round-trips a value, never storing it in clear, with a fresh nonce each time", () => {
    const a = seal(key, '{"http-basic":{"repo.magento.com":{"password":"s3cret"}}}', "var-1");
    const b = seal(key, '{"http-basic":{"repo.magento.com":{"password":"s3cret"}}}', "var-1");
    expect(a).not.toContain("s3cret");
    expect(a).not.toBe(b);
    expect(open(key, a, "var-1")).toContain("s3cret");
  });

  it("detects tampering, a value moved to another variable, and another key, each with its own sentence", () => {
    const sealed = seal(key, "value", "var-1");
    const parts = sealed.split(".");
    const body = Buffer.from(parts[3]!, "base64url");
    body[0] = body[0]! ^ 1;
    expect(() => open(key, [...parts.slice(0, 3), body.toString("base64url")].join("."), "var-1")).toThrow(SecretTampered);
    expect(() => open(key, sealed, "var-2")).toThrow(SecretTampered);
    expect(() => open(crypto.randomBytes(32), sealed, "var-1")).toThrow(SecretKeyMismatch);
    expect(() => open(key, "garbage", "var-1")).toThrow(SecretTampered);
  });
});
