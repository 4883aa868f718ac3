import { Badge } from "@/components/ui/badge";
import { PageHeader } from "@/components/ui/page-header";
import type { Project } from "@/db/schema";
import { planLabel, regionName } from "@/lib/projects/regions";
import { ProjectNav } from "./project-nav";

export function ProjectHeader({ project }: { project: Project }) {
  return (
    <>
      <PageHeader
        title={project.title}
        description={
          <span className="flex flex-wrap items-center gap-2">
            <span className="font-mono">{project.id}</span>
            <Badge tone={project.plan === "pro" ? "accent" : "neutral"}>{planLabel(project.plan)}</Badge>
            <span>{regionName(project.region)}</span>
          </span>
        }
      />
      <ProjectNav projectId={project.id} />
    </>
  );
}
