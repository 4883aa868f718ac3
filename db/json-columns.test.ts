import { describe, expect, it } from "vitest";
import { z } from "zod";
import { httpAccessSettingsSchema, parseJsonColumn, StoredValueError } from "./json-columns";

const row = { record: "Deployment", id: "1234", what: "a config" };

describe("parseJsonColumn", () => {
  it("answers a value that matches, as its schema outputs it", () => {
    const schema = z.object({ name: z.string(), tags: z.array(z.string()).default([]) });
    expect(parseJsonColumn(schema, { name: "app" }, row)).toEqual({ name: "app", tags: [] });
  });

  it("throws an error that names the row and says what does not match", () => {
    const schema = z.object({ app: z.object({ name: z.string() }) });
    const thrown = (() => {
      try {
        parseJsonColumn(schema, { app: { name: 7 } }, row);
      } catch (err) {
        return err;
      }
    })();
    expect(thrown).toBeInstanceOf(StoredValueError);
    expect(thrown).toMatchObject({ code: "stored_value_mismatch", record: "Deployment", rowId: "1234" });
    expect((thrown as Error).message).toMatch(/^Deployment 1234 has a config that does not match its schema: app\.name: /);
  });

  it("names the root when the value is not even an object, and at most three issues", () => {
    expect(() => parseJsonColumn(httpAccessSettingsSchema, "open", { record: "Environment", id: "e1", what: "an HTTP access control" })).toThrow(
      /^Environment e1 has an HTTP access control that does not match its schema: \(root\): /,
    );
    const many = z.object({ a: z.string(), b: z.string(), c: z.string(), d: z.string(), e: z.string() });
    expect(() => parseJsonColumn(many, {}, row)).toThrow(/a: .*; b: .*; c: [^;]*\(and 2 more\)$/);
  });
});
