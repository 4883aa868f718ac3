import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { formatDate } from "@/components/projects/format";
import { Badge } from "@/components/ui/badge";
import { PageHeader } from "@/components/ui/page-header";
import { CreateUserForm } from "@/components/users/create-user-form";
import { getDb } from "@/db/client";
import { canManageUsers } from "@/lib/auth/permissions";
import { requireSessionUser } from "@/lib/session/session";
import { listUsers } from "@/lib/users/create-user";

export const metadata: Metadata = { title: "Users" };

export default async function UsersPage() {
  const user = await requireSessionUser();
  if (!canManageUsers(user)) notFound();
  const users = await listUsers(await getDb());
  return (
    <>
      <PageHeader title="Users" description="Everyone who can sign in to this instance." />
      <section aria-labelledby="add-user-heading" className="mb-8 rounded-lg border border-border bg-surface p-5">
        <h2 id="add-user-heading" className="mb-4 text-lg font-semibold">
          Add a user
        </h2>
        <CreateUserForm />
      </section>
      <div className="overflow-x-auto rounded-lg border border-border bg-surface">
        <table className="w-full text-left text-sm">
          <caption className="sr-only">Users</caption>
          <thead className="border-b border-border text-muted">
            <tr>
              <th scope="col" className="px-4 py-2 font-medium">Name</th>
              <th scope="col" className="px-4 py-2 font-medium">Email</th>
              <th scope="col" className="px-4 py-2 font-medium">Role</th>
              <th scope="col" className="px-4 py-2 font-medium">Created</th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.id} className="border-b border-border last:border-0">
                <td className="px-4 py-2">{u.name}</td>
                <td className="px-4 py-2">{u.email}</td>
                <td className="px-4 py-2">{u.isAdmin ? <Badge tone="accent">Administrator</Badge> : "User"}</td>
                <td className="px-4 py-2">{formatDate(u.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
