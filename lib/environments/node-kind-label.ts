/**
 * What kind of environment a node of the tree or the graph is, in one word: "Production",
 * "Staging", "Integration", or "Root" for a branch with no parent that is of no type of its own
 * (a Pro project's global master: the parent of Production, Staging and Integration, which
 * deploys nowhere). A Starter project's master has no parent either but is Production.
 * The tree's badge and the hierarchy graph's label both say this. Pure.
 */
export type EnvironmentKindInput = { type: "production" | "staging" | "development"; parentId: string | null };

export const TYPE_LABEL = { production: "Production", staging: "Staging", development: "Integration" } as const;

export function nodeKindLabel({ type, parentId }: EnvironmentKindInput): "Root" | (typeof TYPE_LABEL)[keyof typeof TYPE_LABEL] {
  return parentId === null && type === "development" ? "Root" : TYPE_LABEL[type];
}
