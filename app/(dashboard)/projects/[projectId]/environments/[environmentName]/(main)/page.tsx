import type { Metadata } from "next";
import { ACTIVITY_TYPE_LABELS } from "@/lib/activity-kinds";
import { CodePanel } from "@/components/projects/code-panel";
import { publicBaseUrl } from "@/lib/session/public-url";
import { requireSessionUser } from "@/lib/session/session";
import { DeletedNotice } from "@/components/environments/deleted-notice";
import Link from "next/link";
import { Suspense } from "react";
import { ActivityStream } from "@/components/activities/activity-stream";
import { EnvironmentActions } from "@/components/environments/environment-actions";
import { TypeBadge } from "@/components/environments/environment-status";
import { DeployedRows, EnvironmentStatusLine } from "@/components/environments/environment-status-line";
import { OpenSite } from "@/components/environments/open-site";
import { Breadcrumb } from "@/components/ui/breadcrumb";
import { PageHeader } from "@/components/ui/page-header";
import { GLOBAL_MASTER_NOTE, isGlobalMaster } from "@/lib/environments/rules";
import { latestDeployment } from "@/lib/environments/queries";
import { listActivityStream } from "@/lib/environments/activity-stream";
import { getProjectOverview } from "@/lib/environments/overview";
import { branchHead, commitsBetween, countCommitsBetween } from "@/lib/git/repository";
import { hasRole } from "@/lib/auth/permissions";
import { SnapshotPanel } from "@/components/snapshots/snapshot-panel";
import { VariablesPanel } from "@/components/variables/variables-panel";
import { listEnvironmentVariables } from "@/lib/variables/variables";
import { listSnapshots, snapshotLimit } from "@/lib/snapshots/snapshots";
import { getEnvironmentFromParams } from "@/lib/session/page-access";
import { environmentUrls } from "@/lib/runtime/deploy";
import { DataSizes, DataSizesPending } from "@/components/environments/data-sizes";
import { CronsPanel, OperationsPanel } from "@/components/environments/crons-panel";
import { cronViews } from "@/lib/crons/cron-view";
import { cronAlert, cronsPause, cronsScheduled, cronStatuses } from "@/lib/crons/cron-status";
import { DownloadDatabase } from "@/components/environments/download-database";
import { listDatabaseDownloads } from "@/lib/environments/database-download";
import { SiteStatus } from "@/components/environments/site-status";
import { getEnvironmentSite } from "@/lib/environments/runtime-status";
import { describeSite } from "@/lib/environments/site-status";
import { getPauseRecord } from "@/lib/environments/pause-record";
import { DeploymentsPanel } from "@/components/environments/deployments-panel";
import { formatDateTime } from "@/components/projects/format";
import { listDeployments } from "@/lib/environments/deployments";

