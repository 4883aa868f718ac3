import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { LogViewer } from "@/components/log-viewer/log-viewer";
import { Breadcrumb, environmentCrumbs } from "@/components/ui/breadcrumb";
import { PageHeader } from "@/components/ui/page-header";
import { formatDateTime } from "@/components/projects/format";
import { getDb } from "@/db/client";
import { getActivityDetails, getEnvironmentByName, getVisibleActivity } from "@/lib/environments/queries";
import { activityKind } from "@/lib/activity-kinds";
import { SetCurrentEnvironment } from "@/components/shell/current-environment";
import { toActivityView } from "@/lib/activities/activity-view";
import { getProjectForPage } from "@/lib/session/page-access";

type Props = { params: Promise<{ projectId: string; activityId: string }> };

async function load(params: Props["params"]) {
  const { projectId, activityId } = await params;
  const { access } = await getProjectForPage(projectId);
  const db = await getDb();
  const activity = await getVisibleActivity(db, access, activityId);
  if (!activity) notFound();
  return { access, activity, db };
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { activity } = await load(params);
  return { title: activity.description };
}

export default async function ActivityPage({ params }: Props) {
  const { access, activity, db } = await load(params);
  const envName = activity.environmentName;
  const [details, env] = await Promise.all([getActivityDetails(db, activity), envName ? getEnvironmentByName(db, access.project.id, envName) : null]);
  const kind = activityKind(activity.type)?.label ?? activity.type;
  return (
    <>
      <Breadcrumb
        items={
          envName
            ? environmentCrumbs(access.project, { name: envName, title: env?.title ?? envName })
            : [
                { href: `/projects/${access.project.id}`, label: access.project.title },
                { href: `/projects/${access.project.id}/settings`, label: "Settings" },
              ]
        }
      />
      {envName ? <SetCurrentEnvironment name={envName} /> : null}
      <PageHeader
        title={activity.description}
        description={
          <>
            {kind} on {envName ? <span className="font-mono">{envName}</span> : "the project"} · created {formatDateTime(activity.createdAt)}
          </>
        }
      />
      <LogViewer projectId={access.project.id} initialActivity={toActivityView(activity)} details={details} />
    </>
  );
}
