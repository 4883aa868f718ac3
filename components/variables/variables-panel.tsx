"use client";

import Link from "next/link";
import { useActionState, useState } from "react";
import { QueuedNotice } from "@/components/activities/queued-notice";
import { Alert } from "@/components/ui/alert";
import { ConfirmSubmit } from "@/components/ui/confirm-submit";
import { Field, Input, describedBy } from "@/components/ui/field";
import { SubmitButton } from "@/components/ui/submit-button";
import { useResetKey } from "@/components/ui/use-reset-key";
import { createVariableAction, deleteVariableAction, updateVariableAction } from "@/lib/actions/variable-actions";
import { DotenvTools } from "./dotenv-tools";
import { SavedContext, useReportSaved, type SavedOutcome } from "./saved-outcome";
import type { DefinitionStatus } from "@/lib/variables/resolve";
import type { VariableView } from "@/lib/variables/variables";

/** A row as the server lists it (lib/variables: sensitive values already withheld). */
export type VariableItem = Omit<VariableView, "environment"> & { definedAt: string; status?: DefinitionStatus; canChange: boolean };

function statusLabel(status: DefinitionStatus | undefined, definedAt: string): string {
  if (!status) return definedAt === "project" ? "Project" : "";
  switch (status.kind) {
    case "applies":
      return definedAt === "project" ? "Project" : "Set here";
    case "inherited":
      return `Inherited from ${status.from}`;
    case "overridden":
      return `Overridden by ${status.by}`;
    case "inactive":
      return `Inactive: ${status.by} sets it`;
    case "disabled":
      return "Disabled";
  }
}

/**
 * A level's variables — the project's (environment omitted), or an environment's with what it
 * inherits — and a form to add one there. Sensitive values show as ••••: they never come back.
 */
export function VariablesPanel({ projectId, environment, items, canAdd }: { projectId: string; environment?: string; items: VariableItem[]; canAdd: boolean }) {
  // The last save's outcome, whichever form made it: its redeploy followed live, or what happens instead.
  const [saved, setSaved] = useState<SavedOutcome | null>(null);
  return (
    <SavedContext.Provider value={setSaved}>
    <div className="space-y-3 text-sm">
      {saved ? <SavedNotice key={saved.activityId ?? saved.summary} projectId={projectId} saved={saved} /> : null}
      {items.length === 0 ? <p className="text-muted">No variables yet.</p> : null}
      {items.length > 0 ? (
        <ul className="divide-y divide-border" aria-label={environment ? `Variables of ${environment}` : "Project variables"}>
          {items.map((v) => (
            <VariableRow key={v.id} projectId={projectId} environment={environment} v={v} />
          ))}
        </ul>
      ) : null}
      {canAdd ? <AddVariableForm projectId={projectId} environment={environment} /> : null}
      <DotenvTools projectId={projectId} environment={environment} items={items} canImport={canAdd} />
    </div>
    </SavedContext.Provider>
  );
}

function SavedNotice({ projectId, saved }: { projectId: string; saved: SavedOutcome }) {
  if (!saved.activityId) return <Alert tone="info">{saved.summary ?? "Nothing changed."}</Alert>;
  if (saved.redeploys) return <QueuedNotice projectId={projectId} activityId={saved.activityId} what={`${saved.summary ? `${saved.summary} ` : ""}Saved. The redeploy of ${saved.environment} with the changed variables`} inDialog={false} />;
  const log = (
    <Link className="underline" href={`/projects/${projectId}/activities/${saved.activityId}`}>
      Activity
    </Link>
  );
  return (
    <Alert tone="success">
      {saved.summary ? `${saved.summary} ` : ""}
      {saved.environment
        ? `Saved. ${saved.environment} is inactive: it gets the variable when it is activated.`
        : "Saved. No environment was redeployed: those whose variables changed say “Variables changed — redeploy to apply” until they are redeployed."}{" "}
      {log}
    </Alert>
  );
}

