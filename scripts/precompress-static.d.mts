/** Writes `<file>.br` beside each .js and .css file under `dir`; returns how many it wrote. */
export function precompressStatic(dir: string, log?: (line: string) => void): number;
