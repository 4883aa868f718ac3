import { describe, expect, it } from "vitest";
import { editEnvironmentSchema } from "@/lib/environments/validation";
import { personNameSchema } from "@/lib/users/validation";
import { autoPauseSchema, createProjectSchema, projectTitleSchema } from "./validation";

const valid = { title: "My Store", id: "my-store", plan: "pro", region: "eu-5" };

describe("createProjectSchema", () => {
  it("accepts a valid project and trims the title", () => {
    expect(createProjectSchema.parse({ ...valid, title: "  My Store  " }).title).toBe("My Store");
  });
  it.each([
    ["an empty title", { title: "   " }, "title", "Enter a title."],
    ["a 500-character title", { title: "x".repeat(500) }, "title", "Use at most 100 characters for the title."],
    ["a title with a control character", { title: "My\u0007Store" }, "title", "control characters"],
    ["a title with a line break", { title: "My\nStore" }, "title", "control characters"],
    ["an unknown plan", { plan: "enterprise" }, "plan", "Choose the Starter or the Pro plan."],
    ["an unknown region", { region: "mars-1" }, "region", "Choose a region from the list"],
    ["an invalid id", { id: "My Store" }, "id", "lowercase letters"],
    ["a reserved id", { id: "new" }, "id", "reserved"],
  ])("refuses %s with a message for that field", (_name, change, field, message) => {
    const result = createProjectSchema.safeParse({ ...valid, ...change });
    expect(result.success).toBe(false);
    const issue = result.error!.issues.find((i) => i.path[0] === field);
    expect(issue?.message).toContain(message);
  });
  it("accepts exactly 100 characters", () => {
    expect(createProjectSchema.safeParse({ ...valid, title: "x".repeat(100) }).success).toBe(true);
  });
});

it("refuses invisible text-direction characters in titles and names, with a message that says what to do", () => {
  const spoof = "invoice\u202Etxt.exe";
  const result = projectTitleSchema.safeParse(spoof);
  expect(result.success).toBe(false);
  expect(result.error?.issues[0]?.message).toBe("The title cannot contain invisible text-direction characters (such as U+202E): remove them and type it again.");
  expect(personNameSchema.safeParse("Ada\u2066").success).toBe(false);
  expect(editEnvironmentSchema.safeParse({ projectId: "p", environment: "e", title: "Fix\u200Fcart", parent: "" }).success).toBe(false);
  expect(projectTitleSchema.safeParse("Boutique café — été").success).toBe(true);
});

describe("autoPauseSchema", () => {
  it("takes 0 to 365 whole days and says what to type otherwise", () => {
    expect(autoPauseSchema.parse({ projectId: "p", days: " 14 " }).days).toBe(14);
    expect(autoPauseSchema.parse({ projectId: "p", days: "0" }).days).toBe(0);
    for (const bad of ["-1", "1.5", "abc", "", "1e3", "99999"]) expect(autoPauseSchema.safeParse({ projectId: "p", days: bad }).success, bad).toBe(false);
    expect(autoPauseSchema.safeParse({ projectId: "p", days: "366" }).error?.issues[0]?.message).toBe("At most 365 days.");
  });
});
