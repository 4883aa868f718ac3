"use client";

import { useState } from "react";
import { Select } from "@/components/ui/field";
import { typeLabel } from "@/lib/environments/rules";

export const ENVIRONMENT_ROLE_OPTIONS = [
  { value: "admin", label: "Admin" },
  { value: "contributor", label: "Contributor" },
  { value: "viewer", label: "Viewer" },
  { value: "none", label: "No access" },
] as const;

/** The environment types, named as everywhere else (typeLabel: the development type is "Integration"). */
export const ENVIRONMENT_TYPES = (["production", "staging", "development"] as const).map((key) => ({ key, label: typeLabel(key) }));

export interface Roles {
  role: "admin" | "viewer";
  production: string;
  staging: string;
  development: string;
}

/**
 * The project role and one role per environment type. A project admin has admin on every
 * type, so those selects are locked (and say why) while "Project admin" is chosen.
 */
export function RoleFields({ idPrefix, initial, disabled, compact }: { idPrefix: string; initial: Roles; disabled?: boolean; compact?: boolean }) {
  const [role, setRole] = useState(initial.role);
  const isAdmin = role === "admin";
  const label = (text: string, id: string) => (
    <label htmlFor={id} className={compact ? "sr-only" : "block text-sm font-medium"}>
      {text}
    </label>
  );
  return (
    <>
      <div className="space-y-1.5">
        {label("Project role", `${idPrefix}-role`)}
        <Select id={`${idPrefix}-role`} name="role" value={role} disabled={disabled} onChange={(e) => setRole(e.target.value as Roles["role"])}>
          <option value="admin">Project admin</option>
          <option value="viewer">Project viewer</option>
        </Select>
      </div>
      {ENVIRONMENT_TYPES.map((t) => (
        <div key={t.key} className="space-y-1.5">
          {label(`${t.label} environments`, `${idPrefix}-${t.key}`)}
          <Select
            id={`${idPrefix}-${t.key}`}
            name={t.key}
            defaultValue={initial[t.key]}
            disabled={disabled || isAdmin}
            title={isAdmin ? "Project admins have admin rights on every environment type." : undefined}
          >
            {isAdmin ? <option value="admin">Admin</option> : ENVIRONMENT_ROLE_OPTIONS.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
          </Select>
          {/* A disabled select is not submitted: send the value the server will store anyway. */}
          {isAdmin && !disabled ? <input type="hidden" name={t.key} value="admin" /> : null}
        </div>
      ))}
    </>
  );
}
