export interface YamlError {
  file: string;
  line: number | null;
  message: string;
}
export type ParsedYaml =
  | { kind: "missing" }
  | { kind: "errors"; errors: YamlError[] }
  | { kind: "ok"; value: unknown; lines: [string, number][] };
export const MAX_ALIASES: number;
export const MAX_NESTING: number;
export function parseYamlFile(file: string, text: string | null): ParsedYaml;
