import Link from "next/link";
import { Fragment } from "react";

/** Where a page sits: links separated by " / " (the page's own title is its heading, not a crumb). */
export function Breadcrumb({ items }: { items: readonly { href: string; label: string }[] }) {
  return (
    <nav aria-label="Breadcrumb" className="mb-2 text-sm">
      {items.map((item, i) => (
        <Fragment key={item.href}>
          {i > 0 ? <span className="text-muted"> / </span> : null}
          <Link href={item.href} className="text-muted hover:text-foreground">
            {item.label}
          </Link>
        </Fragment>
      ))}
    </nav>
  );
}

/** The crumbs of a page about one environment: its project, then the environment. */
export function environmentCrumbs(project: { id: string; title: string }, env: { name: string; title: string }) {
  return [
    { href: `/projects/${project.id}`, label: project.title },
    { href: `/projects/${project.id}/environments/${env.name}`, label: env.title },
  ];
}
