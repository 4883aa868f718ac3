import Link from "next/link";
import { Fragment } from "react";

/**
 * Where a page sits: links separated by " / ". With `current`, the last item is the page itself
 * (aria-current). On a phone a path of more than three crumbs keeps its first and its last two,
 * the middle shown as "…".
 */
export function Breadcrumb({ items, current = false }: { items: readonly { href: string; label: string }[]; current?: boolean }) {
  const collapse = items.length > 3;
  return (
    <nav aria-label="Breadcrumb" className="mb-2 min-w-0 text-sm">
      {items.map((item, i) => {
        const isCurrent = current && i === items.length - 1;
        const middle = collapse && i > 0 && i < items.length - 2;
        return (
          <Fragment key={item.href}>
            {collapse && i === 1 ? (
              <span aria-hidden className="text-muted sm:hidden">
                {" / … "}
              </span>
            ) : null}
            <span className={middle ? "hidden sm:inline" : undefined}>
              {i > 0 ? <span className="text-muted"> / </span> : null}
              <Link href={item.href} aria-current={isCurrent ? "page" : undefined} className={isCurrent ? "text-foreground" : "text-muted hover:text-foreground"}>
                {item.label}
              </Link>
            </span>
          </Fragment>
        );
      })}
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
