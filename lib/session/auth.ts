import "server-only";
import { DrizzleAdapter } from "@auth/drizzle-adapter";
import NextAuth, { CredentialsSignin } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { getDb } from "@/db/client";
import { accounts, sessions, users, verificationTokens } from "@/db/schema";
import { signInSchema } from "@/lib/users/validation";
import { authenticateWithPassword } from "@/lib/auth/authenticate";
import { getAuthSecret } from "@/lib/auth/secret";

/** Refused because of the per-email lockout; the sign-in action explains when to retry. */
export class LockedOutSignin extends CredentialsSignin {
  override code = "locked";
}

export const SESSION_MAX_AGE_SECONDS = 7 * 24 * 3600;

export const { handlers, auth, signIn, signOut } = NextAuth(async () => ({
  // The adapter stores accounts of future OAuth providers; credentials use JWT sessions.
  adapter: DrizzleAdapter(await getDb(), {
    usersTable: users,
    accountsTable: accounts,
    sessionsTable: sessions,
    verificationTokensTable: verificationTokens,
  }),
  secret: getAuthSecret(),
  trustHost: true,
  session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_SECONDS },
  pages: { signIn: "/sign-in", error: "/sign-in" },
  providers: [
    Credentials({
      credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
      async authorize(credentials) {
        const parsed = signInSchema.safeParse(credentials);
        if (!parsed.success) return null;
        const result = await authenticateWithPassword(await getDb(), parsed.data.email, parsed.data.password);
        if (result.ok) return { id: result.user.id, email: result.user.email, name: result.user.name };
        if (result.reason === "locked") throw new LockedOutSignin();
        return null;
      },
    }),
  ],
  callbacks: {
    jwt({ token, user }) {
      if (user?.id) token.sub = user.id;
      return token;
    },
    session({ session, token }) {
      if (token.sub) session.user.id = token.sub;
      return session;
    },
  },
}));
