import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { CreateProjectForm } from "@/components/projects/create-project-form";
import { PageHeader } from "@/components/ui/page-header";
import { canCreateProjects } from "@/lib/auth/permissions";
import { requireSessionUser } from "@/lib/session/session";

export const metadata: Metadata = { title: "Create project" };

export default async function NewProjectPage() {
  const user = await requireSessionUser();
  if (!canCreateProjects(user)) notFound();
  return (
    <>
      <PageHeader title="Create project" description="You become its project admin, with admin rights on every environment type." />
      <CreateProjectForm />
    </>
  );
}
