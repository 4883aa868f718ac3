/**
 * Checks shared by every free-text field people see in lists (titles, names). Pure.
 * Bidi controls (U+202A–U+202E, U+2066–U+2069, LRM/RLM, ALM) can make a title read as
 * something else ("‮txt.exe" shows as "exe.txt"), so they are refused like control characters.
 */
const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;

/** Why `text` cannot be shown as a title or name, or null. `what` is "title" or "name". */
export function displayTextProblem(text: string, what: "title" | "name"): string | null {
  if (/\p{Cc}/u.test(text)) return `The ${what} cannot contain control characters (such as tabs or line breaks).`;
  if (BIDI_CONTROLS.test(text)) return `The ${what} cannot contain invisible text-direction characters (such as U+202E): remove them and type it again.`;
  return null;
}

/**
 * Text from elsewhere (a message's subject, an address) made safe to list and to log as one line:
 * control and text-direction characters become spaces, and it is cut to `max` characters.
 */
export function oneLine(text: string, max = 500): string {
  return text.replace(/\p{Cc}/gu, " ").replace(new RegExp(BIDI_CONTROLS.source, "gu"), " ").slice(0, max);
}
