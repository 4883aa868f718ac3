"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useActionState, useEffect, useRef, useState, type ReactNode } from "react";
import { useWatchActivity } from "@/components/activities/activity-toasts";
import { QueuedNotice } from "@/components/activities/queued-notice";
import { showQueuedActivity } from "@/components/activities/show-queued-activity";
import { Alert } from "@/components/ui/alert";
import { DisabledButton } from "@/components/ui/disabled-button";
import { Button } from "@/components/ui/button";
import { Dialog, DialogActions } from "@/components/ui/dialog";
import { Field, Input, Select, describedBy } from "@/components/ui/field";
import { editEnvironmentAction, environmentAction } from "@/lib/actions/environment-actions";
import { PauseToggleForm } from "./pause-toggle-form";
import type { EnvironmentView, ProjectOverview } from "@/lib/environments/overview";
import { possibleParents, typeLabel, type EnvironmentAction } from "@/lib/environments/rules";
import { useInactiveEnvironments, useProjectOverview } from "./use-project-overview";
import { queryKeys } from "@/components/query-keys";
import { useProjectEventsLive } from "@/components/projects/project-events";

export interface CommitSummary {
  sha: string;
  subject: string;
  author: string;
}

export interface EnvironmentGitFacts {
  /** Commits the parent does not have (what Merge brings in). */
  ahead: CommitSummary[];
  /** How many commits the parent has that this environment does not. */
  behind: number;
}

const LABEL: Record<EnvironmentAction, string> = {
  branch: "Branch",
  merge: "Merge",
  sync: "Sync",
  activate: "Activate",
  redeploy: "Redeploy",
  deactivate: "Deactivate",
  delete: "Delete",
  edit: "Edit",
};

/** The environment's buttons. A disabled one stays focusable and says why on hover, focus and press. */
export function EnvironmentActions({ projectId, environmentName, initial, git, pauseDisabledReason }: { projectId: string; environmentName: string; initial: ProjectOverview; git: EnvironmentGitFacts; pauseDisabledReason?: string }) {
  const { data } = useProjectOverview(projectId, initial, environmentName);
  const env = data.environments.find((e) => e.name === environmentName);
  const [why, setWhy] = useState<string | null>(null);
  if (!env?.actions) return <Alert tone="info">This environment no longer exists.</Alert>;
  const actions = env.actions;

  const order: EnvironmentAction[] = ["branch", "merge", "sync", "activate", "redeploy", "deactivate", "delete"];
  return (
    <div className="space-y-2">
      <div className="flex flex-wrap gap-2" role="toolbar" aria-label={`Actions for ${env.title}`}>
        {order.map((action) => {
          const permission = actions[action];
          const disabled = permission.allowed ? null : (
            <DisabledButton key={action} reason={permission.reason} onPress={() => setWhy(`${LABEL[action]}: ${permission.reason}`)}>
              {LABEL[action]}
            </DisabledButton>
          );
          // An open dialog stays open when its action stops being allowed (its own activity makes the environment busy).
          return <ActionDialog key={action} action={action} projectId={projectId} env={env} git={git} usage={data.usage} disabled={disabled} onDone={() => setWhy(null)} />;
        })}
        {actions.edit.allowed ? (
          <EditEnvironmentDialog projectId={projectId} env={env} shown={data.environments} />
        ) : (
          <DisabledButton variant="ghost" reason={actions.edit.reason} onPress={() => setWhy(`Edit: ${actions.edit.allowed ? "" : actions.edit.reason}`)}>
            Edit
          </DisabledButton>
        )}
        {env.status === "active" && !env.paused ? (
          pauseDisabledReason || env.busy ? (
            <DisabledButton variant="ghost" reason={pauseDisabledReason ?? `${env.title} is busy: ${env.busy!.description}.`} onPress={() => setWhy(`Pause: ${pauseDisabledReason ?? "the environment is busy."}`)}>
              Pause
            </DisabledButton>
          ) : (
            <PauseToggleForm projectId={projectId} environment={env.name} pause variant="header" />
          )
        ) : null}
      </div>
      <p role="status" className="min-h-5 text-sm text-muted">
        {why}
      </p>
    </div>
  );
}

