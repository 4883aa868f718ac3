import "server-only";
import { eq } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { activities, type ActivityCommit } from "@/db/schema";
import { commitsBetween } from "@/lib/git/repository";

/** At most this many commits are kept with an activity (newest first). */
export const MAX_ACTIVITY_COMMITS = 50;

/** The commits `head` has that `base` (a commit or a branch) has not, newest first; [] when git cannot tell. */
export async function commitsBroughtIn(projectId: string, base: string, head: string): Promise<ActivityCommit[]> {
  try {
    return (await commitsBetween(projectId, base, head, MAX_ACTIVITY_COMMITS)).map(({ sha, subject, author }) => ({ sha, subject, author }));
  } catch {
    return [];
  }
}

/** Keeps the commits an activity brought in, for its page. */
export async function recordActivityCommits(db: Executor, activityId: string, commits: ActivityCommit[]): Promise<void> {
  if (commits.length === 0) return;
  await db.update(activities).set({ commits }).where(eq(activities.id, activityId));
}
