import "server-only";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { REQUEST_PATH_HEADER, safeReturnPath } from "./request-path";
import { cache } from "react";
import { getDb } from "@/db/client";
import { getSessionOwner } from "@/lib/auth/user-sessions";
import { auth } from "./auth";
import type { SessionUser } from "@/lib/auth/permissions";

export interface CurrentSession {
  user: SessionUser;
  sessionId: string;
  expiresAt: Date;
}

/**
 * The signed-in user and their session, checked against the database on every request
 * (once per render): a signed-out, expired or revoked session, or a deactivated or deleted
 * user, is no session at all. One indexed read (see the session-check benchmark).
 */
export const getCurrentSession = cache(async (): Promise<CurrentSession | null> => {
  const session = await auth();
  const sessionId = session?.sessionId;
  if (!session?.user?.id || !sessionId) return null;
  const owner = await getSessionOwner(await getDb(), sessionId);
  if (!owner || owner.user.id !== session.user.id) return null;
  const { user } = owner;
  return { user: { id: user.id, email: user.email, name: user.name, isAdmin: user.isAdmin }, sessionId, expiresAt: owner.session.expiresAt };
});

export async function getSessionUser(): Promise<SessionUser | null> {
  return (await getCurrentSession())?.user ?? null;
}

/** When the current session ends (streams close then), or null without one. */
export async function getSessionExpiry(): Promise<Date | null> {
  return (await getCurrentSession())?.expiresAt ?? null;
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
