/** The environments domain's kinds of activity: what the engine needs to know of each. Pure. */
import { z } from "zod";
import { defineActivityKinds } from "@/lib/activities/activity-kind";

const sha = z.string().regex(/^[0-9a-f]{40}$/, "a commit id of 40 hex digits");
const name = z.string().min(1).max(100);
const none = z.object({}).strict();
/** Changes the environment's code or data: an active one is "dirty" while it runs. */
const changes = (success: "active" | "inactive", failure: "active" | "inactive") => ({ dirtyWhileRunning: true, success, failure });

export const environmentActivityKinds = defineActivityKinds({
  "environment.initialize": { label: "Initialize", parameters: none, status: changes("active", "inactive"), deploys: true },
  "environment.branch": {
    label: "Branch",
    parameters: z.object({ parent: name, commit: sha, activate: z.boolean(), inactiveReason: z.string().max(500).optional() }).strict(),
    status: changes("active", "inactive"),
    deploys: true,
    reservesEnvironment: true,
  },
  "environment.activate": { label: "Activate", parameters: none, status: changes("active", "inactive"), deploys: true },
  "environment.deactivate": { label: "Deactivate", parameters: none, status: { dirtyWhileRunning: false, success: "inactive", failure: "active" }, deploys: false, runtime: true },
  "environment.delete": { label: "Delete", parameters: none, status: changes("inactive", "inactive"), deploys: false, runtime: true },
  "environment.merge": { label: "Merge", parameters: z.object({ source: name, target: name }).strict(), status: changes("active", "active"), deploys: true },
  "environment.synchronize": {
    label: "Sync",
    parameters: z.object({ source: name, code: z.boolean(), data: z.boolean(), rebase: z.boolean() }).strict(),
    status: changes("active", "active"),
    deploys: true,
  },
  "environment.redeploy": { label: "Redeploy", parameters: none, status: changes("active", "active"), deploys: true },
  // Switches to an earlier deployment's kept build, without building (its commit, the variables of now).
  "environment.rollback": { label: "Roll back", parameters: z.object({ deploymentId: z.uuid(), commit: sha }).strict(), status: changes("active", "active"), deploys: true },
  "environment.push": { label: "Push", parameters: z.object({ before: sha, after: sha }).strict(), status: changes("active", "active"), deploys: true },
  // Settings the router enforces: a deploy applies them (an inactive environment's are applied when it is activated).
  "environment.update.http_access": { label: "Access control", parameters: none, status: changes("active", "active"), deploys: true },
  "environment.update.restrict_robots": { label: "Search engine visibility", parameters: none, status: changes("active", "active"), deploys: true },
  // The SMTP endpoint reads it when a deploy's hooks start: nothing to redeploy.
  "environment.update.smtp": { label: "Outgoing e-mail", parameters: z.object({ enabled: z.boolean() }).strict(), status: null, deploys: false, runs: false },
  "environment.pause": { label: "Pause", parameters: none, status: { dirtyWhileRunning: false, success: "active", failure: "active" }, deploys: false, runtime: true },
  "environment.resume": { label: "Resume", parameters: none, status: { dirtyWhileRunning: false, success: "active", failure: "active" }, deploys: false, runtime: true },
  // A cron of the deployed application, run once beside its release (on its schedule, or Run now): its output is the log and cron.log.
  // Crons and operations change no status: the environment stays as it was, and nothing is written for it when they end.
  "environment.cron": { label: "Cron", parameters: z.object({ cron: z.string().regex(/^[a-z0-9_-]{1,64}$/, "a cron's name"), scheduledFor: z.iso.datetime().optional() }).strict(), status: null, deploys: false, runtime: true },
  // A runtime operation of the deployed application (operations:), run once beside its release by a member its role allows.
  // Pause crons / Resume crons: the scheduler starts none of the environment's crons meanwhile (nothing to run: recorded done).
  "environment.crons.pause": { label: "Pause crons", parameters: none, status: null, deploys: false, runs: false },
  "environment.crons.resume": { label: "Resume crons", parameters: none, status: null, deploys: false, runs: false },
  "environment.operation": { label: "Runtime operation", parameters: z.object({ operation: z.string().regex(/^[a-z0-9_-]{1,64}$/, "an operation's name"), role: z.enum(["viewer", "contributor", "admin"]).optional() }).strict(), status: null, deploys: false, runtime: true },
});

export type EnvironmentActivityKinds = typeof environmentActivityKinds;
