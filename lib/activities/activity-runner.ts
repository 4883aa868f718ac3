import "server-only";
import type { Db } from "@/db/client";
import type { Activity, Environment } from "@/db/schema";
import type { ActivityLog } from "./activity-log";
import type { ActivityKindSpecs, KindParameters, RunnableKinds } from "./activity-kind";
import type { Tx } from "./queue";

export interface HandlerContext {
  db: Db;
  activity: Activity;
  environment: Environment;
  log: ActivityLog;
  signal: AbortSignal;
  onPhase: (phase: "build" | "deploy") => Promise<void>;
  /** Percent done, for work that can tell (stored at most once a second). */
  setProgress: (percent: number) => void;
}

export type HandlerOutcome = { ok: true; statusAfter?: Environment["status"] } | { ok: false; message: string; cancelled?: boolean };

/** How the server runs one kind, and how recovery cleans up when its worker died mid-way. */
export interface ActivityRunner<P> {
  run(ctx: HandlerContext, parameters: P): Promise<HandlerOutcome>;
  /**
   * In the transaction that fails the abandoned activity: remove what it left half-made.
   * `parameters` are its kind's, checked; null when the stored ones do not match (the worker logs which activity).
   */
  abandon?(tx: Tx, activity: Activity, parameters: P | null): Promise<void>;
}

/** A runner for every kind of `K`, each receiving its kind's parameters: the compiler checks both. */
export type ActivityRunners<K extends ActivityKindSpecs> = { [T in keyof RunnableKinds<K>]: ActivityRunner<KindParameters<K, T>> };

/** What the worker is given: every kind and its runner. */
export interface ActivityRegistry {
  kinds: ActivityKindSpecs;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each runner takes its own kind's parameters
  runners: Record<string, ActivityRunner<any>>;
  /** Values every activity of the project keeps out of its log (`******`): its sensitive variables, relay passwords. */
  secrets?: (db: Db, projectId: string) => Promise<string[]>;
}
