/**
 * Environments in the tree's order — each parent followed by its children, depth first —
 * with their depth, for lists that should read like the tree (the environment switcher).
 * Children keep the order they were given in; an environment whose parent is missing is a
 * root. Pure; O(n).
 */
export function treeOrder<T extends { id: string; parentId: string | null }>(envs: readonly T[]): { env: T; depth: number }[] {
  const ids = new Set(envs.map((e) => e.id));
  const byParent = new Map<string | null, T[]>();
  for (const env of envs) {
    const parent = env.parentId && ids.has(env.parentId) ? env.parentId : null;
    const siblings = byParent.get(parent);
    if (siblings) siblings.push(env);
    else byParent.set(parent, [env]);
  }
  const out: { env: T; depth: number }[] = [];
  const seen = new Set<string>();
  const visit = (parent: string | null, depth: number) => {
    for (const env of byParent.get(parent) ?? []) {
      if (seen.has(env.id)) continue;
      seen.add(env.id);
      out.push({ env, depth });
      visit(env.id, depth + 1);
    }
  };
  visit(null, 0);
  return out;
}
