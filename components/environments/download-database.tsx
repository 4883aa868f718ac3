import { SidePanel } from "./side-panel";
import { buttonClass } from "@/components/ui/button";
import { DisabledButton } from "@/components/ui/disabled-button";
import type { DatabaseDownloadLink } from "@/lib/environments/database-download";

/**
 * Download database: each relationship of the deployed configuration that leads to a database
 * (MariaDB/MySQL, PostgreSQL), as plain links to its dump (`.sql`, or gzip-compressed), or the
 * reason it cannot be downloaded now. No script of its own: the browser downloads the answer.
 */
export function DownloadDatabase({ links }: { links: DatabaseDownloadLink[] }) {
  if (links.length === 0) return null;
  return (
    <SidePanel id="env-databases" title="Download database">
      <p className="mb-3 text-xs text-muted">A dump of the running database (one transaction&apos;s view: the site keeps serving while it is made).</p>
      <ul className="space-y-3">
        {links.map((l) => (
          <li key={l.relationship}>
            <div className="flex flex-wrap items-baseline justify-between gap-x-2">
              <span className="font-mono">{l.relationship}</span>
              <span className="text-xs text-muted">
                {l.label}, service {l.serviceId}
              </span>
            </div>
            <div className="mt-1.5 flex flex-wrap gap-2">
              {l.reason ? (
                <DisabledButton reason={l.reason}>{`${l.relationship}.sql`}</DisabledButton>
              ) : (
                <>
                  <a href={l.href} download className={buttonClass("secondary", "font-mono")}>{`${l.relationship}.sql`}</a>
                  <a href={`${l.href}?gzip=1`} download className={buttonClass("secondary", "font-mono")}>{`${l.relationship}.sql.gz`}</a>
                </>
              )}
            </div>
          </li>
        ))}
      </ul>
    </SidePanel>
  );
}
