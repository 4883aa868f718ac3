"use client";

import Link from "next/link";
import type { CSSProperties, ReactNode } from "react";
import { MenuItem, MenuLabel, MenuSeparator } from "@/components/ui/menu";
import type { useInactiveChoices, useSwitcherEnvironments } from "./project-switcher";

/** An entry of the phone's sheet (phone-menu-sheet.tsx): a link or button a thumb can press. */
export const sheetItemClass =
  "flex min-h-11 items-center gap-2 rounded-md px-3 py-2 text-sm hover:bg-surface-muted aria-[current=page]:bg-accent-soft aria-[current=page]:font-medium";

/** The indentation of an environment at `depth` in a switcher list. */
const depthIndent = (depth: number) => ({ paddingLeft: `${0.5 + Math.min(depth, 6) * 0.75}rem` });

/** Whether an environment's name or title contains `text` (any case); with nothing typed, every one does. */
const environmentMatches = (e: { name: string; title: string }, text: string) => !text || e.name.toLowerCase().includes(text.toLowerCase()) || e.title.toLowerCase().includes(text.toLowerCase());

type Variant = "menu" | "sheet";

/**
 * The project's environments in tree order, narrowed to those matching `wanted` (then flat), and
 * while `open`, the inactive ones the search found beyond them (newest first), then a link to the
 * folded ones: the header's environment switcher (`variant` "menu": items of its dropdown menu)
 * and the phone's sheet ("sheet": plain links that call `onNavigate`) list the same.
 */
export function EnvironmentList({
  variant,
  projectId,
  current,
  ordered,
  folded,
  wanted,
  inactive,
  open,
  onNavigate,
}: {
  variant: Variant;
  projectId: string;
  /** The current environment's name (marked as the page). */
  current: string | undefined;
  ordered: ReturnType<typeof useSwitcherEnvironments>["ordered"];
  folded: number;
  /** What the filter holds, trimmed. */
  wanted: string;
  inactive: ReturnType<typeof useInactiveChoices>;
  open: boolean;
  onNavigate?: () => void;
}) {
  const listed = wanted ? ordered.filter(({ env }) => environmentMatches(env, wanted)).map(({ env }) => ({ env, depth: 0 })) : ordered;
  const listedIds = new Set(ordered.map(({ env }) => env.id));
  // (While the next answer is on its way, the last one, narrowed here to what is typed now.)
  const more = (inactive.data?.environments ?? []).filter((e) => !listedIds.has(e.id) && environmentMatches(e, wanted));
  const entry = (e: { id: string; name: string; title: string; status: string }, depth: number, isNew = false) => (
    <ListLink key={e.id} variant={variant} href={`/projects/${projectId}/environments/${e.name}`} isCurrent={e.name === current} style={depthIndent(depth)} onNavigate={onNavigate}>
      <span className={`truncate ${e.status === "inactive" && !isNew ? "text-muted" : ""}`}>{e.title}</span>
      {isNew ? <span className="shrink-0 text-xs font-medium text-accent">new</span> : null}
      <span className={variant === "menu" ? "ml-auto font-mono text-xs text-muted" : "ml-auto shrink-0 font-mono text-xs text-muted"}>{e.name}</span>
    </ListLink>
  );
  // The inactive environments beyond those listed: something only when it has something to say.
  const heading = `Inactive${wanted ? ` matching “${wanted}”` : ", newest first"}`;
  const found = inactive.error ? (
    <Note variant={variant} isError>
      {inactive.error.message}
    </Note>
  ) : inactive.isPending ? (
    <Note variant={variant}>Loading the inactive environments…</Note>
  ) : more.length > 0 ? (
    <>
      {variant === "menu" ? <MenuLabel>{heading}</MenuLabel> : <h3 className="px-3 pt-2 pb-1 text-xs font-medium text-muted">{heading}</h3>}
      {more.map((e) => entry(e, 0))}
      {inactive.data?.more ? <Note variant={variant}>More match: type to narrow the list</Note> : null}
    </>
  ) : wanted && listed.length === 0 ? (
    <Note variant={variant}>No environment matches “{wanted}”</Note>
  ) : null;
  return (
    <>
      {listed.map(({ env: e, depth }) => entry(e, depth, e.isNew))}
      {open && found ? (
        <>
          {variant === "menu" ? <MenuSeparator /> : null}
          {found}
        </>
      ) : null}
      {folded > 0 && !wanted ? (
        <>
          {variant === "menu" ? <MenuSeparator /> : null}
          <ListLink variant={variant} href={`/projects/${projectId}?inactive=1`} isMuted onNavigate={onNavigate}>
            See all {folded} folded on the project page
          </ListLink>
        </>
      ) : null}
    </>
  );
}

/** A link of the list: a menu item, or one of the sheet's entries (muted: in the sheet's muted colour). */
function ListLink({ variant, href, isCurrent, isMuted, style, onNavigate, children }: { variant: Variant; href: string; isCurrent?: boolean; isMuted?: boolean; style?: CSSProperties; onNavigate?: () => void; children: ReactNode }) {
  const link = (
    <Link href={href} onClick={onNavigate} aria-current={isCurrent ? "page" : undefined} className={variant === "menu" ? undefined : isMuted ? `${sheetItemClass} text-muted` : sheetItemClass} style={style}>
      {children}
    </Link>
  );
  return variant === "menu" ? <MenuItem asChild>{link}</MenuItem> : link;
}

/** A line that says something instead of listing: a disabled menu item, or a paragraph of the sheet. */
function Note({ variant, isError, children }: { variant: Variant; isError?: boolean; children: ReactNode }) {
  return variant === "menu" ? <MenuItem disabled>{children}</MenuItem> : <p className={`px-3 py-2 text-sm ${isError ? "text-danger" : "text-muted"}`}>{children}</p>;
}
