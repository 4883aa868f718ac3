"use client";

import { useState } from "react";

/** A key that changes after each successful submission: put it on a form to empty it then. */
export function useResetKey(state: { ok: boolean } | null): number {
  const [key, setKey] = useState(0);
  const [seen, setSeen] = useState(state);
  if (state !== seen) {
    setSeen(state);
    if (state?.ok) setKey((k) => k + 1);
  }
  return key;
}
