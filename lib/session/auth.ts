import "server-only";
import { DrizzleAdapter } from "@auth/drizzle-adapter";
import NextAuth, { CredentialsSignin } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { headers as nextHeaders } from "next/headers";
import { getDb } from "@/db/client";
import { accounts, sessions, users, verificationTokens } from "@/db/schema";
import { signInSchema } from "@/lib/users/validation";
import { authenticateWithPassword } from "@/lib/auth/authenticate";
import { createUserSession, revokeSession } from "@/lib/auth/user-sessions";
import { env } from "@/lib/env";
import { clientInfo } from "./client-info";
import { sessionLifetimeSeconds, sessionSettings } from "./auth-settings";


declare module "next-auth" {
  interface Session {
    /** The user_sessions row this browser's cookie names. */
    sessionId?: string;
  }
  interface User {
    sessionId?: string;
  }
}

/** Refused because of the lockout; the sign-in action explains when to retry. */
export class LockedOutSignin extends CredentialsSignin {
  override code = "locked";
}

/** The password was right but the account is deactivated. */
export class DeactivatedSignin extends CredentialsSignin {
  override code = "deactivated";
}

/** The request's headers: the route handler's request, else the page's or action's. */
async function requestHeaders(req: Request | undefined): Promise<Headers> {
  if (req) return req.headers;
  try {
    return new Headers(await nextHeaders());
  } catch {
    return new Headers(); // outside a request (scripts, tests)
  }
}

export const { handlers, auth, signIn, signOut } = NextAuth(async (req) => {
  const client = clientInfo(await requestHeaders(req), env().PUBLIC_URL);
  return {
    // The adapter stores accounts of future OAuth providers; credentials use JWT cookies that name a user_sessions row.
    adapter: DrizzleAdapter(await getDb(), {
      usersTable: users,
      accountsTable: accounts,
      sessionsTable: sessions,
      verificationTokensTable: verificationTokens,
    }),
    // The secret, the cookie's name, the JWT's lifetime and contents: shared with the front door's session reads.
    ...sessionSettings(client.isHttps),
    pages: { signIn: "/sign-in", error: "/sign-in" },
    providers: [
      Credentials({
        credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
        async authorize(credentials, request) {
          const parsed = signInSchema.safeParse(credentials);
          if (!parsed.success) return null;
          const from = clientInfo(request.headers, env().PUBLIC_URL);
          const db = await getDb();
          const result = await authenticateWithPassword(db, parsed.data.email, parsed.data.password, from.address);
          if (result.ok) {
            const sessionId = await createUserSession(db, { userId: result.user.id, userAgent: from.userAgent, clientAddress: from.address, lifetimeMs: sessionLifetimeSeconds() * 1000 });
            return { id: result.user.id, email: result.user.email, name: result.user.name, sessionId };
          }
          if (result.reason === "locked") throw new LockedOutSignin();
          if (result.reason === "deactivated") throw new DeactivatedSignin();
          return null;
        },
      }),
    ],
    events: {
      async signOut(message) {
        const sid = "token" in message ? message.token?.sid : undefined;
        if (typeof sid === "string") await revokeSession(await getDb(), sid);
      },
    },
  };
});
