/** The header proxy.ts sets on every page request: the path (and query) the browser asked for. */
export const REQUEST_PATH_HEADER = "x-pwi-request-path";

/** A same-origin path to come back to after signing in, or the projects page. Pure. */
export function safeReturnPath(value: unknown): string {
  return typeof value === "string" && value.startsWith("/") && !value.startsWith("//") && !value.startsWith("/\\") && !value.startsWith("/sign-in") && value.length <= 2000 ? value : "/projects";
}
