"use client";

import { useActionState } from "react";
import { Alert } from "@/components/ui/alert";
import { Field, describedBy } from "@/components/ui/field";
import { SubmitButton } from "@/components/ui/submit-button";
import { formatBytes } from "@/lib/format-bytes";
import { setBackupSchedulesAction } from "@/lib/actions/backup-actions";
import { describeSchedule, scheduleText, type BackupSchedules } from "@/lib/snapshots/schedule-words";

const TYPES = [
  { key: "production", label: "Production" },
  { key: "staging", label: "Staging" },
  { key: "development", label: "Integration" },
] as const;

/**
 * Automated backups per environment type, as the platform writes them: a line per entry, an
 * interval (h, d, w, M, y) and how many to keep; the smallest interval is how often one is taken.
 * The manual snapshots each environment keeps; the storage the backups use.
 */
export function BackupSchedulesForm({
  projectId,
  schedules,
  planManual,
  storage,
  disabledReason,
}: {
  projectId: string;
  schedules: BackupSchedules;
  planManual: number | null;
  storage: { total: number; environments: { name: string; bytes: number; count: number; automated: number }[] };
  disabledReason?: string;
}) {
  const [state, action] = useActionState(setBackupSchedulesAction, null);
  const errors = state && !state.ok ? state.fieldErrors : undefined;
  return (
    <div className="space-y-5">
      <form action={action} className="max-w-xl space-y-4" noValidate>
        <input type="hidden" name="projectId" value={projectId} />
        {state?.ok ? <Alert tone="success">Saved. The next due backups follow it.</Alert> : null}
        {state && !state.ok ? <Alert tone="error">{state.error}</Alert> : null}
        {TYPES.map(({ key, label }) => (
          <Field key={key} id={`backups-${key}`} label={`${label}: automated backups`} hint={`Now: ${describeSchedule(schedules[key])}. A line per entry: an interval (1h, 6h, 1d, 1w, 1M, 1y) and how many to keep, such as “1h 24”.`} errors={errors?.[key]}>
            <textarea
              id={`backups-${key}`}
              name={key}
              rows={3}
              spellCheck={false}
              defaultValue={state && !state.ok ? (state.values?.[key] ?? scheduleText(schedules[key])) : scheduleText(schedules[key])}
              disabled={Boolean(disabledReason)}
              className="w-full rounded-md border border-border bg-surface px-2 py-1.5 font-mono text-sm"
              {...describedBy(`backups-${key}`, errors?.[key], true)}
            />
          </Field>
        ))}
        <Field id="backups-manual" label="Manual snapshots kept per environment" hint={disabledReason ?? `Empty: the plan's own (${planManual === null ? "no limit" : planManual}). Beyond it, a new snapshot replaces the oldest, after asking.`} errors={errors?.manualCount}>
          <input
            id="backups-manual"
            name="manualCount"
            inputMode="numeric"
            defaultValue={state && !state.ok ? (state.values?.manualCount ?? "") : (schedules.manualCount ?? "")}
            disabled={Boolean(disabledReason)}
            className="w-32 rounded-md border border-border bg-surface px-2 py-1.5 text-sm"
            {...describedBy("backups-manual", errors?.manualCount, true)}
          />
        </Field>
        <SubmitButton variant="secondary" disabled={Boolean(disabledReason)} pendingText="Saving…">
          Save backup schedules
        </SubmitButton>
      </form>
      <div>
        <h3 className="mb-1 text-sm font-semibold">Storage used</h3>
        {storage.environments.length === 0 ? (
          <p className="text-sm text-muted">No backups yet.</p>
        ) : (
          <table className="text-sm" data-testid="backup-storage-table">
            <tbody>
              {storage.environments.map((e) => (
                <tr key={e.name}>
                  <td className="pr-4 font-mono">{e.name}</td>
                  <td className="pr-4 text-muted">
                    {e.count} backup{e.count === 1 ? "" : "s"} ({e.automated} automated)
                  </td>
                  <td className="text-right">{formatBytes(e.bytes)}</td>
                </tr>
              ))}
              <tr className="border-t border-border font-medium">
                <td className="pr-4">All</td>
                <td />
                <td className="text-right">{formatBytes(storage.total)}</td>
              </tr>
            </tbody>
          </table>
        )}
      </div>
    </div>
  );
}
