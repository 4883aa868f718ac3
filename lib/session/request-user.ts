import "server-only";
import { getDb } from "@/db/client";
import { authenticateToken } from "@/lib/tokens/api-tokens";
import type { SessionUser } from "@/lib/auth/permissions";
import { getCurrentSession } from "./session";

/**
 * The user of an API request: the browser's session, or for scripts HTTP basic auth with
 * the account's email and an API token (as for the git remote). `expiresAt` is when a
 * session ends (streams close then); null for a token.
 */
export async function getRequestUser(request: Request): Promise<{ user: SessionUser; expiresAt: Date | null } | null> {
  const auth = request.headers.get("authorization");
  if (auth?.startsWith("Basic ")) {
    const decoded = Buffer.from(auth.slice(6), "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    const user = colon > 0 ? await authenticateToken(await getDb(), decoded.slice(0, colon), decoded.slice(colon + 1)) : null;
    return user ? { user: { id: user.id, email: user.email, name: user.name, isAdmin: user.isAdmin }, expiresAt: null } : null;
  }
  const session = await getCurrentSession();
  return session ? { user: session.user, expiresAt: session.expiresAt } : null;
}
