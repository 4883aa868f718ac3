/**
 * `git push -o …` options the console understands, as on the platform:
 *   -o environment.parent=<name>   the parent of a new branch's environment
 *   -o environment.title=<title>   its title
 *   -o environment.status=active   activate it (a new or an inactive environment) after the push
 *   -o deploy.wait=0               return at once instead of waiting for the deploys the push started
 * Pure: a refusal sentence for anything else.
 */
export interface PushOptionValues {
  parent?: string;
  title?: string;
  status?: "active" | "inactive";
  /** False: the push returns at once; the deploys it started go on (default: it waits and reports how they ended). */
  wait?: boolean;
}

const KNOWN = "environment.parent, environment.title, environment.status or deploy.wait";

export function parsePushOptions(options: readonly string[]): { ok: true; values: PushOptionValues } | { ok: false; problem: string } {
  const values: PushOptionValues = {};
  for (const option of options) {
    const eq = option.indexOf("=");
    const key = (eq < 0 ? option : option.slice(0, eq)).trim();
    const value = eq < 0 ? "" : option.slice(eq + 1).trim();
    if (key === "environment.parent") {
      if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(value)) return { ok: false, problem: `-o environment.parent needs an environment's name, like environment.parent=integration.` };
      values.parent = value;
    } else if (key === "environment.title") {
      if (!value || value.length > 100 || /[\p{Cc}\u200E\u200F\u202A-\u202E\u2066-\u2069]/u.test(value)) {
        return { ok: false, problem: `-o environment.title needs 1–100 characters without control or text-direction characters.` };
      }
      values.title = value;
    } else if (key === "environment.status") {
      if (value !== "active" && value !== "inactive") return { ok: false, problem: `-o environment.status is active or inactive, not “${value.slice(0, 20)}”.` };
      values.status = value;
    } else if (key === "deploy.wait") {
      if (!["0", "1", "false", "true", "no", "yes"].includes(value)) return { ok: false, problem: `-o deploy.wait is 0 (return at once) or 1 (wait for the deploy), not “${value.slice(0, 20)}”.` };
      values.wait = value === "1" || value === "true" || value === "yes";
    } else {
      return { ok: false, problem: `Unknown push option “${key.slice(0, 40)}”: use ${KNOWN}.` };
    }
  }
  return { ok: true, values };
}
