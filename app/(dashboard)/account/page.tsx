import type { Metadata } from "next";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { ChangePasswordForm, NameForm } from "@/components/account/profile-forms";
import { SessionList } from "@/components/account/session-list";
import { CreateTokenForm, RevokeTokenButton } from "@/components/account/token-forms";
import { describeUserAgent } from "@/components/account/user-agent";
import { formatDateTime } from "@/components/projects/format";
import { PageHeader } from "@/components/ui/page-header";
import { getDb } from "@/db/client";
import { listUserSessions } from "@/lib/auth/user-sessions";
import { getCurrentSession, requireSessionUser } from "@/lib/session/session";
import { listApiTokens } from "@/lib/tokens/api-tokens";

export const metadata: Metadata = { title: "Account" };

const section = "rounded-lg border border-border bg-surface p-5";

export default async function AccountPage() {
  const user = await requireSessionUser();
  const current = await getCurrentSession();
  if (!current) redirect("/sign-in");
  const db = await getDb();
  const [tokens, sessions] = await Promise.all([listApiTokens(db, user), listUserSessions(db, user.id)]);
  const host = (await headers()).get("host") ?? "localhost:3000";
  return (
    <>
      <PageHeader title="Account" description={user.email} />
      <div className="space-y-6">
        <section aria-labelledby="profile-heading" className={section}>
          <h2 id="profile-heading" className="mb-4 text-lg font-semibold">
            Profile
          </h2>
          <NameForm name={user.name ?? ""} />
        </section>
        <section aria-labelledby="password-heading" className={section}>
          <h2 id="password-heading" className="mb-4 text-lg font-semibold">
            Password
          </h2>
          <ChangePasswordForm />
        </section>
        <section aria-labelledby="sessions-heading" className={section}>
          <h2 id="sessions-heading" className="text-lg font-semibold">
            Sessions
          </h2>
          <p className="mb-3 mt-1 text-sm text-muted">Every browser signed in as you. Sign out any you do not recognise, then change your password.</p>
          <SessionList
            sessions={sessions.map((s) => ({
              id: s.id,
              isCurrent: s.id === current.sessionId,
              device: describeUserAgent(s.userAgent),
              clientAddress: s.clientAddress,
              createdAt: formatDateTime(s.createdAt),
              lastSeenAt: formatDateTime(s.lastSeenAt),
            }))}
          />
        </section>
        <section aria-labelledby="tokens-heading" className={section}>
          <h2 id="tokens-heading" className="text-lg font-semibold">
            API tokens
          </h2>
          <p className="mb-4 mt-1 text-sm text-muted">
            Use your email and a token as the username and password of the git remote, for example{" "}
            <code className="break-all font-mono">git clone http://{host}/git/&lt;project&gt;.git</code>.
          </p>
          <CreateTokenForm />
          <ul className="mt-6 divide-y divide-border text-sm" aria-label="Your tokens">
            {tokens.map((t) => (
              <li key={t.id} className="flex flex-wrap items-center gap-3 py-2">
                <span className="font-medium">{t.name}</span>
                <code className="text-xs text-muted">{t.prefix}…</code>
                <span className="text-xs text-muted">created {formatDateTime(t.createdAt)}</span>
                {t.lastUsedAt ? <span className="text-xs text-muted">last used {formatDateTime(t.lastUsedAt)}</span> : null}
                <span className="ml-auto">{t.revokedAt ? <span className="text-xs text-muted">Revoked</span> : <RevokeTokenButton tokenId={t.id} name={t.name} />}</span>
              </li>
            ))}
          </ul>
        </section>
      </div>
    </>
  );
}
