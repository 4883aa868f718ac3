import "server-only";
import { getDb } from "@/db/client";
import { authenticateToken } from "@/lib/tokens/api-tokens";
import type { SessionUser } from "@/lib/auth/permissions";
import { getSessionOwner } from "@/lib/auth/user-sessions";
import { getCurrentSession } from "./session";

/**
 * The user of an API request: the browser's session, or for scripts HTTP basic auth with
 * the account's email and an API token (as for the git remote). `expiresAt` is when a
 * session ends (streams close then); null for a token.
 */
export interface RequestUser {
  user: SessionUser;
  /** When a session ends; null for a token. */
  expiresAt: Date | null;
  /** Asks the database again whether the session (or token) still works: long streams call it. */
  isStillValid: () => Promise<boolean>;
}

export async function getRequestUser(request: Request): Promise<RequestUser | null> {
  const auth = request.headers.get("authorization");
  if (auth?.startsWith("Basic ")) {
    const decoded = Buffer.from(auth.slice(6), "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    const check = async () => (colon > 0 ? authenticateToken(await getDb(), decoded.slice(0, colon), decoded.slice(colon + 1)) : null);
    const user = await check();
    return user ? { user: { id: user.id, email: user.email, name: user.name, isAdmin: user.isAdmin }, expiresAt: null, isStillValid: async () => (await check())?.id === user.id } : null;
  }
  const session = await getCurrentSession();
  if (!session) return null;
  return { user: session.user, expiresAt: session.expiresAt, isStillValid: async () => (await getSessionOwner(await getDb(), session.sessionId))?.user.id === session.user.id };
}
