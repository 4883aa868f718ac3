import "server-only";
import type { z } from "zod";
import { getDb, type Db } from "@/db/client";
import type { Activity, Environment } from "@/db/schema";
import { toActivityView } from "@/lib/activities/activity-view";
import { getEnvironmentByName } from "@/lib/environments/queries";
import { getProjectAccess } from "@/lib/auth/project-access";
import { canSeeEnvironmentType, type ProjectAccess } from "@/lib/auth/permissions";
import { env } from "@/lib/env";
import { DomainError } from "@/lib/errors";
import { getRequestUser, type RequestUser } from "./request-user";

export interface ProjectRequest extends RequestUser {
  access: ProjectAccess;
  db: Db;
}

const notFound = () => Response.json({ error: "Not found." }, { status: 404 });

/**
 * For route handlers: the signed-in user (session or email + API token) and their access to
 * the project, or the answer to send instead — 401 without a user, 404 for a project they
 * may not see (whether it exists or not).
 */
export async function projectRequest(request: Request, projectId: string): Promise<ProjectRequest | { denied: Response }> {
  const auth = await getRequestUser(request);
  if (!auth) return { denied: Response.json({ error: "Sign in first, or send your email and an API token (HTTP basic auth)." }, { status: 401 }) };
  const db = await getDb();
  const access = await getProjectAccess(db, auth.user, projectId);
  if (!access) return { denied: notFound() };
  return { ...auth, access, db };
}

/** As projectRequest, plus the environment named by a route segment, of a type the user may see (else 404). */
export async function environmentRequest(request: Request, projectId: string, environmentSegment: string): Promise<(ProjectRequest & { env: Environment }) | { denied: Response }> {
  const r = await projectRequest(request, projectId);
  if ("denied" in r) return r;
  let name: string;
  try {
    name = decodeURIComponent(environmentSegment);
  } catch {
    return { denied: notFound() };
  }
  const env = await visibleEnvironment(r, name);
  return env ? { ...r, env } : { denied: notFound() };
}

/** The environment of that name, if the user may see its type (for `?environment=` filters). */
export async function visibleEnvironment(r: ProjectRequest, name: string): Promise<Environment | null> {
  const env = await getEnvironmentByName(r.db, r.access.project.id, name);
  return env && canSeeEnvironmentType(r.access, env.type) ? env : null;
}

/**
 * For route handlers that change something (POST): as environmentRequest, and a browser session's
 * request must come from this dashboard's own pages (its Origin's host is the request's Host), so a
 * page elsewhere cannot post with the user's cookie; a script with an API token (basic auth) sends
 * no Origin and needs none.
 */
export async function environmentChangeRequest(request: Request, projectId: string, environmentSegment: string): Promise<(ProjectRequest & { env: Environment }) | { denied: Response }> {
  const r = await environmentRequest(request, projectId, environmentSegment);
  if ("denied" in r) return r;
  if (r.expiresAt !== null && !isSameOrigin(request)) return { denied: Response.json({ error: "A browser may change things only from this dashboard's own pages; scripts use an API token (HTTP basic auth)." }, { status: 403 }) };
  return r;
}

export function isSameOrigin(request: Request, publicUrl = env().PUBLIC_URL): boolean {
  const origin = request.headers.get("origin");
  const host = request.headers.get("host");
  if (!origin) return false;
  try {
    const from = new URL(origin);
    // The dashboard's public address (behind a proxy that rewrites Host), or the host asked.
    if (publicUrl && from.origin === new URL(publicUrl).origin) return true;
    return !!host && from.host === host;
  } catch {
    return false;
  }
}

/** A DomainError as an API answer: 404, 403, 409 or 400 with its sentence. */
export function domainErrorResponse(err: unknown): Response {
  if (err instanceof DomainError) {
    const status = { not_found: 404, forbidden: 403, conflict: 409, locked: 409, invalid: 400, too_large: 413, length_required: 411 }[err.code];
    return Response.json({ error: err.message }, { status });
  }
  throw err;
}

/**
 * POST …/crons/<name>/runs and …/operations/<name>/runs: the run requested as the console does,
 * answered 202 with its activity and where its log is.
 */
export async function runNowResponse(request: Request, projectId: string, environmentSegment: string, run: (r: ProjectRequest & { env: Environment }) => Promise<Activity>): Promise<Response> {
  return changeResponse(request, projectId, environmentSegment, null, (r) => run(r));
}

/** The largest JSON body a POST of the API reads. */
const MAX_JSON_BODY = 16 * 1024;

/**
 * A request's JSON body, read up to MAX_JSON_BODY bytes (more: 413, whatever Content-Length
 * says) and checked by `schema` (a mismatch: 400 with the first problem, its field named).
 */
async function readJsonBody<T>(request: Request, schema: z.ZodType<T>): Promise<{ ok: true; body: T } | { ok: false; response: Response }> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body?.getReader();
  if (reader) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_JSON_BODY) {
        await reader.cancel().catch(() => undefined);
        return { ok: false, response: Response.json({ error: `The request body may be at most ${MAX_JSON_BODY / 1024} KiB of JSON.` }, { status: 413 }) };
      }
      chunks.push(value);
    }
  }
  let parsed: unknown;
  try {
    parsed = size === 0 ? {} : JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    return { ok: false, response: Response.json({ error: "The request body is not JSON." }, { status: 400 }) };
  }
  const checked = schema.safeParse(parsed);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    return { ok: false, response: Response.json({ error: `${issue.path.length ? `${issue.path.join(".")}: ` : ""}${issue.message}` }, { status: 400 }) };
  }
  return { ok: true, body: checked.data };
}

/** A POST that changes an environment: who may is checked as in the console; its JSON body (if `schema`) checked; 202 with the activity it recorded. */
export async function changeResponse<T>(request: Request, projectId: string, environmentSegment: string, schema: z.ZodType<T> | null, run: (r: ProjectRequest & { env: Environment }, body: T) => Promise<Activity>): Promise<Response> {
  const r = await environmentChangeRequest(request, projectId, environmentSegment);
  if ("denied" in r) return r.denied;
  let body = undefined as T;
  if (schema) {
    const read = await readJsonBody(request, schema);
    if (!read.ok) return read.response;
    body = read.body;
  }
  try {
    const activity = await run(r, body);
    return Response.json({ activity: toActivityView(activity) }, { status: 202, headers: { location: `/api/projects/${encodeURIComponent(projectId)}/activities/${activity.id}/log` } });
  } catch (err) {
    return domainErrorResponse(err);
  }
}
