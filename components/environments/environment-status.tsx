import type { EnvironmentView } from "@/lib/environments/overview";

const TYPE_LABEL = { production: "Production", staging: "Staging", development: "Integration" } as const;

/** The environment's type; a Pro project's root branch (master, of no type of its own) says "Root". */
export function TypeBadge({ type, isRoot = false }: { type: EnvironmentView["type"]; isRoot?: boolean }) {
  const tone = type === "production" ? "border-accent/40 text-accent" : type === "staging" ? "border-focus/40 text-focus" : "border-border text-muted";
  return <span className={`rounded-full border px-2 py-0.5 text-xs font-medium ${tone}`}>{isRoot && type === "development" ? "Root" : TYPE_LABEL[type]}</span>;
}

export function StatusDot({ env }: { env: Pick<EnvironmentView, "status" | "busy"> }) {
  if (env.busy || env.status === "dirty" || env.status === "deleting") {
    return <span aria-hidden className="inline-block size-2.5 animate-spin rounded-full border-2 border-accent border-r-transparent" />;
  }
  const color = env.status === "active" ? "bg-success" : "bg-muted/50";
  return <span aria-hidden className={`inline-block size-2.5 rounded-full ${color}`} />;
}

export function statusText(env: Pick<EnvironmentView, "status" | "busy"> & { paused?: boolean }): string {
  if (env.busy) return `${env.busy.state === "in_progress" ? "Running" : "Pending"}: ${env.busy.description}`;
  if (env.paused) return "Paused";
  return { active: "Active", inactive: "Inactive", dirty: "Changing", deleting: "Deleting" }[env.status];
}

/**
 * "Variables changed — redeploy to apply": its variables differ from what its last deploy got.
 * Hidden while an activity runs on it (that activity's deploy may apply them).
 */
export function VariablesChangedBadge({ env, short = false }: { env: Pick<EnvironmentView, "variablesChanged" | "busy">; short?: boolean }) {
  if (!env.variablesChanged || env.busy) return null;
  return (
    <span className="rounded-full bg-accent-soft px-2 py-0.5 text-xs font-medium text-accent" title="The last deploy ran with other variables: Redeploy applies the current ones." data-testid="variables-changed">
      {short ? "Variables changed" : "Variables changed — redeploy to apply"}
    </span>
  );
}

/** "Settings changed — redeploy to apply": the router still enforces what its last deploy kept (a parent's change it inherits, too). */
export function SettingsChangedBadge({ env, short = false }: { env: Pick<EnvironmentView, "settingsChanged" | "busy">; short?: boolean }) {
  if (!env.settingsChanged || env.busy) return null;
  return (
    <span className="rounded-full bg-accent-soft px-2 py-0.5 text-xs font-medium text-accent" title="The router enforces the settings of the last deploy: Redeploy applies the current ones." data-testid="settings-changed">
      {short ? "Settings changed" : "Settings changed — redeploy to apply"}
    </span>
  );
}
