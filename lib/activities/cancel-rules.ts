/** Why an activity cannot be cancelled now, or null. Pure: the Cancel button and the server share it. */
export function cancelProblem(a: { state: string; phase: string | null }): string | null {
  if (a.state === "pending") return null;
  if (a.state !== "in_progress") return "This activity has already ended.";
  // Building or deploying: a hook runs, and Cancel stops its whole sandbox; the previous deployment stays.
  if (a.phase === "build" || a.phase === "deploy") return null;
  return "Only pending activities, or ones building or deploying, can be cancelled.";
}
