import type { KeyboardEvent } from "react";

/**
 * Enter or Space on a focused React Flow node does what a click does (React Flow itself
 * only marks it selected), so a keyboard user can Tab through the nodes and open one.
 */
export function onNodeKey(select: (id: string) => void) {
  return (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key !== "Enter" && event.key !== " ") return;
    const target = event.target as HTMLElement;
    const id = target.classList.contains("react-flow__node") ? target.dataset.id : undefined; // not a button inside it
    if (!id) return;
    event.preventDefault();
    select(id);
  };
}
