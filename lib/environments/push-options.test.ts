import { describe, expect, it } from "vitest";
import { parsePushOptions } from "./push-options";

describe("parsePushOptions", () => {
  it("reads the platform's environment options", () => {
    expect(parsePushOptions(["environment.parent=integration", "environment.title=Feature X", "environment.status=active"])).toEqual({
      ok: true,
      values: { parent: "integration", title: "Feature X", status: "active" },
    });
    expect(parsePushOptions([])).toEqual({ ok: true, values: {} });
    expect(parsePushOptions(["deploy.wait=0"])).toEqual({ ok: true, values: { wait: false } });
    expect(parsePushOptions(["deploy.wait=1"])).toEqual({ ok: true, values: { wait: true } });
  });

  it("refuses unknown options and bad values with a sentence", () => {
    expect(parsePushOptions(["ci.skip"])).toMatchObject({ ok: false, problem: expect.stringContaining("Unknown push option “ci.skip”") });
    expect(parsePushOptions(["environment.status=on"])).toMatchObject({ ok: false, problem: expect.stringContaining("active or inactive") });
    expect(parsePushOptions(["environment.parent=../etc"])).toMatchObject({ ok: false });
    expect(parsePushOptions(["environment.title=evil\u202Egnp.exe"])).toMatchObject({ ok: false, problem: expect.stringContaining("text-direction") });
    expect(parsePushOptions([`environment.title=${"x".repeat(101)}`])).toMatchObject({ ok: false });
    expect(parsePushOptions(["deploy.wait=later"])).toMatchObject({ ok: false, problem: expect.stringContaining("0 (return at once) or 1") });
  });
});