function ActionDialog({
  action,
  projectId,
  env,
  git,
  usage,
  disabled,
  onDone,
}: {
  action: EnvironmentAction;
  projectId: string;
  env: EnvironmentView;
  git: EnvironmentGitFacts;
  usage: ProjectOverview["usage"];
  disabled: ReactNode;
  onDone: () => void;
}) {
  const [open, setOpen] = useState(false);
  // `?action=branch` (from the hierarchy graph's menu) opens that dialog on arrival.
  const arrived = useRef(false);
  const isDisabled = !!disabled;
  useEffect(() => {
    if (arrived.current) return;
    arrived.current = true;
    if (!isDisabled && new URLSearchParams(window.location.search).get("action") === action) setOpen(true); // eslint-disable-line react-hooks/set-state-in-effect -- the URL is only readable after mount
  }, [action, isDisabled]);
  const { title, description } = dialogContent(action, env, git, usage);
  if (disabled && !open) return disabled;
  return (
    <Dialog
      open={open}
      onOpenChange={setOpen}
      trigger={<Button variant={action === "branch" ? "primary" : "secondary"}>{LABEL[action]}</Button>}
      title={title}
      description={description}
    >
      {/* The body mounts with each opening, so a reopened dialog starts afresh. */}
      <ActionDialogBody action={action} projectId={projectId} env={env} git={git} usage={usage} onDone={onDone} />
    </Dialog>
  );
}

function ActionDialogBody({ action, projectId, env, git, usage, onDone }: { action: EnvironmentAction; projectId: string; env: EnvironmentView; git: EnvironmentGitFacts; usage: ProjectOverview["usage"]; onDone: () => void }) {
  const [state, formAction] = useActionState(environmentAction, null);
  const queryClient = useQueryClient();
  const live = useProjectEventsLive();
  const watchActivity = useWatchActivity();
  const errors = state && !state.ok ? state.fieldErrors : undefined;
  const handled = useRef<unknown>(null);
  useEffect(() => {
    if (state?.ok && handled.current !== state) {
      handled.current = state;
      // The activity is committed: with the event stream open, its event refetches these (once).
      if (!live) {
        void queryClient.invalidateQueries({ queryKey: queryKeys.overview(projectId) });
        void queryClient.invalidateQueries({ queryKey: queryKeys.activityStream(projectId) });
      }
      // Shown in the activity lists at once; the refetch the event stream asks for confirms it.
      showQueuedActivity(queryClient, projectId, state.data.activity, state.data.environments);
      watchActivity({ projectId, activityId: state.data.activityId });
      onDone();
    }
  }, [state, queryClient, projectId, onDone, watchActivity, live]);

  const { fields, submit, danger } = dialogContent(action, env, git, usage, errors, state?.values);
  if (state?.ok) return <QueuedNotice projectId={projectId} activityId={state.data.activityId} />;
  return (
    <form action={formAction} className="space-y-4" noValidate>
      <input type="hidden" name="projectId" value={projectId} />
      <input type="hidden" name="environment" value={env.name} />
      <input type="hidden" name="action" value={action} />
      {state && !state.ok && !state.fieldErrors ? <Alert tone="error">{state.error}</Alert> : null}
      {fields}
      <DialogActions variant={danger ? "danger" : "primary"} pendingText="Queuing…">{submit}</DialogActions>
    </form>
  );
}

