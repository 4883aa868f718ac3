import type { Metadata } from "next";
import { DeleteProjectDialog } from "@/components/projects/delete-project-dialog";
import { ProjectHeader } from "@/components/projects/project-header";
import { RenameProjectForm } from "@/components/projects/rename-project-form";
import { BranchParentForm } from "@/components/projects/branch-parent-form";
import { AutoPauseForm } from "@/components/projects/auto-pause-form";
import { BackupSchedulesForm } from "@/components/projects/backup-schedules-form";
import { backupStorage, PLAN_MANUAL_BACKUPS, schedulesOf } from "@/lib/snapshots/backup-settings";
import { VariablesPanel } from "@/components/variables/variables-panel";
import { listVariables } from "@/lib/variables/variables";
import { getDb } from "@/db/client";
import { listEnvironmentChoices } from "@/lib/environments/queries";
import { defaultParentFor } from "@/lib/environments/receive-push";
import { treeOrder } from "@/lib/environments/tree-order";
import { canManageProject } from "@/lib/auth/permissions";
import { getProjectForPage } from "@/lib/session/page-access";

type Props = { params: Promise<{ projectId: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { access } = await getProjectForPage((await params).projectId);
  return { title: `Settings · ${access.project.title}` };
}

export default async function ProjectSettingsPage({ params }: Props) {
  const { access } = await getProjectForPage((await params).projectId);
  const { project } = access;
  const db = await getDb();
  const [all, projectVariables, storage] = await Promise.all([listEnvironmentChoices(db, project.id), listVariables(db, access, null), backupStorage(db, project.id)]);
  const planDefault = defaultParentFor({ plan: project.plan, defaultBranchParent: null }, all)?.name ?? "the root";
  const notAdmin = canManageProject(access) ? undefined : "Only a project admin can change these settings.";

  return (
    <>
      <ProjectHeader project={project} />
      <div className="space-y-8">
        <section aria-labelledby="general-heading" className="rounded-lg border border-border bg-surface p-5">
          <h2 id="general-heading" className="mb-4 text-lg font-semibold">
            General
          </h2>
          <RenameProjectForm projectId={project.id} title={project.title} disabledReason={notAdmin} />
        </section>
        <section aria-labelledby="git-heading" className="rounded-lg border border-border bg-surface p-5">
          <h2 id="git-heading" className="mb-4 text-lg font-semibold">
            Pushed branches
          </h2>
          <BranchParentForm
            projectId={project.id}
            current={project.defaultBranchParent}
            planDefault={planDefault}
            environments={treeOrder(all.filter((e) => e.status !== "deleting")).map(({ env }) => ({ name: env.name, title: env.title }))}
            disabledReason={notAdmin}
          />
        </section>
        <section aria-labelledby="idle-heading" className="rounded-lg border border-border bg-surface p-5">
          <h2 id="idle-heading" className="mb-4 text-lg font-semibold">
            Idle environments
          </h2>
          <AutoPauseForm projectId={project.id} days={project.autoPauseDays} disabledReason={notAdmin} />
        </section>
        <section aria-labelledby="backups-heading" className="rounded-lg border border-border bg-surface p-5">
          <h2 id="backups-heading" className="mb-4 text-lg font-semibold">
            Backups
          </h2>
          <BackupSchedulesForm projectId={project.id} schedules={schedulesOf(project.backupSchedules)} planManual={PLAN_MANUAL_BACKUPS[project.plan]} storage={storage} disabledReason={notAdmin} />
        </section>
        <section aria-labelledby="project-variables-heading" className="rounded-lg border border-border bg-surface p-5">
          <h2 id="project-variables-heading" className="text-lg font-semibold">
            Project variables
          </h2>
          <p className="mb-4 mt-1 text-sm text-muted">Every environment gets these, under its own and its ancestors&apos; variables of the same name.</p>
          <VariablesPanel
            projectId={project.id}
            items={projectVariables.map((v) => ({ ...v, definedAt: "project", canChange: !notAdmin }))}
            canAdd={!notAdmin}
          />
        </section>
        <section aria-labelledby="danger-heading" className="rounded-lg border border-danger/40 bg-surface p-5">
          <h2 id="danger-heading" className="text-lg font-semibold">
            Delete project
          </h2>
          <p className="mb-4 mt-1 text-sm text-muted">
            {notAdmin ?? "Deletes the project, its members and everything it holds. You will be asked to type the project id."}
          </p>
          <DeleteProjectDialog projectId={project.id} disabledReason={notAdmin} />
        </section>
      </div>
    </>
  );
}
