/** Turns the duplicate .js files under `dir` into references to one of them; returns how many. */
export function dedupeServerChunks(dir: string): number;
