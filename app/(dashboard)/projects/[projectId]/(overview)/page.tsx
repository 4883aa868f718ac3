import type { Metadata } from "next";
import { ACTIVITY_TYPE_LABELS } from "@/lib/activity-kinds";
import { CodePanel } from "@/components/projects/code-panel";
import { publicBaseUrl } from "@/lib/session/public-url";
import { DeletedNotice } from "@/components/environments/deleted-notice";
import { ActivityStream } from "@/components/activities/activity-stream";
import { EnvironmentsView } from "@/components/environments/environments-view";
import { formatDate } from "@/components/projects/format";
import { ProjectHeader } from "@/components/projects/project-header";
import { getDb } from "@/db/client";
import { listActivityStream } from "@/lib/environments/activity-stream";
import { getProjectOverview, type ProjectOverview } from "@/lib/environments/overview";
import { isGlobalMaster, startingBranch, typeLabel } from "@/lib/environments/rules";
import type { Plan } from "@/db/schema";
import { listProjectMembers } from "@/lib/projects/members";
import { getProjectForPage } from "@/lib/session/page-access";
import { planLabel, regionName } from "@/lib/projects/regions";

type Props = { params: Promise<{ projectId: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { access } = await getProjectForPage((await params).projectId);
  return { title: access.project.title };
}

const roleLabel = { admin: "Admin", contributor: "Contributor", viewer: "Viewer", none: "No access" } as const;

/** The branch the Code panel clones: where work starts (Pro: integration, never the code-only master), else the first the member may see. */
function cloneBranch(overview: ProjectOverview, plan: Plan): string {
  const start = startingBranch(plan);
  const visible = overview.environments.filter((e) => !isGlobalMaster(e));
  return (visible.find((e) => e.name === start) ?? visible.find((e) => e.parentId === null) ?? overview.environments[0])?.name ?? start;
}

export default async function ProjectPage({ params }: Props) {
  const { user, access } = await getProjectForPage((await params).projectId);
  const { project } = access;
  const db = await getDb();
  const baseUrl = await publicBaseUrl();
  const [members, overview, stream] = await Promise.all([listProjectMembers(db, access), getProjectOverview(db, access), listActivityStream(db, access, {})]);

  return (
    <>
      <DeletedNotice />
      <ProjectHeader project={project} />
      <section aria-labelledby="environments-heading" className="mb-8">
        <EnvironmentsView projectId={project.id} initial={overview} />
      </section>
      <div className="grid gap-6 lg:grid-cols-3">
        <section aria-labelledby="activity-heading" className="lg:col-span-2">
          <h2 id="activity-heading" className="mb-3 text-lg font-semibold">
            Activity
          </h2>
          <ActivityStream projectId={project.id} initial={stream} typeLabels={ACTIVITY_TYPE_LABELS} />
        </section>
        <aside className="min-w-0 space-y-6">
          <CodePanel baseUrl={baseUrl} projectId={project.id} email={user.email} branch={cloneBranch(overview, project.plan)} />
          <section aria-labelledby="details-heading" className="rounded-lg border border-border bg-surface p-4">
            <h2 id="details-heading" className="mb-3 font-semibold">
              Details
            </h2>
            <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1.5 text-sm">
              <dt className="text-muted">Project id</dt>
              <dd className="font-mono">{project.id}</dd>
              <dt className="text-muted">Plan</dt>
              <dd>{planLabel(project.plan)}</dd>
              <dt className="text-muted">Region</dt>
              <dd>{regionName(project.region)}</dd>
              <dt className="text-muted">Created</dt>
              <dd>
                <time dateTime={project.createdAt.toISOString()}>{formatDate(project.createdAt)}</time>
              </dd>
              <dt className="text-muted">Members</dt>
              <dd>{members.length}</dd>
            </dl>
          </section>
          <section aria-labelledby="members-heading" className="rounded-lg border border-border bg-surface p-4">
            <h2 id="members-heading" className="mb-3 font-semibold">
              Members
            </h2>
            <ul className="space-y-3 text-sm">
              {members.map((m) => (
                <li key={m.userId}>
                  <p className="font-medium">
                    {m.name || m.email} <span className="font-normal text-muted">· {m.role === "admin" ? "Project admin" : "Project viewer"}</span>
                  </p>
                  <p className="text-muted">{m.email}</p>
                  <p className="text-xs text-muted">
                    {typeLabel("production")}: {roleLabel[m.productionRole]} · {typeLabel("staging")}: {roleLabel[m.stagingRole]} · {typeLabel("development")}: {roleLabel[m.developmentRole]}
                  </p>
                </li>
              ))}
            </ul>
          </section>
        </aside>
      </div>
    </>
  );
}
