"use client";

import { useId, useState, type ReactNode, type SyntheticEvent } from "react";
import { Button } from "./button";

/**
 * A button that cannot be used now and says why: it stays focusable (aria-disabled, not
 * disabled), and its reason shows on hover and on keyboard focus, and is its description for
 * screen readers (aria-describedby). Pressing it may also announce the reason (`onPress`).
 */
export function DisabledButton({
  children,
  reason,
  variant = "secondary",
  onPress,
  align = "start",
}: {
  children: ReactNode;
  reason: string;
  variant?: "primary" | "secondary" | "danger" | "ghost";
  onPress?: () => void;
  align?: "start" | "end";
}) {
  const id = useId();
  // The reason opens toward the side with room: a button near the right edge (a phone) aligns it to its own right edge.
  const [end, setEnd] = useState(align === "end");
  const place = (e: SyntheticEvent<HTMLSpanElement>) => {
    const left = e.currentTarget.getBoundingClientRect().left;
    setEnd(align === "end" || left + Math.min(288, window.innerWidth - 32) > window.innerWidth - 8);
  };
  return (
    <span className="group relative inline-flex" onPointerEnter={place} onFocus={place}>
      <Button variant={variant} aria-disabled="true" aria-describedby={id} onClick={(e) => {
        e.preventDefault();
        onPress?.();
      }}>
        {children}
      </Button>
      <span
        id={id}
        role="tooltip"
        className={`pointer-events-none absolute top-full z-30 mt-1.5 hidden w-max max-w-[min(18rem,calc(100vw-2rem))] rounded-md border border-border bg-surface px-2.5 py-1.5 text-xs font-normal text-foreground shadow-lg group-focus-within:block group-hover:block ${end ? "right-0" : "left-0"}`}
      >
        {reason}
      </span>
    </span>
  );
}
