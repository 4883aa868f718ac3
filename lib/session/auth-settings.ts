import "server-only";
import { Auth, type AuthConfig } from "@auth/core";
import type { JWT } from "@auth/core/jwt";
import type { Session } from "@auth/core/types";
import { getAuthSecret } from "@/lib/auth/secret";
import { env } from "@/lib/env";

/** Where Auth.js answers (next-auth's default, which its route handler under app/api/auth serves). */
export const AUTH_BASE_PATH = "/api/auth";

export function sessionLifetimeSeconds(): number {
  return env().SESSION_LIFETIME_HOURS * 3600;
}

/**
 * What decides how a session cookie is written and read: the secret, its name (`__Secure-`
 * over https), JWT sessions of SESSION_LIFETIME_HOURS, and what the token and the session
 * carry (the user and the user_sessions row the cookie names). lib/session/auth.ts signs in
 * with it; the server's front door (server.ts, through the page cache) reads sessions with it.
 */
export function sessionSettings(isHttps: boolean, secret = getAuthSecret()) {
  return {
    secret,
    trustHost: true,
    basePath: AUTH_BASE_PATH,
    // Secure (and __Secure- prefixed) cookies whenever the dashboard is served over https.
    useSecureCookies: isHttps,
    session: { strategy: "jwt" as const, maxAge: sessionLifetimeSeconds() },
    callbacks: {
      jwt({ token, user }: { token: JWT; user?: { id?: string; sessionId?: string } }) {
        if (user?.id) {
          token.sub = user.id;
          token.sid = user.sessionId;
        }
        return token;
      },
      session({ session, token }: { session: Session & { sessionId?: string }; token: JWT }) {
        if (token.sub && session.user) session.user.id = token.sub;
        if (typeof token.sid === "string") session.sessionId = token.sid;
        return session;
      },
    },
  } satisfies Partial<AuthConfig>;
}

/**
 * The user and user_sessions row a request's cookies name, read by Auth.js itself (its session
 * endpoint, answered in this process without a request to it), or null: no cookie, a cookie
 * Auth.js does not accept, an expired token. Whether the row is still live is the caller's
 * question (getSessionOwner). The refreshed cookie Auth.js would send back is dropped, as a page
 * render drops it.
 */
export async function readSessionCookie(cookie: string, isHttps: boolean, secret?: string): Promise<{ userId: string; sessionId: string } | null> {
  if (!cookie) return null;
  const request = new Request(`http://localhost${AUTH_BASE_PATH}/session`, { headers: { cookie } });
  // Its own log lines are dropped: the page's render reads the same cookie and logs what is wrong with it.
  const response = await Auth(request, { ...sessionSettings(isHttps, secret), providers: [], logger: { error: () => undefined, warn: () => undefined } });
  if (!response.ok) return null;
  const session = (await response.json()) as (Session & { sessionId?: unknown }) | null;
  const userId = session?.user?.id;
  return typeof userId === "string" && typeof session?.sessionId === "string" ? { userId, sessionId: session.sessionId } : null;
}
