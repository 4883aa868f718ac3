import "server-only";
import { eq, like, or } from "drizzle-orm";
import type { Db } from "@/db/client";
import { projectMembers, projects, type Project } from "@/db/schema";
import { canCreateProjects, type SessionUser } from "@/lib/auth/permissions";
import { notifyWorkers } from "@/lib/activities/wake";
import { DomainError } from "@/lib/errors";
import { startingBranch } from "@/lib/environments/rules";
import { buildRepository, deleteRepository, placeRepository } from "@/lib/git/repository";
import { createInitialEnvironments, initialEnvironments } from "./initial-environments";
import { nextFreeProjectId } from "./project-id";
import type { CreateProjectInput } from "./validation";

/**
 * Creates a project and makes its creator project admin with admin on every environment
 * type, in one transaction. A taken id is a field error that suggests a free one.
 */
export async function createProject(db: Db, creator: SessionUser, input: CreateProjectInput): Promise<Project> {
  if (!canCreateProjects(creator)) {
    throw new DomainError("forbidden", "Only instance administrators can create projects. Ask one to create it for you.");
  }
  let repositoryCreated = false;
  let created: Project | null;
  // The repository is built before the transaction (git processes, ~10 ms each, more under
  // load: the embedded database runs one transaction at a time and every other query waits),
  // and moved into place inside it.
  const layout = initialEnvironments(input.plan);
  // HEAD names the branch where work starts (Pro: integration, not the code-only master).
  const built = await buildRepository(input.title, layout.map((e) => e.name), startingBranch(input.plan));
  try {
    created = await db.transaction(async (tx) => {
      const [project] = await tx
        .insert(projects)
        .values({ id: input.id, title: input.title, plan: input.plan, region: input.region, createdBy: creator.id })
        .onConflictDoNothing({ target: projects.id })
        .returning();
      if (!project) return null;
      await tx.insert(projectMembers).values({
        projectId: project.id,
        userId: creator.id,
        role: "admin",
        productionRole: "admin",
        stagingRole: "admin",
        developmentRole: "admin",
      });
      // The id is ours now; a repository left at this path by a crash is an orphan.
      deleteRepository(project.id);
      placeRepository(built, project.id);
      repositoryCreated = true;
      await createInitialEnvironments(tx, project, creator, layout);
      return project;
    });
  } catch (err) {
    if (repositoryCreated) deleteRepository(input.id);
    throw err;
  } finally {
    built.discard(); // when it was not moved into place
  }
  notifyWorkers();
  if (!created) {
    const suggestion = await suggestProjectId(db, input.id);
    throw new DomainError("conflict", `The project id “${input.id}” is taken.`, {
      id: [`The project id “${input.id}” is taken. Choose another, for example “${suggestion}”.`],
    });
  }
  return created;
}

/** The id itself when free, else the first free id-N. */
export async function suggestProjectId(db: Db, id: string): Promise<string> {
  const rows = await db
    .select({ id: projects.id })
    .from(projects)
    .where(or(eq(projects.id, id), like(projects.id, `${id}-%`)));
  return nextFreeProjectId(id, new Set(rows.map((r) => r.id)));
}
