import type { KeyboardEvent } from "react";

/**
 * The id of the React Flow node on which Enter or Space was pressed (the node itself, not a
 * button inside it), or null. Graphs treat it as a click (React Flow itself only marks the
 * node selected), so a keyboard user can Tab through the nodes and open one.
 */
export function activatedNode(event: KeyboardEvent<HTMLElement>): string | null {
  if (event.key !== "Enter" && event.key !== " ") return null;
  const target = event.target as HTMLElement;
  const id = target.classList.contains("react-flow__node") ? target.dataset.id : undefined;
  if (!id) return null;
  event.preventDefault();
  return id;
}
