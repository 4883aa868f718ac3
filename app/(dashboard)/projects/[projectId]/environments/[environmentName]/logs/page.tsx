import type { Metadata } from "next";
import { AppLogViewer } from "@/components/app-logs/app-log-viewer";
import { formatDateTime } from "@/components/projects/format";
import { Breadcrumb, environmentCrumbs } from "@/components/ui/breadcrumb";
import { ButtonLink } from "@/components/ui/button";
import { DisabledButton } from "@/components/ui/disabled-button";
import { PageHeader } from "@/components/ui/page-header";
import { formatBytes } from "@/lib/format-bytes";
import { checkAppLogName, listEnvironmentLogs, offeredAppLogs } from "@/lib/environments/app-logs";
import { getEnvironmentFromParams } from "@/lib/session/page-access";

type Props = { params: Promise<{ projectId: string; environmentName: string }>; searchParams: Promise<{ log?: string | string[] }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { access, env } = await getEnvironmentFromParams(params);
  return { title: `Logs · ${env.title} · ${access.project.title}` };
}

/** What the environment's application writes (requests, errors, its processes, its deploy hooks), followed live. */
export default async function LogsPage({ params, searchParams }: Props) {
  const { access, env } = await getEnvironmentFromParams(params);
  const projectId = access.project.id;
  const logs = offeredAppLogs((await listEnvironmentLogs(access, env)) ?? []);
  const asked = (await searchParams).log;
  const check = typeof asked === "string" ? checkAppLogName(asked) : null;
  const selected = logs.find((l) => (check?.ok ? l.name === check.name : false)) ?? logs.find((l) => l.exists) ?? null;
  const base = `/projects/${projectId}/environments/${env.name}`;
  return (
    <>
      <Breadcrumb items={environmentCrumbs(access.project, env)} />
      <PageHeader
        title={`Logs of ${env.title}`}
        description={<>What {env.name}&apos;s application writes: its requests, errors, processes and deploy hooks. The latest lines, then new ones live as they are written.</>}
      />
      <nav aria-label="Logs" className="mb-4 flex flex-wrap gap-2">
        {logs.map((log) =>
          log.exists || log.name === selected?.name ? (
            <ButtonLink
              key={log.name}
              variant="secondary"
              href={`${base}/logs?log=${log.name}`}
              aria-current={log.name === selected?.name ? "page" : undefined}
              className="aria-[current=page]:border-accent aria-[current=page]:bg-accent-soft aria-[current=page]:text-accent"
            >
              {log.label}
            </ButtonLink>
          ) : (
            <DisabledButton key={log.name} reason="Empty until the application writes it.">
              {log.label}
            </DisabledButton>
          ),
        )}
      </nav>
      {selected ? (
        <div className="min-w-0">
          <p className="mb-1 text-sm text-muted">
            {selected.exists ? (
              <>
                {formatBytes(selected.bytes)}
                {selected.modifiedAt ? <> · last written {formatDateTime(new Date(selected.modifiedAt))}</> : null}
                {selected.parts > 0 ? ` · ${selected.parts} older ${selected.parts === 1 ? "part" : "parts"} kept compressed beside it` : null}
              </>
            ) : (
              "Empty until the application writes it."
            )}
          </p>
          <AppLogViewer key={selected.name} url={`/api${base}/logs/${selected.name}`} label={selected.label} />
        </div>
      ) : (
        <p className="rounded-lg border border-border bg-surface p-4 text-sm text-muted">No log yet: each appears once the application, a worker or a deploy hook writes to it.</p>
      )}
    </>
  );
}
