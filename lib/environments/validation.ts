import { z } from "zod";

const base = { projectId: z.string().min(1), environment: z.string().min(1) };
const checkbox = z.enum(["on"]).optional().transform((v) => v === "on");

export const environmentActionSchema = z.discriminatedUnion("action", [
  z.object({
    ...base,
    action: z.literal("branch"),
    name: z.string().trim(),
    title: z.string().trim().max(100, "Use at most 100 characters for the title.").refine((v) => !/\p{Cc}/u.test(v), "The title cannot contain control characters.").default(""),
    type: z.enum(["development", "staging"], { error: "Choose Integration (development) or Staging." }),
  }),
  z.object({ ...base, action: z.literal("activate") }),
  z.object({ ...base, action: z.literal("deactivate"), confirmation: z.string().default("") }),
  z.object({ ...base, action: z.literal("delete"), confirmation: z.string().default("") }),
  z.object({ ...base, action: z.literal("merge") }),
  z.object({ ...base, action: z.literal("sync"), code: checkbox, data: checkbox, rebase: checkbox }),
  z.object({ ...base, action: z.literal("redeploy") }),
], { error: "Choose an action." });

export const editEnvironmentSchema = z.object({
  projectId: z.string().min(1),
  environment: z.string().min(1),
  title: z.string().trim().min(1, "Enter a title.").max(100, "Use at most 100 characters for the title.").refine((v) => !/\p{Cc}/u.test(v), "The title cannot contain control characters."),
  parent: z.string().default(""),
});
