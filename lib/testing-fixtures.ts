// Test-only helpers for integration tests (never imported by the app).
import crypto from "node:crypto";
import { afterAll, beforeAll, vi } from "vitest";
import type { Db } from "@/db/client";
import type { SessionUser } from "@/lib/auth/permissions";
import { startActivityWorker, type Worker } from "@/lib/activity-runners";
import { getProjectAccess } from "@/lib/auth/project-access";
import { resetEnvForTests } from "@/lib/env";
import { createProject } from "@/lib/projects/create-project";
import type { LogSink } from "@/lib/runtime/log-sink";
import { createUser } from "@/lib/users/create-user";

export function uniqueEmail(prefix = "user"): string {
  return `${prefix}-${crypto.randomBytes(4).toString("hex")}@example.com`;
}

export async function makeUser(db: Db, opts: { isAdmin?: boolean; password?: string } = {}): Promise<SessionUser> {
  const user = await createUser(db, { name: "Test User", email: uniqueEmail(), password: opts.password ?? "password-123", isAdmin: opts.isAdmin });
  return { id: user.id, email: user.email, name: user.name, isAdmin: user.isAdmin };
}

export function uniqueProjectId(prefix = "proj"): string {
  return `${prefix}-${crypto.randomBytes(3).toString("hex")}`;
}

/** An instance administrator and a new Starter project of theirs (its first deploys queued), with their access to it. */
export async function starterProject(db: Db, prefix: string) {
  const admin = await makeUser(db, { isAdmin: true });
  const id = uniqueProjectId(prefix);
  await createProject(db, admin, { id, title: prefix, plan: "starter", region: "us-3" });
  return { admin, id, access: (await getProjectAccess(db, admin, id))! };
}

/** Runs `body` with an activity worker that is stopped afterwards, whatever happens. */
export async function withWorker<T>(db: Db, body: (worker: Worker) => Promise<T>): Promise<T> {
  const worker = startActivityWorker(db);
  try {
    return await body(worker);
  } finally {
    await worker.stop();
  }
}

/** A LogSink that keeps each line's text in `lines`. */
export function memoryLog(): LogSink & { lines: string[] } {
  const lines: string[] = [];
  return { lines, line: (text) => void lines.push(text), setSection: () => undefined, isBackedUp: () => false, drained: async () => undefined };
}

/**
 * For a test file whose tests are not about services: the projects it creates start from the
 * template without services (PROJECT_TEMPLATE_SERVICES=none), so their deploys start no MariaDB
 * or Redis. Call it at the top of the file. Files about services keep the template as it is.
 */
export function withoutTemplateServices(): void {
  beforeAll(() => {
    vi.stubEnv("PROJECT_TEMPLATE_SERVICES", "none");
    resetEnvForTests();
  });
  afterAll(() => {
    vi.unstubAllEnvs();
    resetEnvForTests();
  });
}
