/** Project ids: short lowercase slugs used in URLs (and later the git remote). Pure. */

export const PROJECT_ID_MIN = 2;
export const PROJECT_ID_MAX = 40;
export const PROJECT_ID_PATTERN = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
/** Words that are routes of their own under /projects. */
export const RESERVED_PROJECT_IDS = new Set(["new", "settings", "api", "admin", "environments", "activities"]);

/** "Démo Store №1" → "demo-store-no1". Never empty, always valid (but maybe taken). */
export function deriveProjectId(title: string): string {
  let id = title
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  if (id.length > PROJECT_ID_MAX) id = id.slice(0, PROJECT_ID_MAX).replace(/-+$/g, "");
  if (!/^[a-z]/.test(id)) id = id ? `p-${id}`.slice(0, PROJECT_ID_MAX).replace(/-+$/g, "") : "project";
  if (id.length < PROJECT_ID_MIN) id = `${id}-project`;
  if (RESERVED_PROJECT_IDS.has(id)) id = `${id}-project`;
  return id;
}

/** Why an id is not acceptable, or null when it is. */
export function projectIdProblem(id: string): string | null {
  if (id.length < PROJECT_ID_MIN || id.length > PROJECT_ID_MAX) {
    return `Use ${PROJECT_ID_MIN}–${PROJECT_ID_MAX} characters for the project id.`;
  }
  if (!PROJECT_ID_PATTERN.test(id)) {
    return "Use lowercase letters, digits and single dashes for the project id, starting with a letter.";
  }
  if (RESERVED_PROJECT_IDS.has(id)) return `“${id}” is reserved. Choose another project id.`;
  return null;
}

/** id-2, id-3, … : the first candidate not in `taken`. */
export function nextFreeProjectId(id: string, taken: ReadonlySet<string>): string {
  if (!taken.has(id)) return id;
  for (let n = 2; ; n++) {
    const suffix = `-${n}`;
    const candidate = `${id.slice(0, PROJECT_ID_MAX - suffix.length).replace(/-+$/g, "")}${suffix}`;
    if (!taken.has(candidate)) return candidate;
  }
}
