import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { formatDate, formatDateTime } from "@/components/projects/format";
import { Badge } from "@/components/ui/badge";
import { PageHeader } from "@/components/ui/page-header";
import { CreateUserForm } from "@/components/users/create-user-form";
import { InviteForm } from "@/components/users/invite-form";
import { ManageUserDialog } from "@/components/users/manage-user-dialog";
import { PendingInvitations } from "@/components/users/pending-invitations";
import { getDb } from "@/db/client";
import { canManageUsers } from "@/lib/auth/permissions";
import { listSignInLocks } from "@/lib/auth/sign-in-throttle";
import { listPendingInvitations } from "@/lib/projects/invitations";
import { requireSessionUser } from "@/lib/session/session";
import { listUsers } from "@/lib/users/create-user";

export const metadata: Metadata = { title: "Users" };

const section = "rounded-lg border border-border bg-surface p-5";

export default async function UsersPage() {
  const me = await requireSessionUser();
  if (!canManageUsers(me)) notFound();
  const db = await getDb();
  const [users, locks, invitations] = await Promise.all([listUsers(db), listSignInLocks(db), listPendingInvitations(db, null)]);
  const lockedFrom = (email: string) => locks.filter((l) => l.email === email).map((l) => l.address || "unknown address");
  return (
    <>
      <PageHeader title="Users" description="Everyone who can sign in to this instance." />
      <div className="mb-8 grid gap-6 lg:grid-cols-2">
        <section aria-labelledby="add-user-heading" className={section}>
          <h2 id="add-user-heading" className="mb-4 text-lg font-semibold">
            Add a user
          </h2>
          <CreateUserForm />
        </section>
        <section aria-labelledby="invite-heading" className={section}>
          <h2 id="invite-heading" className="text-lg font-semibold">
            Invite someone
          </h2>
          <p className="mb-4 mt-1 text-sm text-muted">They choose their own name and password. To invite into a project with its roles, use the project’s Access page.</p>
          <InviteForm />
          <h3 className="mb-1 mt-5 text-sm font-semibold">Pending invitations</h3>
          <PendingInvitations
            invitations={invitations.map((i) => ({ id: i.id, email: i.email, detail: i.projectId ? `to ${i.projectId} as project ${i.role}` : "account only", expiresAt: formatDateTime(i.expiresAt) }))}
          />
        </section>
      </div>
      <div className="relative overflow-x-auto rounded-lg border border-border bg-surface">
        <table className="w-full text-left text-sm">
          <caption className="sr-only">Users</caption>
          <thead className="border-b border-border text-muted">
            <tr>
              <th scope="col" className="px-4 py-2 font-medium">Name</th>
              <th scope="col" className="px-4 py-2 font-medium">Email</th>
              <th scope="col" className="px-4 py-2 font-medium">Role</th>
              <th scope="col" className="px-4 py-2 font-medium">Status</th>
              <th scope="col" className="px-4 py-2 font-medium">Created</th>
              <th scope="col" className="px-4 py-2 font-medium">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => {
              const locked = lockedFrom(u.email);
              return (
                <tr key={u.id} className="border-b border-border last:border-0">
                  <td className="px-4 py-2">{u.name}</td>
                  <td className="px-4 py-2">{u.email}</td>
                  <td className="px-4 py-2">{u.isAdmin ? <Badge tone="accent">Administrator</Badge> : "User"}</td>
                  <td className="px-4 py-2">
                    {u.deactivatedAt ? <Badge tone="neutral">Deactivated</Badge> : locked.length > 0 ? <Badge tone="danger">Sign-in locked</Badge> : "Active"}
                  </td>
                  <td className="px-4 py-2">{formatDate(u.createdAt)}</td>
                  <td className="px-4 py-2 text-right">
                    <ManageUserDialog
                      user={{ id: u.id, name: u.name ?? "", email: u.email, isAdmin: u.isAdmin, isDeactivated: Boolean(u.deactivatedAt), lockedAddresses: locked, isSelf: u.id === me.id }}
                    />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}
