import type { RequestUser } from "./request-user";

/** How often a long stream asks whether its session was signed out, revoked or deactivated. */
export const SESSION_RECHECK_MS = 15_000;

/**
 * For long streams: calls `onEnd` when the session expires, or within SESSION_RECHECK_MS of
 * it being signed out or revoked (or the token revoked, the user deactivated). Returns a stop.
 */
export function watchSession(r: RequestUser, onEnd: () => void): () => void {
  let stopped = false;
  const stop = () => {
    stopped = true;
    clearInterval(recheck);
    if (expiry) clearTimeout(expiry);
  };
  const end = () => {
    if (stopped) return;
    stop();
    onEnd();
  };
  const expiry = r.expiresAt ? setTimeout(end, Math.max(0, Math.min(r.expiresAt.getTime() - Date.now(), 2 ** 31 - 1))) : null;
  const recheck = setInterval(() => {
    r.isStillValid().then(
      (valid) => !valid && end(),
      () => {}, // a database hiccup is not a sign-out; the next check decides
    );
  }, SESSION_RECHECK_MS);
  return stop;
}
