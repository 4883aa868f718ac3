"use client";

import { createContext, useContext, useEffect } from "react";
import type { FormState } from "@/lib/errors";

/** What the last save of a Variables panel did, whichever of its forms made it. */
export interface SavedOutcome {
  /** The activity recording it (null: nothing changed). */
  activityId: string | null;
  /** Queued: it redeploys `environment`. */
  redeploys: boolean;
  environment: string | null;
  /** Said first (an import's counts). */
  summary?: string;
}

export const SavedContext = createContext<(saved: SavedOutcome) => void>(() => {});

/** Tells the panel when a form's action succeeded (once per answer); `toOutcome` reads what the action answered. */
export function useReportSaved<T extends SavedOutcome>(state: FormState<T>, then?: () => void): void;
export function useReportSaved<T>(state: FormState<T>, then: (() => void) | undefined, toOutcome: (data: T) => SavedOutcome): void;
export function useReportSaved<T>(state: FormState<T>, then?: () => void, toOutcome: (data: T) => SavedOutcome = (d) => d as unknown as SavedOutcome) {
  const report = useContext(SavedContext);
  useEffect(() => {
    if (!state?.ok) return;
    report(toOutcome(state.data));
    then?.();
  }, [state]); // eslint-disable-line react-hooks/exhaustive-deps
}
