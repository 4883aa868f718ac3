import type { ReactNode } from "react";

/**
 * Words only a screen reader needs inside a line (a link's "(", "," or ": redeploy to apply"),
 * drawn at size 0 so they stay inline: `sr-only` positions its text, which makes it a block, and
 * browsers put spaces around a block in a name ("Staging ( staging ) , Active").
 */
export function Spoken({ children }: { children: ReactNode }) {
  return <span className="text-[0px]">{children}</span>;
}
