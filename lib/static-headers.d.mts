/** The headers of every answer that does not pass through proxy.ts (static files). */
export const STATIC_HEADERS: ReadonlyArray<{ key: string; value: string }>;
