import type { Metadata } from "next";
import Link from "next/link";
import { formatDate } from "@/components/projects/format";
import { Badge } from "@/components/ui/badge";
import { ButtonLink } from "@/components/ui/button";
import { PageHeader } from "@/components/ui/page-header";
import { getDb } from "@/db/client";
import { canCreateProjects } from "@/lib/auth/permissions";
import { requireSessionUser } from "@/lib/session/session";
import { listProjectsForUser } from "@/lib/auth/project-access";
import { planLabel, regionName } from "@/lib/projects/regions";

export const metadata: Metadata = { title: "Projects" };

export default async function ProjectsPage() {
  const user = await requireSessionUser();
  const projects = await listProjectsForUser(await getDb(), user);
  const canCreate = canCreateProjects(user);

  return (
    <>
      <PageHeader
        title="Projects"
        description={user.isAdmin ? "Every project on this instance." : "The projects you are a member of."}
        actions={canCreate && projects.length > 0 ? <ButtonLink href="/projects/new">Create project</ButtonLink> : null}
      />
      {projects.length === 0 ? (
        <div className="rounded-lg border border-dashed border-border bg-surface px-6 py-14 text-center">
          <h2 className="text-lg font-semibold">No projects yet</h2>
          {canCreate ? (
            <>
              <p className="mx-auto mt-2 max-w-md text-sm text-muted">
                A project holds a store&apos;s code and its environments: Production, Staging and Integration branches. Create one to get started.
              </p>
              <ButtonLink href="/projects/new" className="mt-6">
                Create your first project
              </ButtonLink>
            </>
          ) : (
            <p className="mx-auto mt-2 max-w-md text-sm text-muted">
              You are not a member of any project. Ask a project admin to add you, or an instance administrator to create one.
            </p>
          )}
        </div>
      ) : (
        <ul className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-3" aria-label="Projects">
          {projects.map((p) => (
            <li key={p.id}>
              <Link
                href={`/projects/${p.id}`}
                className="block h-full rounded-lg border border-border bg-surface p-4 shadow-sm transition hover:border-accent/60 hover:shadow"
              >
                <div className="flex items-start justify-between gap-2">
                  <h2 className="min-w-0 truncate font-semibold">{p.title}</h2>
                  <Badge tone={p.plan === "pro" ? "accent" : "neutral"}>{planLabel(p.plan)}</Badge>
                </div>
                <p className="mt-0.5 truncate font-mono text-xs text-muted">{p.id}</p>
                <dl className="mt-4 grid grid-cols-2 gap-x-4 gap-y-1 text-sm">
                  <dt className="text-muted">Region</dt>
                  <dd>{regionName(p.region)}</dd>
                  <dt className="text-muted">Members</dt>
                  <dd>{p.memberCount}</dd>
                  <dt className="text-muted">Created</dt>
                  <dd>
                    <time dateTime={p.createdAt.toISOString()}>{formatDate(p.createdAt)}</time>
                  </dd>
                  <dt className="text-muted">Your role</dt>
                  <dd>{p.role === "admin" ? "Project admin" : p.role === "viewer" ? "Viewer" : "Instance administrator"}</dd>
                </dl>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
