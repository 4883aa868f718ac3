import "server-only";
import { and, eq } from "drizzle-orm";
import { listenToChannel, type Db } from "@/db/client";
import { activities, activityEnvironments, environments, type EnvironmentType } from "@/db/schema";
import { ACTIVITY_CHANNEL, PROJECT_CHANNEL, parseActivityEvent, parseProjectChange, type ProjectChange } from "./notify";

/**
 * What a project's open pages hear: an activity of theirs changed state (queued, started, a
 * phase, progress, ended), or something else of the project changed (notifyProjectChange).
 */
export type ProjectEvent = ProjectActivityEvent | ProjectChangeEvent;

export interface ProjectActivityEvent {
  kind: "activity";
  activityId: string;
  /** Its state now, so a page can show "Running" before its refetch returns. */
  state: "pending" | "in_progress" | "complete" | "cancelled";
  /** The environment it makes busy (null: none, as a live snapshot's). */
  environmentId: string | null;
  description: string;
  /** The activity has ended (complete or cancelled): what the server rendered from it may have changed too. */
  ended: boolean;
  /** The type of the activity's environment, so each listener sees only what its user may see (null: no environment any more). */
  environmentType: EnvironmentType | null;
}

export interface ProjectChangeEvent {
  kind: "change";
  change: ProjectChange;
  /** The type of the environment it concerns (null: the whole project), so each listener hears only what its user may see. */
  environmentType: EnvironmentType | null;
}

type Listener = (event: ProjectEvent) => void;
interface Hub {
  listeners: Map<string, Set<Listener>>;
  /** activity → project and environment type (an activity never moves). */
  owners: Map<string, { projectId: string; environmentType: EnvironmentType | null }>;
  /** Each channel's LISTEN (null: not listening; the next subscriber tries again). */
  listening: { activity: Promise<unknown> | null; change: Promise<unknown> | null };
}

const key = Symbol.for("pwi.project-events");
type G = typeof globalThis & { [key]?: WeakMap<Db, Hub> };
const OWNERS_KEPT = 10_000;

/**
 * The process's one LISTEN per channel for every open project page: each activity's NOTIFY
 * (from this process or any worker sharing the database) is looked up once and fanned out to
 * the listeners of its project, and so is each project change. Log lines are not sent here
 * (the log page has its own stream).
 */
function hub(db: Db): Hub {
  const g = globalThis as G;
  const all = (g[key] ??= new WeakMap());
  let h = all.get(db);
  if (!h) all.set(db, (h = { listeners: new Map(), owners: new Map(), listening: { activity: null, change: null } }));
  const self = h;
  const listen = (name: keyof Hub["listening"], channel: string, onMessage: (payload: string) => void) => {
    self.listening[name] ??= listenToChannel(db, channel, onMessage).catch((err) => {
      console.error(`[project-events] LISTEN ${channel} failed; pages fall back to polling:`, err);
      self.listening[name] = null;
    });
  };
  const onActivity = (payload: string) => {
    const event = parseActivityEvent(payload);
    if (!event || event.kind !== "state" || self.listeners.size === 0) return;
    void ownerOf(db, self, event.activityId).then(async (owner) => {
      if (!owner) return;
      const [row] = await db
        .select({ state: activities.state, environmentId: activities.environmentId, description: activities.description })
        .from(activities)
        .where(eq(activities.id, event.activityId))
        .catch(() => []);
      if (!row) return;
      const ended = row.state === "complete" || row.state === "cancelled";
      const occupied = ended || !row.environmentId ? [] : await db.select({ id: activityEnvironments.environmentId }).from(activityEnvironments).where(and(eq(activityEnvironments.activityId, event.activityId), eq(activityEnvironments.environmentId, row.environmentId))).catch(() => []);
      const environmentId = occupied.length > 0 ? row.environmentId : null;
      for (const listener of self.listeners.get(owner.projectId) ?? []) listener({ kind: "activity", activityId: event.activityId, ...row, environmentId, ended, environmentType: owner.environmentType });
    });
  };
  const onChange = (payload: string) => {
    const notice = parseProjectChange(payload);
    if (!notice) return;
    for (const listener of self.listeners.get(notice.projectId) ?? []) listener({ kind: "change", change: notice.change, environmentType: notice.environmentType });
  };
  listen("activity", ACTIVITY_CHANNEL, onActivity);
  listen("change", PROJECT_CHANNEL, onChange);
  return self;
}

async function ownerOf(db: Db, h: Hub, activityId: string) {
  const known = h.owners.get(activityId);
  if (known) return known;
  const [row] = await db
    .select({ projectId: activities.projectId, environmentType: environments.type })
    .from(activities)
    .leftJoin(environments, eq(environments.id, activities.environmentId))
    .where(eq(activities.id, activityId))
    .catch(() => []);
  if (!row) return null;
  if (h.owners.size >= OWNERS_KEPT) h.owners.delete(h.owners.keys().next().value!);
  h.owners.set(activityId, row);
  return row;
}

/** Hears the project's activity changes and other changes until the returned function is called. */
export async function subscribeToProject(db: Db, projectId: string, listener: Listener): Promise<() => void> {
  const h = hub(db);
  await Promise.all([h.listening.activity, h.listening.change]);
  let set = h.listeners.get(projectId);
  if (!set) h.listeners.set(projectId, (set = new Set()));
  set.add(listener);
  return () => {
    set.delete(listener);
    if (set.size === 0) h.listeners.delete(projectId);
  };
}
