"use client";

import { createContext, useContext, useEffect, useState, type ReactNode } from "react";

type State = [string | null, (name: string | null) => void];
const CurrentEnvironment = createContext<State>([null, () => {}]);

/** Lets a page that is about one environment without naming it in its address (an activity's page) tell the header which. */
export function CurrentEnvironmentProvider({ children }: { children: ReactNode }) {
  const state = useState<string | null>(null);
  return <CurrentEnvironment.Provider value={state}>{children}</CurrentEnvironment.Provider>;
}

export function useCurrentEnvironment(): string | null {
  return useContext(CurrentEnvironment)[0];
}

/** Rendered by such a page: the header's environment switcher shows `name` while it is open. */
export function SetCurrentEnvironment({ name }: { name: string }) {
  const [, set] = useContext(CurrentEnvironment);
  useEffect(() => {
    set(name);
    return () => set(null);
  }, [name, set]);
  return null;
}
