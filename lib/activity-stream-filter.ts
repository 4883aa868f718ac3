/** The activity stream's filter as a request gives it, its types from the registry of kinds. */
import { z } from "zod";
import { ACTIVITY_TYPES } from "./activity-kinds";
import type { StreamFilter } from "./environments/activity-stream";

export const streamFilterSchema = z.object({
  environment: z.string().max(100).optional(),
  type: z.enum(ACTIVITY_TYPES as [string, ...string[]], { message: `type must be one of ${ACTIVITY_TYPES.join(", ")}.` }).optional(),
  state: z.enum(["in_progress", "pending", "complete", "cancelled"], { message: "state must be in_progress, pending, complete or cancelled." }).optional(),
  result: z.enum(["success", "failure"], { message: "result must be success or failure." }).optional(),
  crons: z.enum(["1"], { message: "crons must be 1 (ended cron runs listed too) or left out." }).optional(),
  cursor: z
    .string()
    .max(200)
    .regex(/^[A-Za-z0-9_-]+$/, "cursor is not one this server gave out: start again without it.")
    .optional(),
}) satisfies z.ZodType<StreamFilter>;
