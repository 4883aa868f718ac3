import "server-only";
import { notFound } from "next/navigation";
import { cache } from "react";
import { getDb } from "@/db/client";
import { requireSessionUser } from "@/lib/session/session";
import { canSeeEnvironmentType } from "@/lib/auth/permissions";
import { getEnvironmentByName } from "@/lib/environments/queries";
import { getProjectAccess } from "@/lib/auth/project-access";

/** For project pages and their metadata: the access, or a 404 for anyone who may not see it. */
export const getProjectForPage = cache(async (projectId: string) => {
  const user = await requireSessionUser();
  const access = await getProjectAccess(await getDb(), user, projectId);
  if (!access) notFound();
  return { user, access };
});

/**
 * For environment pages: the project (as getProjectForPage) and one of its environments the
 * user may see, or notFound() — whether missing or of a type without access.
 */
export const getEnvironmentForPage = cache(async (projectId: string, environmentSegment: string) => {
  const { access } = await getProjectForPage(projectId);
  const db = await getDb();
  let name: string;
  try {
    name = decodeURIComponent(environmentSegment);
  } catch {
    notFound();
  }
  const env = await getEnvironmentByName(db, access.project.id, name);
  if (!env || !canSeeEnvironmentType(access, env.type)) notFound();
  return { access, env, db };
});

/** getEnvironmentForPage from an environment page's route params. */
export async function getEnvironmentFromParams(params: Promise<{ projectId: string; environmentName: string }>) {
  const { projectId, environmentName } = await params;
  return getEnvironmentForPage(projectId, environmentName);
}
