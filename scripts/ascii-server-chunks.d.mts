/** Rewrites the .js files under `dir` that hold non-ASCII characters; returns how many it rewrote. */
export function asciiServerChunks(dir: string, log?: (line: string) => void): number;
