/** Who may do what. Pure: callers pass what they loaded. */
import type { EnvironmentRole, Project, ProjectRole } from "@/db/schema";

export interface SessionUser {
  id: string;
  email: string;
  name: string | null;
  isAdmin: boolean;
}

export type EnvironmentType = "production" | "staging" | "development";

export interface ProjectAccess {
  project: Project;
  /** null when an instance administrator sees a project they are not a member of. */
  role: ProjectRole | null;
  environmentRoles: Record<EnvironmentType, EnvironmentRole>;
}

const ROLE_RANK: Record<EnvironmentRole, number> = { none: 0, viewer: 1, contributor: 2, admin: 3 };

/** Whether `role` on an environment type is at least `needed`. */
export function hasRole(role: EnvironmentRole, needed: EnvironmentRole): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[needed];
}

/** "No access" on an environment type hides its environments and their activities (404). */
export function canSeeEnvironmentType(access: ProjectAccess, type: EnvironmentType): boolean {
  return hasRole(access.environmentRoles[type], "viewer");
}

export function canCreateProjects(user: SessionUser): boolean {
  return user.isAdmin;
}

export function canManageProject(access: ProjectAccess): boolean {
  return access.role === "admin";
}

export function canManageUsers(user: SessionUser): boolean {
  return user.isAdmin;
}

export const FULL_ENVIRONMENT_ACCESS: Record<EnvironmentType, EnvironmentRole> = {
  production: "admin",
  staging: "admin",
  development: "admin",
};

/** Instance administrators who are not members may look, never act. */
export const INSTANCE_ADMIN_ENVIRONMENT_ACCESS: Record<EnvironmentType, EnvironmentRole> = {
  production: "viewer",
  staging: "viewer",
  development: "viewer",
};
