import type { Metadata } from "next";
import { headers } from "next/headers";
import { CreateTokenForm, RevokeTokenButton } from "@/components/account/token-forms";
import { formatDateTime } from "@/components/projects/format";
import { PageHeader } from "@/components/ui/page-header";
import { getDb } from "@/db/client";
import { requireSessionUser } from "@/lib/session/session";
import { listApiTokens } from "@/lib/tokens/api-tokens";

export const metadata: Metadata = { title: "Account" };

export default async function AccountPage() {
  const user = await requireSessionUser();
  const tokens = await listApiTokens(await getDb(), user);
  const host = (await headers()).get("host") ?? "localhost:3000";
  return (
    <>
      <PageHeader title="Account" description={user.email} />
      <section aria-labelledby="tokens-heading" className="rounded-lg border border-border bg-surface p-5">
        <h2 id="tokens-heading" className="text-lg font-semibold">
          API tokens
        </h2>
        <p className="mb-4 mt-1 text-sm text-muted">
          Use your email and a token as the username and password of the git remote, for example{" "}
          <code className="font-mono">git clone http://{host}/git/&lt;project&gt;.git</code>.
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
    </>
  );
}
