import type { Metadata } from "next";
import Link from "next/link";
import { formatDateTime } from "@/components/projects/format";
import { Breadcrumb, environmentCrumbs } from "@/components/ui/breadcrumb";
import { PageHeader } from "@/components/ui/page-header";
import { formatBytes } from "@/lib/format-bytes";
import { getMail, listMails } from "@/lib/environments/mailbox";
import { getEnvironmentFromParams } from "@/lib/session/page-access";

type Props = { params: Promise<{ projectId: string; environmentName: string }>; searchParams: Promise<{ mail?: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { access, env } = await getEnvironmentFromParams(params);
  return { title: `Mailbox · ${env.title} · ${access.project.title}` };
}

/** What the environment's code sent by e-mail, kept instead of delivered (outgoing e-mail on). */
export default async function MailboxPage({ params, searchParams }: Props) {
  const { access, env, db } = await getEnvironmentFromParams(params);
  const projectId = access.project.id;
  const { mail: mailId } = await searchParams;
  const [list, open] = await Promise.all([listMails(db, env), mailId ? getMail(db, env, mailId) : null]);
  const base = `/projects/${projectId}/environments/${env.name}`;
  return (
    <>
      <Breadcrumb items={environmentCrumbs(access.project, env)} />
      <PageHeader
        title={`Mailbox of ${env.title}`}
        description={
          env.outgoingEmail ? (
            <>E-mail sent by {env.name}&apos;s hooks to MAGENTO_CLOUD_SMTP_HOST is kept here, newest first.</>
          ) : (
            <>
              Outgoing e-mail is off for {env.name}: its hooks get an SMTP error. <Link className="text-accent underline" href={`${base}/settings`}>Turn it on in Settings</Link>.
            </>
          )
        }
      />
      <div className="grid gap-4 lg:grid-cols-[minmax(0,2fr)_minmax(0,3fr)]">
        <section aria-labelledby="mail-list" className="min-w-0 rounded-lg border border-border bg-surface">
          <h2 id="mail-list" className="sr-only">
            Messages
          </h2>
          {list.length === 0 ? <p className="p-4 text-sm text-muted">No messages yet.</p> : null}
          <ul className="divide-y divide-border" aria-label="Messages">
            {list.map((m) => (
              <li key={m.id}>
                <Link href={`${base}/mailbox?mail=${m.id}`} aria-current={m.id === open?.id ? "true" : undefined} className="block px-4 py-2 text-sm hover:bg-surface-muted aria-[current=true]:bg-accent-soft">
                  <span className="block truncate font-medium">{m.subject}</span>
                  <span className="block truncate text-xs text-muted">
                    {m.mailFrom || "(no sender)"} → {m.rcptTo.join(", ")} · <span suppressHydrationWarning>{formatDateTime(new Date(m.receivedAt))}</span>
                  </span>
                </Link>
              </li>
            ))}
          </ul>
        </section>
        {list.length > 0 || mailId ? (
        <section aria-label="Message" className="min-w-0 rounded-lg border border-border bg-surface p-4 text-sm">
          {!open ? (
            <p className="text-muted">{mailId ? "This message is not in this Mailbox." : "Choose a message to read it."}</p>
          ) : (
            <div className="space-y-3">
              <h2 className="text-base font-semibold [overflow-wrap:anywhere]">{open.subject}</h2>
              <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-3 gap-y-1 text-xs">
                <dt className="text-muted">From</dt>
                <dd className="[overflow-wrap:anywhere]">{open.headerFrom || open.mailFrom}</dd>
                <dt className="text-muted">To</dt>
                <dd className="[overflow-wrap:anywhere]">{open.headerTo || open.rcptTo.join(", ")}</dd>
                <dt className="text-muted">Received</dt>
                <dd suppressHydrationWarning>{formatDateTime(new Date(open.receivedAt))}</dd>
                <dt className="text-muted">Size</dt>
                <dd>{formatBytes(open.size)}</dd>
                {open.attachments.length ? (
                  <>
                    <dt className="text-muted">Attachments</dt>
                    <dd>{open.attachments.map((a) => `${a.filename} (${formatBytes(a.size)})`).join(", ")}</dd>
                  </>
                ) : null}
              </dl>
              <a className="inline-block text-accent underline" href={`/api/projects/${projectId}/environments/${env.name}/mails/${open.id}`} download>
                Download the raw message (.eml)
              </a>
              {open.html ? (
                // The message's HTML, inert: a sandboxed frame runs no script, submits no form and has no access to this page.
                <iframe title="The message as HTML" sandbox="" srcDoc={open.html} className="h-96 w-full rounded border border-border bg-white" />
              ) : null}
              {open.text ? <pre className="max-h-96 overflow-auto whitespace-pre-wrap rounded border border-border bg-surface-muted p-3 font-mono text-xs [overflow-wrap:anywhere]">{open.text}</pre> : null}
            </div>
          )}
        </section>
        ) : null}
      </div>
    </>
  );
}
