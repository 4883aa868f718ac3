import type { ReactNode } from "react";
import { ProjectEvents } from "@/components/projects/project-events";
import { getProjectForPage } from "@/lib/session/page-access";

/**
 * Every page of a project shares its one live event stream. Access is decided here, above the
 * pages' loading frames, so a project the user may not see answers 404 before anything streams.
 */
export default async function ProjectLayout({ children, params }: { children: ReactNode; params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  await getProjectForPage(projectId);
  return <ProjectEvents projectId={projectId}>{children}</ProjectEvents>;
}
