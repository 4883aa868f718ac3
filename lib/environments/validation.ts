import { z } from "zod";
import { displayTextProblem } from "@/lib/text";

const refuseHiddenText = (v: string, ctx: z.RefinementCtx) => {
  const problem = displayTextProblem(v, "title");
  if (problem) ctx.addIssue({ code: "custom", message: problem });
};

const base = { projectId: z.string().min(1), environment: z.string().min(1) };
const checkbox = z.enum(["on"]).optional().transform((v) => v === "on");

export const environmentActionSchema = z.discriminatedUnion("action", [
  z.object({
    ...base,
    action: z.literal("branch"),
    name: z.string().trim(),
    title: z.string().trim().max(100, "Use at most 100 characters for the title.").superRefine(refuseHiddenText).default(""),
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
  title: z.string().trim().min(1, "Enter a title.").max(100, "Use at most 100 characters for the title.").superRefine(refuseHiddenText),
  parent: z.string().default(""),
});
