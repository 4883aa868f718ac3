import type { KeyboardEvent } from "react";

/**
 * Enter or Space on a focused React Flow node does what a click does (React Flow itself
 * only marks it selected), so a keyboard user can Tab through the nodes and open one.
 */
export function onNodeKey(select: (id: string) => void) {
  return (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key !== "Enter" && event.key !== " ") return;
    const id = (event.target as HTMLElement).closest<HTMLElement>(".react-flow__node")?.dataset.id;
    if (!id) return;
    event.preventDefault();
    select(id);
  };
}
