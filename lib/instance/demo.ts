import "server-only";
import { count, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { instanceSettings, projects, type User } from "@/db/schema";
import { createProject } from "@/lib/projects/create-project";

const INITIALIZED = "initialized";
const DEMO_PENDING = "demo_pending";

/**
 * Records the first start of an empty database. When the demo is wanted it stays
 * pending until the first administrator exists, who then owns it.
 */
export async function markFirstStart(db: Db, seedDemo: boolean): Promise<boolean> {
  const inserted = await db
    .insert(instanceSettings)
    .values({ key: INITIALIZED, value: { at: new Date().toISOString() } })
    .onConflictDoNothing()
    .returning();
  if (inserted.length === 0) return false;
  const [row] = await db.select({ n: count() }).from(projects);
  if (seedDemo && (row?.n ?? 0) === 0) {
    await db.insert(instanceSettings).values({ key: DEMO_PENDING, value: true }).onConflictDoNothing();
  }
  return true;
}

/** Seeds "Demo Store" (Starter) for `owner` once, if the first start asked for it. */
export async function seedDemoIfPending(db: Db, owner: User): Promise<boolean> {
  if (!owner.isAdmin) return false;
  const claimed = await db.delete(instanceSettings).where(eq(instanceSettings.key, DEMO_PENDING)).returning();
  if (claimed.length === 0) return false;
  await createProject(db, owner, { id: "demo-store", title: "Demo Store", plan: "starter", region: "us-3" });
  return true;
}
