import type { Metadata } from "next";
import { EnvironmentSettingsForm, PauseForm } from "@/components/environments/environment-settings-form";
import { Breadcrumb, environmentCrumbs } from "@/components/ui/breadcrumb";
import { PageHeader } from "@/components/ui/page-header";
import { hasRole } from "@/lib/auth/permissions";
import { listShownEnvironments } from "@/lib/environments/queries";
import { settingsView } from "@/lib/environments/settings";
import { getEnvironmentFromParams } from "@/lib/session/page-access";

type Props = { params: Promise<{ projectId: string; environmentName: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { access, env } = await getEnvironmentFromParams(params);
  return { title: `Settings · ${env.title} · ${access.project.title}` };
}

export default async function EnvironmentSettingsPage({ params }: Props) {
  const { access, env, db } = await getEnvironmentFromParams(params);
  const projectId = access.project.id;
  // The environment and its ancestors (whose access control it may inherit), not the project's 1,000 branches.
  const all = await listShownEnvironments(db, projectId, [env.id]);
  const notAdmin = hasRole(access.environmentRoles[env.type], "admin") ? undefined : `Only admins of ${env.title}'s environment type can change these settings; you can read them.`;
  const pauseReason = notAdmin ?? (env.status === "inactive" ? `${env.title} is inactive: there is no site to pause.` : undefined);
  return (
    <>
      <Breadcrumb items={environmentCrumbs(access.project, env)} />
      <PageHeader title={`Settings of ${env.title}`} description="What the environment router enforces for this environment's site. A change is applied by a redeploy, which saving starts." />
      <div className="space-y-6">
        <section aria-labelledby="router-settings" className="rounded-lg border border-border bg-surface p-5">
          <h2 id="router-settings" className="sr-only">
            Access and search engines
          </h2>
          <EnvironmentSettingsForm projectId={projectId} environment={env.name} isProduction={env.type === "production"} settings={settingsView(env, all)} disabledReason={notAdmin} />
        </section>
        <section aria-labelledby="pause-heading" className="rounded-lg border border-border bg-surface p-5">
          <h2 id="pause-heading" className="mb-3 text-base font-semibold">
            Pause
          </h2>
          <PauseForm projectId={projectId} environment={env.name} paused={env.pausedAt !== null} disabledReason={pauseReason} />
        </section>
      </div>
    </>
  );
}
