import { expect, it } from "vitest";
import { safeReturnPath } from "./request-path";

it("returns only to paths of this site after signing in", () => {
  expect(safeReturnPath("/projects/demo-store/environments/staging?action=branch")).toBe("/projects/demo-store/environments/staging?action=branch");
  for (const bad of ["//evil.example/x", "/\\evil.example", "https://evil.example/", "javascript:alert(1)", "/sign-in?callbackUrl=/x", null, 42, `/${"a".repeat(2001)}`]) {
    expect(safeReturnPath(bad), String(bad)).toBe("/projects");
  }
});
