import type { ReactNode } from "react";
import { ProjectEvents } from "@/components/projects/project-events";

/** Every page of a project shares its one live event stream. */
export default async function ProjectLayout({ children, params }: { children: ReactNode; params: Promise<{ projectId: string }> }) {
  return <ProjectEvents projectId={(await params).projectId}>{children}</ProjectEvents>;
}