function dialogContent(action: EnvironmentAction, env: EnvironmentView, git: EnvironmentGitFacts, usage: ProjectOverview["usage"], errors?: Record<string, string[]>, values?: Record<string, string>) {
  const parent = env.parentName ?? "its parent";
  // Pro counts its Integration environments only (Production and Staging are outside the limit).
  const countsIntegrationOnly = usage.label.includes("Integration");
  const planFull = usage.used >= usage.limit;
  const confirm = (verb: string): ReactNode => (
    <Field id={`${action}-confirmation`} label={`Type ${env.name} to ${verb}`} errors={errors?.confirmation}>
      <Input id={`${action}-confirmation`} name="confirmation" autoComplete="off" spellCheck={false} className="font-mono" {...describedBy(`${action}-confirmation`, errors?.confirmation)} />
    </Field>
  );
  switch (action) {
    case "branch":
      return {
        title: `Branch from ${env.title}`,
        description: `Creates a git branch at ${env.title}'s deployed commit and a child environment with a copy of its data, then deploys it${planFull ? " if the plan has room" : ""}.`,
        submit: "Branch",
        fields: (
          <>
            {planFull ? (
              <Alert tone="info">
                {countsIntegrationOnly
                  ? `The plan's ${usage.limit} active ${typeLabel("development")} environments are all in use: a new ${typeLabel("development")} environment is created inactive (a ${typeLabel("staging")} one is deployed); deactivate another to activate it.`
                  : `The plan's ${usage.limit} active environments are all in use: the new environment is created inactive; deactivate another to activate it.`}
              </Alert>
            ) : null}
            <Field id="branch-name" label="Name" hint="1–32 characters: lowercase letters, digits and dashes. It is also the git branch." errors={errors?.name}>
              <Input id="branch-name" name="name" required autoComplete="off" spellCheck={false} className="font-mono" defaultValue={values?.name} {...describedBy("branch-name", errors?.name, true)} />
            </Field>
            <Field id="branch-title" label="Title" hint="Optional; the name is used when empty." errors={errors?.title}>
              <Input id="branch-title" name="title" defaultValue={values?.title} {...describedBy("branch-title", errors?.title, true)} />
            </Field>
            <Field id="branch-type" label="Type" errors={errors?.type}>
              <Select id="branch-type" name="type" defaultValue={values?.type ?? "development"}>
                <option value="development">{typeLabel("development")}</option>
                <option value="staging">{typeLabel("staging")}</option>
              </Select>
            </Field>
          </>
        ),
      };
    case "merge":
      return {
        title: `Merge ${env.name} into ${parent}`,
        description: `A git merge of ${env.name} into ${parent} (fast-forward when possible), then ${parent} redeploys and keeps its own data. A conflict changes nothing.`,
        submit: `Merge into ${parent}`,
        fields:
          git.ahead.length === 0 ? (
            <Alert tone="info">{parent} already has every commit of {env.name}: the merge will only redeploy {parent}.</Alert>
          ) : (
            <div>
              <p className="mb-2 text-sm font-medium">
                {git.ahead.length} commit{git.ahead.length === 1 ? "" : "s"} will be merged:
              </p>
              <ul className="max-h-48 space-y-1 overflow-auto rounded border border-border p-2 text-sm">
                {git.ahead.map((c) => (
                  <li key={c.sha}>
                    <code className="text-xs text-muted">{c.sha.slice(0, 7)}</code> {c.subject} <span className="text-muted">— {c.author}</span>
                  </li>
                ))}
              </ul>
            </div>
          ),
      };
    case "sync":
      return {
        title: `Sync ${env.name} from ${parent}`,
        description: `Brings ${parent}'s code and/or data into ${env.name}, then ${env.name} redeploys. ${parent} does not change.`,
        submit: "Sync",
        danger: false,
        fields: (
          <>
            <p className="text-sm">
              {env.name} is <strong>{git.behind}</strong> commit{git.behind === 1 ? "" : "s"} behind and <strong>{git.ahead.length}</strong> ahead of {parent}.
              {git.ahead.length > 0 ? ` Its own commits block a fast-forward: rebase them on ${parent}, or merge them into ${parent} first.` : ""}
            </p>
            <fieldset className="space-y-2 text-sm" aria-describedby={errors?.code ? "sync-error" : undefined}>
              <legend className="font-medium">What to sync</legend>
              <label className="flex items-start gap-2">
                <input type="checkbox" name="code" defaultChecked={git.behind > 0} className="mt-1" />
                <span>
                  Code: bring {parent}&apos;s {git.behind} new commit{git.behind === 1 ? "" : "s"} into {env.name}
                  {git.behind === 0 ? <span className="text-muted"> (nothing to bring: {env.name} has every commit of {parent})</span> : null}
                </span>
              </label>
              <label className="flex items-start gap-2">
                <input type="checkbox" name="data" className="mt-1" />
                <span>
                  Data: <strong>replace {env.name}&apos;s data</strong> (database and files) with a copy of {parent}&apos;s
                </span>
              </label>
              {git.ahead.length > 0 && git.behind > 0 ? (
                <label className="flex items-start gap-2">
                  <input type="checkbox" name="rebase" className="mt-1" />
                  <span>Rebase {env.name}&apos;s own commits on {parent}; without it, a Sync of code is refused while {env.name} has commits of its own</span>
                </label>
              ) : null}
              {errors?.code ? (
                <p id="sync-error" className="text-danger">
                  {errors.code.join(" ")}
                </p>
              ) : null}
            </fieldset>
          </>
        ),
      };
    case "activate":
      return {
        title: `Activate ${env.title}`,
        description: env.parentName
          ? `Copies ${env.parentName}'s data into ${env.name} and deploys its branch. It counts towards the plan's active environments.`
          : `Deploys ${env.name}'s branch; it has no parent, so its data starts empty.${env.type === "development" ? "" : " It counts towards the plan's active environments."}`,
        submit: "Activate",
        fields: null,
      };
    case "redeploy":
      return { title: `Redeploy ${env.title}`, description: "Builds (or reuses the build) and deploys the current commit again. No new commit is needed.", submit: "Redeploy", fields: null };
    case "deactivate":
      return {
        title: `Deactivate ${env.title}?`,
        description: `Destroys ${env.name}'s deployment and its data: every service's data (databases, search indexes, queues) and every mount (uploaded files). The git branch ${env.name} stays, so it can be activated again later${env.parentName ? ` (with a fresh copy of ${parent}'s data)` : " (its data then starts empty)"}.`,
        submit: "Deactivate and delete data",
        danger: true,
        fields:
          env.type === "development" ? (
            confirm("deactivate it")
          ) : (
            <>
              <Alert tone="error">
                {env.title} is {typeLabel(env.type) === "Production" ? "the project's Production" : `a ${typeLabel(env.type)} environment`}: its service data and mounts are destroyed, not kept anywhere. Take a snapshot first to keep them.
              </Alert>
              {confirm("deactivate it")}
            </>
          ),
      };
    case "delete":
      return {
        title: `Delete ${env.title}?`,
        description: `Deletes the environment and its git branch ${env.name}. This cannot be undone.`,
        submit: "Delete environment and branch",
        danger: true,
        fields: confirm("delete it"),
      };
    default:
      return { title: LABEL[action], description: "", submit: LABEL[action], fields: null };
  }
}

function EditEnvironmentDialog({ projectId, env, shown }: { projectId: string; env: EnvironmentView; shown: readonly EnvironmentView[] }) {
  const [state, formAction] = useActionState(editEnvironmentAction, null);
  const errors = state && !state.ok ? state.fieldErrors : undefined;
  return (
    <Dialog trigger={<Button variant="ghost">Edit</Button>} title={`Edit ${env.title}`} description="The title shown in the console, and the environment this one branches from, merges into and syncs from.">
      <form action={formAction} className="space-y-4" noValidate>
        <input type="hidden" name="projectId" value={projectId} />
        <input type="hidden" name="environment" value={env.name} />
        {state?.ok ? <Alert tone="success">Saved.</Alert> : null}
        {state && !state.ok && !state.fieldErrors ? <Alert tone="error">{state.error}</Alert> : null}
        <Field id="edit-title" label="Title" errors={errors?.title}>
          <Input id="edit-title" name="title" defaultValue={state?.values?.title ?? env.title} {...describedBy("edit-title", errors?.title)} />
        </Field>
        {env.parentName ? (
          <Field id="edit-parent" label="Parent" hint="Not itself or one of its descendants." errors={errors?.parent}>
            <ParentSelect projectId={projectId} env={env} shown={shown} defaultValue={state?.values?.parent ?? env.parentName} errors={errors?.parent} />
          </Field>
        ) : null}
        <DialogActions pendingText="Saving…" close="Close">Save</DialogActions>
      </form>
    </Dialog>
  );
}

/** Every environment it may move under: the overview's, and (loaded when the dialog opens) the inactive ones it folds. */
function ParentSelect({ projectId, env, shown, defaultValue, errors }: { projectId: string; env: EnvironmentView; shown: readonly EnvironmentView[]; defaultValue: string; errors?: string[] }) {
  const { data: inactive = [] } = useInactiveEnvironments(projectId);
  const ids = new Set(shown.map((e) => e.id));
  const parents = possibleParents(env, [...shown, ...inactive.filter((e) => !ids.has(e.id))]).map((e) => e.name);
  return (
    <Select id="edit-parent" name="parent" defaultValue={defaultValue} {...describedBy("edit-parent", errors, true)}>
      {parents.map((p) => (
        <option key={p} value={p}>
          {p}
        </option>
      ))}
    </Select>
  );
}