function VariableRow({ projectId, environment, v }: { projectId: string; environment?: string; v: VariableItem }) {
  const [editing, setEditing] = useState(false);
  return (
            <li className={`flex flex-wrap items-center gap-x-3 gap-y-1 py-2 ${v.status && v.status.kind !== "applies" && v.status.kind !== "inherited" ? "opacity-60" : ""}`}>
              <code className="font-mono font-medium [overflow-wrap:anywhere]">{v.name}</code>
              <code className="min-w-0 max-w-full truncate font-mono text-xs text-muted">{v.isSensitive ? "•••• (sensitive)" : v.value}</code>
              <span className="text-xs text-muted">{statusLabel(v.status, v.definedAt)}</span>
              <span className="text-xs text-muted">
                {[v.isJson ? "JSON" : null, v.visibleBuild ? "build" : null, v.visibleRuntime ? "runtime" : null, v.definedAt !== "project" && !v.inheritable ? "not inherited" : null].filter(Boolean).join(" · ")}
              </span>
              {v.canChange ? (
                <span className="ml-auto flex items-center gap-1">
                  <button type="button" className="rounded px-2 py-1 hover:bg-surface-muted" aria-expanded={editing} aria-label={`Edit ${v.name}`} onClick={() => setEditing((e) => !e)}>
                    {editing ? "Close" : "Edit"}
                  </button>
                  <DeleteVariable projectId={projectId} id={v.id} name={v.name} />
                </span>
              ) : null}
              {editing ? (
                <div className="basis-full">
                  <EditVariableForm projectId={projectId} environment={environment} v={v} onSaved={() => setEditing(false)} />
                </div>
              ) : null}
            </li>
  );
}

function EditVariableForm({ projectId, environment, v, onSaved }: { projectId: string; environment?: string; v: VariableItem; onSaved: () => void }) {
  const [state, action] = useActionState(updateVariableAction, null);
  const [value, setValue] = useState(v.isSensitive ? "" : (v.value ?? ""));
  const errors = state && !state.ok ? state.fieldErrors : undefined;
  const id = `edit-${v.id}`;
  useReportSaved(state, onSaved);
  return (
    <form action={action} className="mt-2 space-y-3 rounded-md border border-border p-3" noValidate aria-label={`Edit ${v.name}`}>
      <input type="hidden" name="projectId" value={projectId} />
      <input type="hidden" name="variableId" value={v.id} />
      {state && !state.ok && !state.fieldErrors ? <Alert tone="error">{state.error}</Alert> : null}
      <div className="grid gap-3 sm:grid-cols-2">
        <Field id={`${id}-name`} label="Name" errors={errors?.name}>
          <Input id={`${id}-name`} name="name" className="font-mono" defaultValue={v.name} {...describedBy(`${id}-name`, errors?.name)} />
        </Field>
        <Field id={`${id}-value`} label="Value" hint={v.isSensitive ? "Sensitive: leave empty to keep the saved value." : undefined} errors={errors?.value}>
          <Input id={`${id}-value`} name="value" className="font-mono" autoComplete="off" spellCheck={false} value={value} onChange={(e) => setValue(e.target.value)} {...describedBy(`${id}-value`, errors?.value, v.isSensitive)} />
        </Field>
      </div>
      <fieldset className="flex flex-wrap gap-x-4 gap-y-1">
        <legend className="sr-only">Options</legend>
        {(
          [
            ["enabled", "Enabled", v.enabled],
            ["isJson", "JSON", v.isJson],
            ["visibleBuild", "Visible during build", v.visibleBuild],
            ["visibleRuntime", "Visible at runtime", v.visibleRuntime],
            ...(environment ? ([["inheritable", "Inherited by child environments", v.inheritable]] as const) : []),
          ] as const
        ).map(([name, label, on]) => (
          <label key={name} className="flex items-center gap-1.5">
            <input type="checkbox" name={name} defaultChecked={on} className="size-4 accent-[var(--accent)]" /> {label}
          </label>
        ))}
        {v.isSensitive ? <input type="hidden" name="isSensitive" value="on" /> : (
          <label className="flex items-center gap-1.5">
            <input type="checkbox" name="isSensitive" className="size-4 accent-[var(--accent)]" /> Sensitive (write-only; cannot be undone)
          </label>
        )}
      </fieldset>
      {errors?.isSensitive ? <p className="text-danger">{errors.isSensitive.join(" ")}</p> : null}
      <SubmitButton variant="secondary" pendingText="Saving…">
        Save
      </SubmitButton>
    </form>
  );
}

