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

/** Omit distributed over the union, so each action keeps its own fields. */
type WithoutBase<T> = T extends unknown ? Omit<T, keyof typeof base> : never;
/** An environment action as the domain takes it (requestEnvironmentAction): the form's fields without the project and environment it is asked on. */
export type ActionRequest = WithoutBase<z.infer<typeof environmentActionSchema>>;

export const editEnvironmentSchema = z.object({
  projectId: z.string().min(1),
  environment: z.string().min(1),
  title: z.string().trim().min(1, "Enter a title.").max(100, "Use at most 100 characters for the title.").superRefine(refuseHiddenText),
  parent: z.string().default(""),
});
