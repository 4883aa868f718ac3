import type { ReactNode } from "react";
import { AppShell } from "@/components/shell/app-shell";
import { getDb } from "@/db/client";
import { requireSessionUser } from "@/lib/auth/session";
import { listProjectsForUser } from "@/lib/projects/access";

export default async function DashboardLayout({ children }: { children: ReactNode }) {
  const user = await requireSessionUser();
  const projects = await listProjectsForUser(await getDb(), user);
  return (
    <AppShell user={user} projects={projects.map((p) => ({ id: p.id, title: p.title }))}>
      {children}
    </AppShell>
  );
}
