import { z } from "zod";
import { displayTextProblem } from "@/lib/text";
import { projectIdProblem } from "./project-id";
import { REGION_IDS } from "./regions";

export const projectTitleSchema = z
  .string({ error: "Enter a title." })
  .trim()
  .min(1, "Enter a title.")
  .max(100, "Use at most 100 characters for the title.")
  .superRefine((v, ctx) => {
    const problem = displayTextProblem(v, "title");
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

export const projectIdSchema = z
  .string({ error: "Enter a project id." })
  .trim()
  .superRefine((v, ctx) => {
    const problem = projectIdProblem(v);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

export const createProjectSchema = z.object({
  title: projectTitleSchema,
  id: projectIdSchema,
  plan: z.enum(["starter", "pro"], { error: "Choose the Starter or the Pro plan." }),
  region: z.enum(REGION_IDS, { error: `Choose a region from the list (${REGION_IDS.join(", ")}).` }),
});
export type CreateProjectInput = z.infer<typeof createProjectSchema>;

export const renameProjectSchema = z.object({ projectId: z.string().min(1), title: projectTitleSchema });
export const deleteProjectSchema = z.object({ projectId: z.string().min(1), confirmation: z.string() });

const environmentRole = z.enum(["admin", "contributor", "viewer", "none"], { error: "Choose admin, contributor, viewer or no access." });

export const memberRolesSchema = z.object({
  role: z.enum(["admin", "viewer"], { error: "Choose project admin or project viewer." }),
  production: environmentRole,
  staging: environmentRole,
  development: environmentRole,
});
export type MemberRolesInput = z.infer<typeof memberRolesSchema>;

export const addMemberSchema = memberRolesSchema.extend({
  projectId: z.string().min(1),
  email: z.string().trim().toLowerCase().min(1, "Enter the email of the person to add.").pipe(z.email("Enter a valid email address.")),
});
export const updateMemberSchema = memberRolesSchema.extend({ projectId: z.string().min(1), userId: z.string().min(1) });
export const removeMemberSchema = z.object({ projectId: z.string().min(1), userId: z.string().min(1) });

export const inviteMemberSchema = memberRolesSchema.extend({
  projectId: z.string().min(1),
  email: addMemberSchema.shape.email,
});
export const invitationIdSchema = z.object({ invitationId: z.string().min(1).max(100) });
export const defaultBranchParentSchema = z.object({
  projectId: z.string().min(1),
  parent: z.string().max(32).regex(/^$|^[a-z0-9][a-z0-9-]*$/, "Choose an environment from the list."),
});

/** "Pause environments not deployed for N days": 0 (never) to 365. */
export const autoPauseSchema = z.object({
  projectId: z.string().min(1),
  days: z
    .string()
    .trim()
    .regex(/^\d{1,3}$/, "Enter a whole number of days, 0 for never.")
    .transform(Number)
    .pipe(z.number().max(365, "At most 365 days.")),
});
