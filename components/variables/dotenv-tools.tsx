"use client";

import { useActionState, useId, useMemo, useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Textarea } from "@/components/ui/field";
import { SubmitButton } from "@/components/ui/submit-button";
import { useResetKey } from "@/components/ui/use-reset-key";
import { importVariablesAction, type VariableImportResult } from "@/lib/actions/variable-actions";
import { parseDotenv, toDotenv } from "@/lib/variables/dotenv";
import type { VariableItem } from "./variables-panel";
import { useReportSaved, type SavedOutcome } from "./saved-outcome";

type Tool = "import" | "export" | null;

/** Import several variables from pasted `.env` text (with a preview), or see this level's as `.env` to copy. */
export function DotenvTools({ projectId, environment, items, canImport }: { projectId: string; environment?: string; items: VariableItem[]; canImport: boolean }) {
  const [open, setOpen] = useState<Tool>(null);
  const toggle = (tool: Exclude<Tool, null>) => setOpen((o) => (o === tool ? null : tool));
  return (
    <div className="space-y-2">
      <div className="flex flex-wrap gap-2">
        {canImport ? (
          <Button variant="secondary" aria-expanded={open === "import"} onClick={() => toggle("import")}>
            Import from .env
          </Button>
        ) : null}
        <Button variant="secondary" aria-expanded={open === "export"} onClick={() => toggle("export")} disabled={items.length === 0}>
          Copy as .env
        </Button>
      </div>
      {open === "import" ? <ImportForm projectId={projectId} environment={environment} items={items} onDone={() => setOpen(null)} /> : null}
      {open === "export" ? <ExportView environment={environment} items={items} /> : null}
    </div>
  );
}

/** What this level's variables give its hooks, as .env text: the ones that apply here, sensitive ones as comments. */
function ExportView({ environment, items }: { environment?: string; items: VariableItem[] }) {
  const applying = items.filter((v) => v.enabled && (!v.status || v.status.kind === "applies" || v.status.kind === "inherited"));
  const text = toDotenv(applying);
  const [copied, setCopied] = useState(false);
  const id = useId();
  return (
    <div className="space-y-2 rounded-md border border-border p-3">
      <label htmlFor={id} className="block text-sm font-medium">
        {environment ? `The variables ${environment} gets` : "The project's variables"}, as .env
      </label>
      <Textarea id={id} readOnly value={text} rows={Math.min(12, Math.max(3, applying.length + 1))} onFocus={(e) => e.currentTarget.select()} />
      <p className="text-xs text-muted">env:NAME is written as NAME (the shell variable); sensitive values are never sent to the browser, so they are left out as comments.</p>
      <Button
        variant="secondary"
        onClick={() => {
          void navigator.clipboard?.writeText(text).then(() => setCopied(true), () => setCopied(false));
        }}
      >
        {copied ? "Copied" : "Copy"}
      </Button>
    </div>
  );
}

function ImportForm({ projectId, environment, items, onDone }: { projectId: string; environment?: string; items: VariableItem[]; onDone: () => void }) {
  const [state, action] = useActionState(importVariablesAction, null);
  const [text, setText] = useState("");
  const [shellPrefix, setShellPrefix] = useState(true);
  const resetKey = useResetKey(state);
  const id = useId();
  useReportSaved(state, onDone, (d: VariableImportResult): SavedOutcome => ({ activityId: d.activityId, redeploys: d.redeploys, environment: d.environment, summary: importSummary(d) }));

  // The preview: what the server will do, from the same parser, against this level's own variables.
  const own = useMemo(() => new Map(items.filter((v) => v.definedAt === (environment ?? "project")).map((v) => [v.name, v])), [items, environment]);
  const preview = useMemo(() => parseDotenv(text, { shellPrefix }), [text, shellPrefix]);
  const rows = preview.entries.map((e) => {
    const current = own.get(e.name);
    const change = !current ? "add" : !current.isSensitive && current.value === e.value ? "same" : "change";
    return { ...e, change, sensitive: current?.isSensitive ?? false };
  });
  const count = rows.filter((r) => r.change !== "same").length;
  const fieldError = state && !state.ok ? (state.fieldErrors?.text ?? [state.error]) : undefined;

  return (
    <form key={resetKey} action={action} className="space-y-3 rounded-md border border-border p-3" aria-label="Import variables from .env" noValidate>
      <input type="hidden" name="projectId" value={projectId} />
      {environment ? <input type="hidden" name="environment" value={environment} /> : null}
      <div className="space-y-1.5">
        <label htmlFor={`${id}-text`} className="block text-sm font-medium">
          KEY=value lines (a .env file)
        </label>
        <Textarea
          id={`${id}-text`}
          name="text"
          rows={6}
          value={text}
          onChange={(e) => setText(e.target.value)}
          autoComplete="off"
          placeholder={"APP_ENV=staging\nADMIN_EMAIL=ops@example.com\n# comments and export are fine"}
          aria-invalid={fieldError ? true : undefined}
          aria-describedby={fieldError ? `${id}-error` : undefined}
        />
        {fieldError ? (
          <p id={`${id}-error`} className="text-sm text-danger">
            {fieldError.join(" ")}
          </p>
        ) : null}
      </div>
      <fieldset className="flex flex-wrap gap-x-4 gap-y-1 text-sm">
        <legend className="sr-only">Options</legend>
        <label className="flex items-center gap-1.5">
          <input type="checkbox" name="shellPrefix" checked={shellPrefix} onChange={(e) => setShellPrefix(e.target.checked)} className="size-4 accent-[var(--accent)]" /> Keys without a prefix become env: (shell) variables
        </label>
        <label className="flex items-center gap-1.5">
          <input type="checkbox" name="sensitive" className="size-4 accent-[var(--accent)]" /> New ones are sensitive (write-only)
        </label>
      </fieldset>
      {preview.errors.length > 0 ? (
        <Alert tone="error">
          Fix these lines first:
          <ul className="mt-1 list-disc pl-5">
            {preview.errors.slice(0, 10).map((e) => (
              <li key={`${e.line}-${e.message}`}>{e.message}</li>
            ))}
          </ul>
        </Alert>
      ) : null}
      {rows.length > 0 ? (
        <table className="w-full text-left text-xs" aria-label="Preview of the import">
          <thead className="text-muted">
            <tr>
              <th className="py-1 pr-2 font-medium">Name</th>
              <th className="py-1 pr-2 font-medium">What happens</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-border">
            {rows.map((r) => (
              <tr key={r.name}>
                <td className="py-1 pr-2 font-mono [overflow-wrap:anywhere]">{r.name}</td>
                <td className={`py-1 pr-2 ${r.change === "same" ? "text-muted" : ""}`}>
                  {r.change === "add" ? "Added" : r.change === "same" ? "Unchanged (same value): skipped" : r.sensitive ? "Changed (replaces a sensitive value)" : "Changed"}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <SubmitButton variant="secondary" pendingText="Importing…" disabled={count === 0 || preview.errors.length > 0}>
        {count === 0 ? "Nothing to import" : `Import ${count} variable${count === 1 ? "" : "s"}`}
      </SubmitButton>
    </form>
  );
}

function importSummary(r: VariableImportResult): string {
  const parts = [r.added.length && `${r.added.length} added`, r.changed.length && `${r.changed.length} changed`, r.unchanged.length && `${r.unchanged.length} unchanged`].filter(Boolean);
  return r.activityId ? `Imported: ${parts.join(", ")}.` : `Nothing changed: ${parts.join(", ")}.`;
}
