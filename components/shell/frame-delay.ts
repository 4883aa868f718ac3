"use client";

import { use, useState } from "react";
import { useHydrated } from "@/components/ui/use-hydrated";

/**
 * How long after a click or key press a page's loading frame waits before it shows. React holds
 * content at least 300 ms behind a Suspense fallback it has shown (its throttle), so a frame shown
 * at the click made every navigation take 300 ms or more (bench:project-page: 320-360 ms for pages
 * the server answers in 50-100 ms). Now a page that comes within this delay appears at once,
 * without its frame; a slower one shows its frame after the delay, and its content at least
 * 300 ms after that.
 */
export const FRAME_DELAY_MS = 200;

/** When the user last clicked or pressed a key (every navigation starts with one), on the page's clock. */
let lastInput = -Infinity;
let waiting: { from: number; promise: Promise<void> } | null = null;

if (typeof window !== "undefined") {
  const record = () => void (lastInput = performance.now());
  window.addEventListener("click", record, { capture: true });
  window.addEventListener("keydown", record, { capture: true });
}

/** What a frame first rendered at `renderedAt` still waits for: null once it may show. */
function pendingDelay(renderedAt: number): Promise<void> | null {
  // A frame on screen was first rendered before any later input: it never suspends again.
  if (renderedAt < lastInput) return null;
  const now = performance.now();
  const until = lastInput + FRAME_DELAY_MS;
  if (now >= until) return null;
  if (waiting?.from !== lastInput) waiting = { from: lastInput, promise: new Promise((resolve) => setTimeout(resolve, until - now)) };
  return waiting.promise;
}

/**
 * Called by a loading frame: within FRAME_DELAY_MS of the last click or key press it suspends,
 * so the navigation (a transition) keeps the previous page until the new one or the delay comes.
 * Never while hydrating: a frame the server streamed shows as it came.
 */
export function useFrameDelay(): void {
  const hydrated = useHydrated();
  const [renderedAt] = useState(() => performance.now());
  const delay = hydrated ? pendingDelay(renderedAt) : null;
  if (delay) use(delay);
}
