import "server-only";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { REQUEST_PATH_HEADER, safeReturnPath } from "./request-path";
import { cache } from "react";
import { getDb } from "@/db/client";
import { getUserById } from "@/lib/users/create-user";
import { auth } from "./auth";
import type { SessionUser } from "@/lib/auth/permissions";

/**
 * The signed-in user, re-read from the database on every request (once per render),
 * so a deleted user or a revoked administrator loses access at once.
 */
export const getSessionUser = cache(async (): Promise<SessionUser | null> => {
  const session = await auth();
  const id = session?.user?.id;
  if (!id) return null;
  const user = await getUserById(await getDb(), id);
  if (!user) return null;
  return { id: user.id, email: user.email, name: user.name, isAdmin: user.isAdmin };
});

/** When the current session ends (streams close then), or null without one. */
export async function getSessionExpiry(): Promise<Date | null> {
  const session = await auth();
  return session?.expires ? new Date(session.expires) : null;
}

/** For pages: the signed-in user, or a redirect to the sign-in page, which comes back here afterwards. */
export async function requireSessionUser(): Promise<SessionUser> {
  const user = await getSessionUser();
  if (!user) {
    const back = safeReturnPath((await headers()).get(REQUEST_PATH_HEADER));
    redirect(back === "/projects" ? "/sign-in" : `/sign-in?callbackUrl=${encodeURIComponent(back)}`);
  }
  return user;
}

export const SESSION_EXPIRED = "Your session has ended. Sign in again.";
