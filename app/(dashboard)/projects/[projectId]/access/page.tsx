import type { Metadata } from "next";
import { AddMemberForm } from "@/components/access/add-member-form";
import { MemberRow } from "@/components/access/member-row";
import { InviteForm } from "@/components/users/invite-form";
import { PendingInvitations } from "@/components/users/pending-invitations";
import { formatDateTime } from "@/components/projects/format";
import { ProjectHeader } from "@/components/projects/project-header";
import { getDb } from "@/db/client";
import { canManageProject } from "@/lib/auth/permissions";
import { listProjectMembers } from "@/lib/projects/members";
import { listPendingInvitations } from "@/lib/projects/invitations";
import { getProjectForPage } from "@/lib/session/page-access";

type Props = { params: Promise<{ projectId: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { access } = await getProjectForPage((await params).projectId);
  return { title: `Access · ${access.project.title}` };
}

export default async function ProjectAccessPage({ params }: Props) {
  const { user, access } = await getProjectForPage((await params).projectId);
  const { project } = access;
  const db = await getDb();
  const members = await listProjectMembers(db, access);
  const canManage = canManageProject(access);
  const canInvite = canManage || user.isAdmin;
  const invitations = canInvite ? await listPendingInvitations(db, project.id) : [];

  return (
    <>
      <ProjectHeader project={project} />
      <div className="space-y-8">
        <section aria-labelledby="members-heading" className="rounded-lg border border-border bg-surface p-5">
          <h2 id="members-heading" className="text-lg font-semibold">
            Members
          </h2>
          <p className="mb-4 mt-1 text-sm text-muted">
            {canManage
              ? "Project admins can do everything, including managing access. Project viewers get, per environment type: admin (settings, merge, branch), contributor (push, branch), viewer (read only) or no access."
              : "Only a project admin can change who has access to this project."}
          </p>
          <ul className="space-y-3">
            {members.map((m) => (
              <MemberRow
                key={m.userId}
                projectId={project.id}
                canManage={canManage}
                isSelf={m.userId === user.id}
                member={{
                  userId: m.userId,
                  name: m.name,
                  email: m.email,
                  roles: { role: m.role, production: m.productionRole, staging: m.stagingRole, development: m.developmentRole },
                }}
              />
            ))}
          </ul>
        </section>
        {canManage ? (
          <section aria-labelledby="add-member-heading" className="rounded-lg border border-border bg-surface p-5">
            <h2 id="add-member-heading" className="mb-4 text-lg font-semibold">
              Add a member
            </h2>
            <AddMemberForm projectId={project.id} />
          </section>
        ) : null}
        {canInvite ? (
          <section aria-labelledby="invite-member-heading" className="rounded-lg border border-border bg-surface p-5">
            <h2 id="invite-member-heading" className="text-lg font-semibold">
              Invite someone new
            </h2>
            <p className="mb-4 mt-1 text-sm text-muted">For a person without an account: the link lets them choose a name and password and opens this project with the roles chosen here.</p>
            <InviteForm projectId={project.id} />
            <h3 className="mb-1 mt-5 text-sm font-semibold">Pending invitations</h3>
            <PendingInvitations
              projectId={project.id}
              invitations={invitations.map((i) => ({ id: i.id, email: i.email, detail: `as project ${i.role}`, expiresAt: formatDateTime(i.expiresAt) }))}
            />
          </section>
        ) : null}
      </div>
    </>
  );
}
