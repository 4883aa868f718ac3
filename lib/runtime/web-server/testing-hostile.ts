/**
 * Tests only: values a repository could put in web.locations to break out of the nginx
 * configuration (the lesson of ingress-nginx's worst vulnerabilities), and a location that
 * carries one in every place a value reaches.
 */
import type { LocationConfig } from "@/lib/config/parse-config";

export const HOSTILE_VALUES = [
  "a;b",
  'x} location / { return 200 "pwned"; } #',
  "$host",
  "${pwi_dollar}x",
  '"quoted"',
  "'single'",
  "# not a comment",
  "back\\slash\\",
  "brace{}",
  'semi;"quote;\\;{',
  "a\\n\\tb",
];

/** A header name that is a valid token yet full of nginx's special characters. */
export const HOSTILE_HEADER_NAME = "X-#$host'|`~!";

/** An index file name carrying `value` (an index cannot hold "/"). */
export const indexOf = (value: string) => `${value.replaceAll("/", "_")}.html`;

/** A regex matching `value` literally. */
export const literalRegex = (value: string) => `^/${value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`;

/** web.locations with `value` as root, passthru, index, header values and a rule's regex, passthru and Content-Type. */
export function hostileLocations(value: string): Record<string, LocationConfig> {
  return {
    "/": {
      root: value.includes("$") ? "public" : `public/${value}`,
      passthru: `/${value}`,
      index: [indexOf(value)],
      headers: { "X-Value": value, [HOSTILE_HEADER_NAME]: "n" },
      rules: { [literalRegex(value)]: { passthru: `/${value}`, headers: { "X-Rule": value, "Content-Type": value } } },
    },
  };
}
