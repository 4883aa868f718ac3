"use client";

import { useActionState, useState } from "react";
import { QueuedNotice } from "@/components/activities/queued-notice";
import { Alert } from "@/components/ui/alert";
import { Field, Input, Textarea, describedBy } from "@/components/ui/field";
import { PasswordInput } from "@/components/ui/password-input";
import { SubmitButton } from "@/components/ui/submit-button";
import { useResetKey } from "@/components/ui/use-reset-key";
import { saveEnvironmentSettingsAction } from "@/lib/actions/settings-actions";
import { PauseToggleForm } from "./pause-toggle-form";
import type { EnvironmentSettingsView } from "@/lib/environments/settings";

/**
 * An environment's router settings: HTTP access control (logins and address rules) and
 * search-engine visibility. Saving records an activity that redeploys the environment, so
 * the router applies them; the notice follows it. `disabledReason`: why this user cannot change them.
 */
export function EnvironmentSettingsForm({
  projectId,
  environment,
  isProduction,
  settings,
  disabledReason,
}: {
  projectId: string;
  environment: string;
  isProduction: boolean;
  settings: EnvironmentSettingsView;
  disabledReason?: string;
}) {
  const [state, action] = useActionState(saveEnvironmentSettingsAction, null);
  const [enabled, setEnabled] = useState(settings.httpAccess.enabled);
  const [inherit, setInherit] = useState(settings.inheritedFrom !== null);
  const [rules, setRules] = useState(settings.httpAccess.rules.map((r) => `${r.address} ${r.action}`).join("\n"));
  const errors = state && !state.ok ? state.fieldErrors : undefined;
  const disabled = Boolean(disabledReason);
  const resetKey = useResetKey(state);
  return (
    <form key={resetKey} action={action} className="space-y-5" noValidate aria-label="Settings the router enforces">
      <input type="hidden" name="projectId" value={projectId} />
      <input type="hidden" name="environment" value={environment} />
      {disabledReason ? <p className="text-sm text-muted">{disabledReason}</p> : null}
      {state?.ok && state.data.activityId ? <QueuedNotice key={state.data.activityId} projectId={projectId} activityId={state.data.activityId} what={`Saved. The redeploy of ${environment} with the new settings`} inDialog={false} /> : null}
      {state?.ok && !state.data.activityId ? <Alert tone="info">Nothing changed.</Alert> : null}
      {state && !state.ok && !state.fieldErrors ? <Alert tone="error">{state.error}</Alert> : null}

      <fieldset className="min-w-0 space-y-3" disabled={disabled}>
        <legend className="text-base font-semibold">HTTP access control</legend>
        {settings.parentTitle ? (
          <div className="space-y-1">
            <label className="flex items-center gap-2 text-sm">
              <input type="checkbox" name="inheritAccess" checked={inherit} onChange={(e) => setInherit(e.target.checked)} className="size-4 accent-[var(--accent)]" />
              Use {settings.parentTitle}&apos;s access control
            </label>
            <p className="text-xs text-muted [overflow-wrap:anywhere]">
              {inherit
                ? `${settings.inheritedFrom ?? settings.parentTitle}'s settings apply (shown below); a change there reaches ${environment} at its next deploy.`
                : settings.inheritedFrom !== null
                  ? `Saving gives ${environment} its own access control (below); changes to ${settings.inheritedFrom}'s no longer reach it.`
                  : !settings.httpAccess.enabled
                    ? `${environment} has no access control of its own (none was set): its site is open to anyone with its address. Tick to use ${settings.parentTitle}'s.`
                    : `${environment} has its own access control. Tick to follow ${settings.parentTitle}'s again.`}
            </p>
          </div>
        ) : null}
        <fieldset className="min-w-0 space-y-3" disabled={disabled || inherit}>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" name="enabled" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} className="size-4 accent-[var(--accent)]" />
          Protect this environment&apos;s site
        </label>
        <p className="text-xs text-muted [overflow-wrap:anywhere]">
          A valid login passes whatever the address rules say; otherwise the first rule that matches the visitor&apos;s address decides; when rules exist and none matches, the visitor is refused.
          Branches made from {environment} follow its access control until they are given their own.
        </p>
        <div className="space-y-2">
          <h3 className="text-sm font-medium">Logins</h3>
          {settings.httpAccess.usernames.length === 0 ? <p className="text-sm text-muted">No logins yet.</p> : null}
          <ul className="space-y-1 text-sm" aria-label="Logins">
            {settings.httpAccess.usernames.map((u) => (
              <li key={u} className="flex items-center gap-3">
                <code className="font-mono">{u}</code>
                <span className="text-xs text-muted">password saved (never shown)</span>
                <label className="ml-auto flex items-center gap-1.5 text-xs">
                  <input type="checkbox" name="removeUsername" value={u} className="size-4 accent-[var(--accent)]" /> Remove
                </label>
              </li>
            ))}
          </ul>
          <div className="grid gap-3 sm:grid-cols-2">
            <Field id="newUsername" label="Add a login: username" errors={errors?.newUsername}>
              <Input id="newUsername" name="newUsername" autoComplete="off" defaultValue={state && !state.ok ? state.values?.newUsername : ""} {...describedBy("newUsername", errors?.newUsername)} />
            </Field>
            <Field id="newPassword" label="Password" hint="Stored hashed; a username that exists gets this new password." errors={errors?.newPassword}>
              <PasswordInput id="newPassword" name="newPassword" autoComplete="new-password" {...describedBy("newPassword", errors?.newPassword, true)} />
            </Field>
          </div>
        </div>
        <Field
          id="rules"
          label="Address rules, one per line"
          hint={<>Like <code>203.0.113.0/24 allow</code>, <code>2001:db8::/32 deny</code>; IPv4 and IPv6, in order, at most 200.</>}
          errors={errors?.rules}
        >
          <Textarea
            id="rules"
            name="rules"
            rows={5}
            value={rules}
            onChange={(e) => setRules(e.target.value)}
            {...describedBy("rules", errors?.rules, true)}
          />
        </Field>
        </fieldset>
        {isProduction && errors?.confirmLockout ? (
          <div className="space-y-2">
            <Alert tone="error">{errors.confirmLockout.join(" ")}</Alert>
            <label className="flex items-center gap-2 text-sm">
              <input type="checkbox" name="confirmLockout" className="size-4 accent-[var(--accent)]" /> Save anyway: nobody can open Production&apos;s site
            </label>
          </div>
        ) : null}
      </fieldset>

      <fieldset className="min-w-0 space-y-2" disabled={disabled}>
        <legend className="text-base font-semibold">Outgoing e-mail</legend>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" name="outgoingEmail" defaultChecked={settings.outgoingEmail} className="size-4 accent-[var(--accent)]" />
          Let this environment send e-mail
        </label>
        <p className="text-xs text-muted [overflow-wrap:anywhere]">
          Hooks reach an SMTP endpoint at <code>$MAGENTO_CLOUD_SMTP_HOST:$MAGENTO_CLOUD_SMTP_PORT</code>. On: messages are kept in the{" "}
          <a className="text-accent underline" href={`/projects/${projectId}/environments/${environment}/mailbox`}>
            Mailbox
          </a>{" "}
          (not delivered). Off: each message is refused with an SMTP error that says so. On by default for Production only.
        </p>
        {isProduction ? (
          <fieldset className="min-w-0 space-y-3 rounded-md border border-border p-3">
            <legend className="px-1 text-sm font-medium">Relay (optional): also forward kept messages to an SMTP server</legend>
            <div className="grid gap-3 sm:grid-cols-[minmax(0,3fr)_minmax(0,1fr)]">
              <Field id="relayHost" label="Host" hint="Empty: no relay." errors={errors?.relay ?? errors?.relayHost}>
                <Input id="relayHost" name="relayHost" autoComplete="off" defaultValue={state && !state.ok ? state.values?.relayHost : (settings.relay?.host ?? "")} {...describedBy("relayHost", errors?.relay ?? errors?.relayHost, true)} />
              </Field>
              <Field id="relayPort" label="Port">
                <Input id="relayPort" name="relayPort" inputMode="numeric" defaultValue={state && !state.ok ? state.values?.relayPort : String(settings.relay?.port ?? 587)} {...describedBy("relayPort", undefined)} />
              </Field>
              <Field id="relayUsername" label="Username">
                <Input id="relayUsername" name="relayUsername" autoComplete="off" defaultValue={state && !state.ok ? state.values?.relayUsername : (settings.relay?.username ?? "")} {...describedBy("relayUsername", undefined)} />
              </Field>
              <Field id="relayPassword" label="Password" hint={settings.relay?.hasPassword ? "Saved (never shown): empty keeps it." : "Sealed like a sensitive variable."}>
                <PasswordInput id="relayPassword" name="relayPassword" autoComplete="new-password" {...describedBy("relayPassword", undefined, true)} />
              </Field>
            </div>
            <label className="flex items-center gap-2 text-sm">
              <input type="checkbox" name="relaySecure" defaultChecked={settings.relay?.secure ?? false} className="size-4 accent-[var(--accent)]" /> TLS from the start (port 465); otherwise STARTTLS when offered
            </label>
          </fieldset>
        ) : null}
      </fieldset>

      <fieldset className="min-w-0 space-y-2" disabled={disabled}>
        <legend className="text-base font-semibold">Search engines</legend>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" name="restrictRobots" defaultChecked={settings.restrictRobots} className="size-4 accent-[var(--accent)]" />
          Hide from search engines
        </label>
        <p className="text-xs text-muted [overflow-wrap:anywhere]">The router adds <code>X-Robots-Tag: noindex, nofollow</code> and answers <code>/robots.txt</code> with <code>Disallow: /</code>. On by default everywhere but Production.</p>
      </fieldset>

      <SubmitButton disabled={disabled} pendingText="Saving…">
        Save and redeploy
      </SubmitButton>
    </form>
  );
}


/** Pause (the site answers 503, data kept; asks once, saying so) or Resume. */
export function PauseForm({ projectId, environment, paused, disabledReason }: { projectId: string; environment: string; paused: boolean; disabledReason?: string }) {
  return (
    <PauseToggleForm projectId={projectId} environment={environment} pause={!paused} variant="settings" disabledReason={disabledReason}>
      <p className="text-sm">
        {paused
          ? `${environment} is paused: its site answers 503 and its data is kept. Resume, a push or a redeploy serves it again.`
          : `Pausing stops serving ${environment}'s site (visitors get 503) and keeps its data; it still counts towards the plan.`}
      </p>
    </PauseToggleForm>
  );
}
