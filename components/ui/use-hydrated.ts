"use client";

import { useSyncExternalStore } from "react";

const noSubscription = () => () => {};

/**
 * False while React hydrates what the server rendered, true after (and for anything rendered on
 * the client). A component that shows data the client may already hold newer (the query cache,
 * filled by the header or the project's event stream before a streamed page hydrates) renders
 * the server's data while hydrating, then the newer data: rendering the newer data at once fails
 * hydration (React error #418) and re-renders the whole page.
 */
export function useHydrated(): boolean {
  return useSyncExternalStore(
    noSubscription,
    () => true,
    () => false,
  );
}