function DeleteVariable({ projectId, id, name }: { projectId: string; id: string; name: string }) {
  const [state, action] = useActionState(deleteVariableAction, null);
  useReportSaved(state);
  return (
    <form action={action} className="inline-flex items-center gap-2">
      <input type="hidden" name="projectId" value={projectId} />
      <input type="hidden" name="variableId" value={id} />
      <ConfirmSubmit variant="ghost" className="text-danger" label={`Delete ${name}`} question={`Delete ${name}?`} confirm="Delete" pendingText="Deleting…">
        Delete
      </ConfirmSubmit>
      {state && !state.ok ? <span className="text-danger">{state.error}</span> : null}
    </form>
  );
}

function AddVariableForm({ projectId, environment }: { projectId: string; environment?: string }) {
  const [state, action] = useActionState(createVariableAction, null);
  const errors = state && !state.ok ? state.fieldErrors : undefined;
  const resetKey = useResetKey(state);
  useReportSaved(state);
  const id = environment ? "env-var" : "project-var";
  return (
    <form key={resetKey} action={action} className="space-y-3 rounded-md border border-border p-3" noValidate>
      <input type="hidden" name="projectId" value={projectId} />
      {environment ? <input type="hidden" name="environment" value={environment} /> : null}
      {state && !state.ok && !state.fieldErrors ? <Alert tone="error">{state.error}</Alert> : null}
      <div className="grid gap-3 sm:grid-cols-2">
        <Field id={`${id}-name`} label="Name" hint="env:NAME becomes a shell variable; other names go into MAGENTO_CLOUD_VARIABLES." errors={errors?.name}>
          <Input id={`${id}-name`} name="name" className="font-mono" defaultValue={state && !state.ok ? state.values?.name : ""} {...describedBy(`${id}-name`, errors?.name, true)} />
        </Field>
        <Field id={`${id}-value`} label="Value" errors={errors?.value}>
          <KeptValue id={`${id}-value`} {...describedBy(`${id}-value`, errors?.value)} />
        </Field>
      </div>
      <fieldset className="flex flex-wrap gap-x-4 gap-y-1">
        <legend className="sr-only">Options</legend>
        {(
          [
            ["isJson", "JSON", false],
            ["isSensitive", "Sensitive (write-only)", false],
            ["visibleBuild", "Visible during build", true],
            ["visibleRuntime", "Visible at runtime", true],
            ...(environment ? ([["inheritable", "Inherited by child environments", true]] as const) : []),
          ] as const
        ).map(([name, label, on]) => (
          <label key={name} className="flex items-center gap-1.5">
            <input type="checkbox" name={name} defaultChecked={on} className="size-4 accent-[var(--accent)]" /> {label}
          </label>
        ))}
      </fieldset>
      <SubmitButton variant="secondary" pendingText="Adding…">
        Add variable
      </SubmitButton>
    </form>
  );
}

/** The value field: kept after an error on the client (the server never sends a value back), emptied with the form after success. */
function KeptValue(props: { id: string; "aria-invalid"?: boolean; "aria-describedby"?: string }) {
  const [value, setValue] = useState("");
  return <Input {...props} name="value" className="font-mono" autoComplete="off" spellCheck={false} value={value} onChange={(e) => setValue(e.target.value)} />;
}
