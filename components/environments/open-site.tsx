"use client";

import type { ProjectOverview } from "@/lib/environments/overview";
import { buttonClass } from "@/components/ui/button";
import { DisabledButton } from "@/components/ui/disabled-button";
import { Menu, MenuContent, MenuItem, MenuLabel, MenuTrigger } from "@/components/ui/menu";
import { useProjectOverview } from "./use-project-overview";

/** An address of the site, and what it is ("redirects to …", "for clients without *.localhost"). */
export interface SiteAddress {
  url: string;
  note: string;
}

/**
 * "Open site" beside the environment's title: its primary address (the first route that is not a
 * redirect), and a menu of the others. Shown while the environment is active and deployed (the
 * overview, live); while it is paused, a DisabledButton says so.
 */
export function OpenSite({ projectId, environmentName, initial, primary, others }: { projectId: string; environmentName: string; initial: ProjectOverview; primary: string; others: SiteAddress[] }) {
  const { data } = useProjectOverview(projectId, initial, environmentName);
  const env = data.environments.find((e) => e.name === environmentName);
  if (!env || env.status === "inactive" || env.status === "deleting" || !env.deployedCommit) return null;
  if (env.paused) {
    return (
      <DisabledButton reason={`${env.title} is paused: its site answers 503 until Resume, a push or a redeploy.`} align="end">
        Open site
      </DisabledButton>
    );
  }
  return (
    <div className="inline-flex" role="group" aria-label={`${env.title}'s site`}>
      <a href={primary} target="_blank" rel="noreferrer" className={buttonClass("primary", others.length > 0 ? "rounded-r-none" : "")} data-testid="open-site" title={primary}>
        Open site
        <span aria-hidden>↗</span>
      </a>
      {others.length > 0 ? (
        <Menu>
          <MenuTrigger className={buttonClass("primary", "rounded-l-none border-l border-accent-foreground/30 px-2")} aria-label="Other addresses of the site">
            <span aria-hidden>▾</span>
          </MenuTrigger>
          <MenuContent align="end">
            <MenuLabel>Other addresses</MenuLabel>
            {others.map((o) => (
              <MenuItem key={o.url} asChild>
                <a href={o.url} target="_blank" rel="noreferrer" className="flex-col items-start gap-0.5">
                  <span className="font-mono text-xs [overflow-wrap:anywhere]">{o.url}</span>
                  <span className="text-xs text-muted">{o.note}</span>
                </a>
              </MenuItem>
            ))}
          </MenuContent>
        </Menu>
      ) : null}
    </div>
  );
}
