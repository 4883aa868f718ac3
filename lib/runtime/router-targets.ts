import "server-only";
import fs from "node:fs";
import path from "node:path";
import { dataPaths } from "@/lib/paths";

/** Present in an environment's deploy folder while it is paused (a deploy removes it). */
export const PAUSED_FILE = "paused";

/** What the router serves for an environment: its current deployment's folder (null: none), and whether it is paused. */
export interface RouterTarget {
  deployDir: string | null;
  paused: boolean;
}

/** How long a resolved target is believed: a deploy or a pause in this process says so at once (forgetRouterTarget), one elsewhere within this. */
const BELIEVED_MS = 1000;
const key = Symbol.for("pwi.router-targets");
type G = typeof globalThis & { [key]?: Map<string, RouterTarget & { at: number }> };
const cache = () => ((globalThis as G)[key] ??= new Map());

/**
 * The environment's target, from its `current` link and pause marker, kept a second: each
 * request resolving the link and looking for the marker was a quarter of the router's time. A
 * request that reaches a release that has just stopped is sent on to the new one (the proxy's
 * retarget reads the link again).
 */
export function routerTarget(projectId: string, environmentName: string): RouterTarget {
  const id = `${projectId}/${environmentName}`;
  const now = Date.now();
  const known = cache().get(id);
  if (known && now - known.at < BELIEVED_MS) return known;
  const target = { ...readRouterTarget(projectId, environmentName), at: now };
  if (cache().size > 10_000) cache().clear();
  cache().set(id, target);
  return target;
}

/** The environment's target as its files say now (not kept). */
export function readRouterTarget(projectId: string, environmentName: string): RouterTarget {
  const dir = dataPaths.environmentDeploys(projectId, environmentName);
  let deployDir: string | null = null;
  try {
    deployDir = fs.realpathSync(path.join(dir, "current"));
  } catch {
    /* not deployed */
  }
  const paused = fs.statSync(path.join(dir, PAUSED_FILE), { throwIfNoEntry: false }) !== undefined;
  return { deployDir, paused };
}

type Listener = (projectId: string, environmentName: string) => void;
const listenersKey = Symbol.for("pwi.router-target-listeners");
type L = typeof globalThis & { [listenersKey]?: Set<Listener> };
const listeners = () => ((globalThis as L)[listenersKey] ??= new Set());

/** Calls `listener` at each forgetRouterTarget of this process (the router's nginx front keeps its links by it); returns the unsubscribe. */
export function onRouterTargetChange(listener: Listener): () => void {
  listeners().add(listener);
  return () => void listeners().delete(listener);
}

/** A deploy switched, a pause began or ended, or the environment went: the next request resolves its target again. */
export function forgetRouterTarget(projectId: string, environmentName: string): void {
  cache().delete(`${projectId}/${environmentName}`);
  for (const listener of listeners()) listener(projectId, environmentName);
}
