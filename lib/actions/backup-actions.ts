"use server";

import { z } from "zod";
import { DomainError, type FormState } from "@/lib/errors";
import { MAX_MANUAL_BACKUPS, parseScheduleText } from "@/lib/snapshots/backup-schedule";
import { setBackupSchedules } from "@/lib/snapshots/backup-settings";
import { runFormAction } from "./run-form-action";

const schedulesSchema = z.object({
  projectId: z.string().min(1),
  production: z.string().max(2_000, "Write at most 10 lines such as “1h 24”.").default(""),
  staging: z.string().max(2_000, "Write at most 10 lines such as “1h 24”.").default(""),
  development: z.string().max(2_000, "Write at most 10 lines such as “1h 24”.").default(""),
  manualCount: z
    .string()
    .trim()
    .max(10)
    .default("")
    .refine((v) => v === "" || (/^[0-9]+$/.test(v) && Number(v) <= MAX_MANUAL_BACKUPS), { message: `A whole number from 0 to ${MAX_MANUAL_BACKUPS}, or empty for the plan's own.` }),
});

/** Saves a project's backup schedules (a line per entry, `1h 24`) and manual count; each bad line is said with its field. */
export async function setBackupSchedulesAction(_prev: FormState, formData: FormData): Promise<FormState> {
  return runFormAction(formData, ["projectId", "production", "staging", "development", "manualCount"], schedulesSchema, async (db, user, input) => {
    const parsed = { production: parseScheduleText(input.production), staging: parseScheduleText(input.staging), development: parseScheduleText(input.development) };
    const errors = Object.fromEntries(Object.entries(parsed).flatMap(([field, r]) => (r.ok ? [] : [[field, [r.error]]])));
    if (Object.keys(errors).length > 0) throw new DomainError("invalid", "Some schedules need a change: see each field.", errors);
    const entries = (r: (typeof parsed)["production"]) => (r.ok ? r.entries : []);
    await setBackupSchedules(db, user, input.projectId, {
      production: entries(parsed.production),
      staging: entries(parsed.staging),
      development: entries(parsed.development),
      manualCount: input.manualCount === "" ? null : Number(input.manualCount),
    });
  });
}
