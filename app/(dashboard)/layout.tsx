import { HydrationBoundary, QueryClient, dehydrate } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { ActivityToasts } from "@/components/activities/activity-toasts";
import { AppShell } from "@/components/shell/app-shell";
import type { SwitcherProject } from "@/components/shell/project-switcher";
import { getDb } from "@/db/client";
import { requireSessionUser } from "@/lib/session/session";
import { listProjectsForUser } from "@/lib/auth/project-access";
import { queryKeys } from "@/components/query-keys";

export default async function DashboardLayout({ children }: { children: ReactNode }) {
  const user = await requireSessionUser();
  const projects = await listProjectsForUser(await getDb(), user);
  // Hand the list to the client cache; each server render is newer than what the cache
  // holds, so a created, renamed or deleted project shows in the switcher at once.
  const queryClient = new QueryClient();
  queryClient.setQueryData<SwitcherProject[]>(queryKeys.projects(), projects.map((p) => ({ id: p.id, title: p.title })));
  return (
    <HydrationBoundary state={dehydrate(queryClient)}>
      <ActivityToasts>
        <AppShell user={user}>{children}</AppShell>
      </ActivityToasts>
    </HydrationBoundary>
  );
}
