/**
 * What the engine knows of a kind of activity. Each domain declares its kinds (a spec, pure
 * and safe for the browser: label, parameters, statuses) and, on the server, how to run them;
 * lib/activity-kinds.ts composes every domain's kinds into the one registry that the worker,
 * the filters, the labels and the topology derive from. The engine itself knows no domain.
 */
import type { z } from "zod";
import type { EnvironmentStatus } from "@/db/schema";

export interface ActivityKindSpec<P extends z.ZodType = z.ZodType> {
  /** The platform's word for it, as lists and filters show it ("Sync", "Snapshot"). */
  label: string;
  /** Its parameters: checked when it is enqueued and again before it runs. */
  parameters: P;
  /**
   * The statuses it gives its environment: "dirty" while it runs (when it changes an active
   * environment's code or data), then on success and on failure. null: it changes no status
   * (a live snapshot runs beside other activities).
   */
  status: { dirtyWhileRunning: boolean; success: EnvironmentStatus; failure: EnvironmentStatus } | null;
  /** It ends with a deploy (the topology's deploy history lists it). */
  deploys: boolean;
  /**
   * It starts or stops its environment's processes without deploying (Pause, Resume, Deactivate,
   * Delete). Such kinds, and every kind that deploys, run only in a worker of the process that
   * hosts environments (the server's own, beside the environment router): see RUNTIME_QUEUE.
   */
  runtime?: boolean;
  /** It reserved its environment when requested (Branch): cancelled before it started, that environment goes away. */
  reservesEnvironment?: boolean;
  /**
   * false: recorded done when it happens (a setting saved that needs no work), never queued, so
   * it has no runner; `enqueueActivity` refuses it.
   */
  runs?: false;
  /** "project": about the project, not an environment (a project variable saved); always `runs: false`, recorded with recordProjectActivity. */
  level?: "project";
}

export type ActivityKindSpecs = Record<string, ActivityKindSpec>;

/** Declares a domain's kinds, keeping each kind's literal type and parameter schema for the compiler. */
export function defineActivityKinds<const K extends ActivityKindSpecs>(kinds: K): K {
  return kinds;
}

/** The kinds of `K` that run in a worker (every kind but those declared `runs: false`). */
export type RunnableKinds<K extends ActivityKindSpecs> = { [T in keyof K as K[T] extends { runs: false } ? never : T]: K[T] };

/** The parameters of kind `T` of `K`, as a run receives them. */
export type KindParameters<K extends ActivityKindSpecs, T extends keyof K> = z.output<K[T]["parameters"]>;
