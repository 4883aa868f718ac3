import "server-only";
import { notFound } from "next/navigation";
import { cache } from "react";
import { getDb } from "@/db/client";
import { requireSessionUser } from "@/lib/auth/session";
import { getProjectAccess } from "./access";

/** For project pages and their metadata: the access, or a 404 for anyone who may not see it. */
export const getProjectForPage = cache(async (projectId: string) => {
  const user = await requireSessionUser();
  const access = await getProjectAccess(await getDb(), user, projectId);
  if (!access) notFound();
  return { user, access };
});