type Props = { params: Promise<{ projectId: string; environmentName: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { access, env } = await getEnvironmentFromParams(params);
  return { title: `${env.title} · ${access.project.title}` };
}

export default async function EnvironmentPage({ params }: Props) {
  const { access, env, db } = await getEnvironmentFromParams(params);
  const projectId = access.project.id;
  // Everything that does not depend on the overview at once (the git process beside the queries).
  const [user, baseUrl, overview, stream, head, deployment, snapshotList, vars, pause, cronStatusList, cronPause, deploymentList] = await Promise.all([
    requireSessionUser(),
    publicBaseUrl(),
    getProjectOverview(db, access, { environmentId: env.id }),
    listActivityStream(db, access, { environmentId: env.id }),
    branchHead(projectId, env.name),
    latestDeployment(db, env.id),
    listSnapshots(db, access, env),
    listEnvironmentVariables(db, access, env.name),
    getPauseRecord(db, env),
    cronStatuses(db, env.id),
    cronsPause(db, env),
    listDeployments(db, access, env),
  ]);
  const parent = overview.environments.find((e) => e.id === env.parentId);
  const [ahead, behind] = parent && head ? await Promise.all([commitsBetween(projectId, parent.name, env.name, 30), countCommitsBetween(projectId, env.name, parent.name)]) : [[], 0];
  const git = { ahead: ahead.map((c) => ({ sha: c.sha, subject: c.subject, author: c.author })), behind };
  const config = deployment ? deployment.config : null;
  const site = config && env.status !== "inactive" ? environmentUrls(config, projectId, env.name) : null;
  const limit = await snapshotLimit(db, access, env, snapshotList);
  // Whether the site is up: read again whenever the project's event stream says a process changed state.
  const siteLine = describeSite(getEnvironmentSite(access, env));
  // "Open site": the first route that is not a redirect; the others (and the path address) in its menu.
  const primary = site?.routes.find((r) => !r.redirect)?.url ?? site?.pathUrl ?? null;
  const otherAddresses = site
    ? [
        ...site.routes.filter((r) => r.url !== primary).map((r) => ({ url: r.url, note: r.redirect ? `redirects to ${r.redirect}` : `from ${r.template}` })),
        ...(site.pathUrl !== primary ? [{ url: site.pathUrl, note: "the same site, for clients without *.localhost" }] : []),
      ]
    : [];
  const isAdmin = hasRole(access.environmentRoles[env.type], "admin");
  // The page's environment's ancestors, root first (the overview holds every ancestor of the page's environment).
  const byId = new Map(overview.environments.map((e) => [e.id, e]));
  const ancestors: { name: string; title: string }[] = [];
  for (let id = env.parentId, seen = 0; id && seen < 100; seen++) {
    const e = byId.get(id);
    if (!e) break;
    ancestors.unshift(e);
    id = e.parentId;
  }
  const snapshotPanel = { snapshots: snapshotList, replaces: limit.replaces, manualLimit: limit.limit, canManage: isAdmin };
  // A cron that failed FAILURES_SHOWN times in a row, or missed a run, of this deployment: said at the top until it succeeds.
  const deployedCrons = config && env.status !== "inactive" ? Object.keys(config.app.crons) : [];
  const cronAlertLines = deployedCrons.flatMap((name) => {
    const s = cronStatusList[name];
    const line = s ? cronAlert(name, s) : null;
    return line ? [line] : [];
  });
  const canRunCrons = hasRole(access.environmentRoles[env.type], "contributor");
  // Rolled back: the newest complete backup from before the deployment it replaced went live (its data then).
  const replaced = deployment?.rollbackOf ? deploymentList[1] : undefined;
  const closest = replaced ? snapshotList.filter((s) => s.state === "complete" && s.createdAt <= replaced.at).sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0] : undefined;
  const rollbackBackup = replaced && closest ? { createdAt: closest.createdAt, before: replaced.commit.slice(0, 7) } : null;

  return (
    <>
      <DeletedNotice />
      <Breadcrumb
        items={[
          { href: `/projects/${projectId}`, label: access.project.title },
          ...ancestors.map((a) => ({ href: `/projects/${projectId}/environments/${a.name}`, label: a.title })),
          { href: `/projects/${projectId}/environments/${env.name}`, label: env.title },
        ]}
        current
      />
      <PageHeader
        title={env.title}
        actions={primary ? <OpenSite projectId={projectId} environmentName={env.name} initial={overview} primary={primary} others={otherAddresses} /> : undefined}
        description={
          <span className="flex flex-wrap items-center gap-2">
            <span className="font-mono">{env.name}</span>
            <TypeBadge env={env} />
            <EnvironmentStatusLine
              projectId={projectId}
              environmentName={env.name}
              initial={overview}
              pause={pause}
              resumeDisabledReason={isAdmin ? undefined : `Only admins of ${env.title}'s environment type can resume it.`}
            />
          </span>
        }
      />
      {cronAlertLines.length > 0 ? (
        <div role="status" data-testid="cron-alerts" className="mb-3 rounded-md border border-danger/40 bg-danger-soft px-3 py-2 text-sm text-danger">
          {cronAlertLines.map((line) => (
            <p key={line}>
              {line}{" "}
              <a className="underline" href="#env-crons">
                See its runs in Crons
              </a>
            </p>
          ))}
        </div>
      ) : null}
      {deployment?.rollbackOf && env.status !== "inactive" ? (
        <p role="status" data-testid="rolled-back" className="mb-3 rounded-md border border-accent/40 bg-accent-soft px-3 py-2 text-sm">
          Rolled back to <code>{deployment.commit.slice(0, 7)}</code>
          {head && head !== deployment.commit ? (
            <>
              ; the branch is at <code>{head.slice(0, 7)}</code>: Redeploy to return to it.
            </>
          ) : (
            "."
          )}{" "}
          {rollbackBackup
            ? `Data was not rolled back: the backup of ${formatDateTime(new Date(rollbackBackup.createdAt))}, the newest from before ${rollbackBackup.before} was deployed, can be restored from Backups.`
            : "Data was not rolled back (no backup is older than the deployment it replaced)."}
        </p>
      ) : null}
      {siteLine ? <SiteStatus line={siteLine} projectId={projectId} environmentName={env.name} /> : null}
      {isGlobalMaster(env) && access.project.plan === "pro" ? <p className="mb-3 text-sm text-muted">{GLOBAL_MASTER_NOTE}</p> : null}
      <EnvironmentActions projectId={projectId} environmentName={env.name} initial={overview} git={git} pauseDisabledReason={isAdmin ? undefined : `Only admins of ${env.title}'s environment type can pause it.`} />
      <div className="mt-6 grid gap-6 lg:grid-cols-3">
        <section aria-labelledby="env-activity" className="lg:col-span-2">
          <h2 id="env-activity" className="mb-3 text-lg font-semibold">
            Activity
          </h2>
          <ActivityStream projectId={projectId} initial={stream} environment={env.name} typeLabels={ACTIVITY_TYPE_LABELS} />
          <section aria-labelledby="env-variables" className="mt-6 rounded-lg border border-border bg-surface p-4">
            <h2 id="env-variables" className="mb-3 text-lg font-semibold">
              Variables
            </h2>
            <VariablesPanel projectId={projectId} environment={env.name} items={vars} canAdd={hasRole(access.environmentRoles[env.type], "admin")} />
          </section>
        </section>
        <aside className="min-w-0 space-y-4">
          <section aria-labelledby="env-details" className="rounded-lg border border-border bg-surface p-4 text-sm">
            <h2 id="env-details" className="mb-3 font-semibold">
              Details
            </h2>
            <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1.5">
              <dt className="text-muted">Branch</dt>
              <dd className="font-mono">{env.name}</dd>
              <dt className="text-muted">Parent</dt>
              <dd>{parent ? parent.name : "—"}</dd>
              <DeployedRows projectId={projectId} environmentName={env.name} initial={overview} />
              <dt className="text-muted">Branch head</dt>
              <dd>{head ? <code>{head.slice(0, 12)}</code> : "—"}</dd>
              {deployment ? (
                <>
                  <dt className="text-muted">Last deploy</dt>
                  <dd>
                    build {deployment.buildReused ? "reused" : `${(deployment.buildMs / 1000).toFixed(1)} s`}, deploy {(deployment.deployMs / 1000).toFixed(1)} s
                  </dd>
                </>
              ) : null}
            </dl>
            {head && env.deployedCommit && head !== env.deployedCommit && !deployment?.rollbackOf ? (
              <p className="mt-3 text-xs text-muted">The branch has commits that are not deployed yet: Redeploy deploys the deployed commit again; a push deploys the head.</p>
            ) : null}
          </section>
          <CodePanel baseUrl={baseUrl} projectId={projectId} email={user.email} branch={env.name} />
          <Link href={`/projects/${projectId}/environments/${env.name}/topology`} className="block rounded-lg border border-border bg-surface p-4 text-sm font-medium text-accent hover:bg-surface-muted">
            Topology: router, application and services →
          </Link>
          <Link href={`/projects/${projectId}/environments/${env.name}/settings`} className="block rounded-lg border border-border bg-surface p-4 text-sm font-medium text-accent hover:bg-surface-muted">
            Settings: access control, search engines, e-mail, pause →
          </Link>
          <Link href={`/projects/${projectId}/environments/${env.name}/mailbox`} className="block rounded-lg border border-border bg-surface p-4 text-sm font-medium text-accent hover:bg-surface-muted">
            Mailbox: e-mail its hooks sent →
          </Link>
          <Link href={`/projects/${projectId}/environments/${env.name}/logs`} className="block rounded-lg border border-border bg-surface p-4 text-sm font-medium text-accent hover:bg-surface-muted">
            Logs: requests, errors, the application, workers, deploy hooks →
          </Link>
          {site ? (
            <section aria-labelledby="env-urls" className="rounded-lg border border-border bg-surface p-4 text-sm">
              <h2 id="env-urls" className="mb-2 font-semibold">
                URLs
              </h2>
              <ul className="space-y-1 text-xs">
                {site.routes.map((r) => (
                  <li key={r.url} className="flex flex-wrap items-baseline gap-x-2">
                    <a className="font-mono text-accent hover:underline" href={r.url} target="_blank" rel="noreferrer">
                      {r.url}
                    </a>
                    <span className="text-muted">{r.redirect ? `redirects to ${r.redirect}` : `from ${r.template}`}</span>
                  </li>
                ))}
                <li className="flex flex-wrap items-baseline gap-x-2">
                  <a className="font-mono text-accent hover:underline" href={site.pathUrl} target="_blank" rel="noreferrer">
                    {site.pathUrl}
                  </a>
                  <span className="text-muted">the same site, for clients without *.localhost</span>
                </li>
              </ul>
            </section>
          ) : null}
          {env.status !== "inactive" ? <DeploymentsPanel projectId={projectId} environment={env.name} deployments={deploymentList} /> : null}
          <SnapshotPanel projectId={projectId} environment={env.name} overview={overview} initial={snapshotPanel} />
          {config && env.status !== "inactive" ? (
            <Suspense fallback={<DataSizesPending config={config} />}>
              <DataSizes projectId={projectId} environment={env.name} config={config} />
            </Suspense>
          ) : null}
          {config ? <DownloadDatabase links={listDatabaseDownloads(access, env, config)} /> : null}
          {config && env.status !== "inactive" ? (
            <CronsPanel
              projectId={projectId}
              environment={env.name}
              crons={cronViews(config.app, `${projectId}/${env.name}`, new Date())}
              statuses={cronStatusList}
              timezone={config.app.timezone}
              runReason={!canRunCrons ? "Running or pausing crons needs the contributor role or above on this environment's type." : env.pausedAt ? `${env.title} is paused: its crons run again after Resume.` : undefined}
              pause={cronPause}
              blocked={
                env.pausedAt
                  ? `${env.title} is paused${pause?.by ? ` (by ${pause.by})` : pause?.description?.includes(":") ? ` (${pause.description.replace(/^Pause [^:]*: ?/, "")})` : ""}: none of its crons runs until it is resumed — Resume at the top of this page${isAdmin ? "" : " (an admin of its type)"}, a push or a redeploy.`
                  : undefined
              }
              scheduling={cronsScheduled()}
            />
          ) : null}
          {config && env.status !== "inactive" ? (
            <OperationsPanel
              projectId={projectId}
              environment={env.name}
              operations={Object.entries(config.app.operations)
                .filter(([, o]) => hasRole(access.environmentRoles[env.type], o.role))
                .map(([name, o]) => ({ name, command: o.commands.start, role: o.role }))}
              runReason={env.pausedAt ? `${env.title} is paused: nothing of its application runs until Resume.` : undefined}
            />
          ) : null}
        </aside>
      </div>
    </>
  );
}
