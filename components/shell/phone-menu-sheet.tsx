"use client";

import * as RadixDialog from "@radix-ui/react-dialog";
import Link from "next/link";
import { useState, useTransition, type ReactNode, type RefObject } from "react";
import { signOutAction } from "@/lib/actions/auth-actions";
import { depthIndent, environmentMatches, useInactiveChoices, type useSwitcherEnvironments, type useSwitcherProjects } from "./project-switcher";
import { accountLinks } from "./user-menu";

const itemClass =
  "flex min-h-11 items-center gap-2 rounded-md px-3 py-2 text-sm hover:bg-surface-muted aria-[current=page]:bg-accent-soft aria-[current=page]:font-medium";

/**
 * The phone header's sheet (a Radix dialog): switch project, switch environment, account links and
 * sign out — what the wide header spreads over three menus. Loaded when the Menu button is first
 * wanted (phone-menu.tsx), so no page's first load carries the dialog's code for it.
 */
/** Where the user is and can go: the header's switchers' data, read once by the Menu button (phone-menu.tsx). */
export interface PhonePlaces {
  projects: ReturnType<typeof useSwitcherProjects>["projects"];
  project: ReturnType<typeof useSwitcherProjects>["current"];
  projectId: ReturnType<typeof useSwitcherEnvironments>["projectId"];
  environment: ReturnType<typeof useSwitcherEnvironments>["current"];
  ordered: ReturnType<typeof useSwitcherEnvironments>["ordered"];
  folded: number;
}

export function PhoneMenuSheet({
  open,
  onOpenChange,
  trigger,
  places,
  name,
  email,
  isAdmin,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  /** The Menu button: the focus goes back to it when the sheet closes. */
  trigger: RefObject<HTMLButtonElement | null>;
  places: PhonePlaces;
  name: string | null;
  email: string;
  isAdmin: boolean;
}) {
  const [signingOut, startTransition] = useTransition();
  const { projects, project, projectId, environment, ordered, folded } = places;
  const close = () => onOpenChange(false);

  return (
    <RadixDialog.Root open={open} onOpenChange={onOpenChange}>
      <RadixDialog.Portal>
        <RadixDialog.Overlay className="fixed inset-0 z-50 bg-black/50" />
        <RadixDialog.Content
          className="fixed inset-y-0 right-0 z-50 flex w-[min(22rem,calc(100vw-2.5rem))] flex-col overflow-y-auto border-l border-border bg-surface p-3 shadow-xl"
          onCloseAutoFocus={(event) => {
            event.preventDefault();
            trigger.current?.focus();
          }}
        >
          <div className="flex items-start gap-2 px-1 pb-3">
            <div className="min-w-0 flex-1">
              <RadixDialog.Title className="truncate font-semibold">{name || email}</RadixDialog.Title>
              <RadixDialog.Description className="truncate text-xs text-muted">
                {email}
                {isAdmin ? " · Instance administrator" : ""}
              </RadixDialog.Description>
            </div>
            <RadixDialog.Close className="rounded-md px-2.5 py-1.5 text-sm hover:bg-surface-muted" aria-label="Close the menu">
              Close
            </RadixDialog.Close>
          </div>

          {projectId ? (
            <Section title={`Environments of ${project?.title ?? projectId}`}>
              <EnvironmentLinks projectId={projectId} current={environment?.name} ordered={ordered} folded={folded} open={open} close={close} />
            </Section>
          ) : null}

          <Section title="Projects">
            {projects.length === 0 ? <p className="px-3 py-2 text-sm text-muted">No projects yet</p> : null}
            {projects.map((p) => (
              <Link key={p.id} href={`/projects/${p.id}`} onClick={close} aria-current={p.id === project?.id ? "page" : undefined} className={itemClass}>
                <span className="truncate">{p.title}</span>
                <span className="ml-auto shrink-0 font-mono text-xs text-muted">{p.id}</span>
              </Link>
            ))}
          </Section>

          <Section title="Account">
            {accountLinks(isAdmin).map((l) => (
              <Link key={l.href} href={l.href} onClick={close} className={itemClass}>
                {l.label}
              </Link>
            ))}
            <button type="button" className={`${itemClass} w-full text-left`} disabled={signingOut} onClick={() => startTransition(() => signOutAction())}>
              {signingOut ? "Signing out…" : "Sign out"}
            </button>
          </Section>
        </RadixDialog.Content>
      </RadixDialog.Portal>
    </RadixDialog.Root>
  );
}

/**
 * The project's environments in tree order, a filter, and the inactive ones it finds (newest first,
 * as the header's switcher lists them): a phone finds a folded environment without the project page.
 */
function EnvironmentLinks({
  projectId,
  current,
  ordered,
  folded,
  open,
  close,
}: {
  projectId: string;
  current: string | undefined;
  ordered: PhonePlaces["ordered"];
  folded: number;
  open: boolean;
  close: () => void;
}) {
  const [text, setText] = useState("");
  const wanted = text.trim();
  const inactive = useInactiveChoices(projectId, wanted, open);
  const listed = wanted ? ordered.filter(({ env }) => environmentMatches(env, wanted)).map(({ env }) => ({ env, depth: 0 })) : ordered;
  const listedIds = new Set(ordered.map(({ env }) => env.id));
  // (While the next answer is on its way, the last one, narrowed here to what is typed now.)
  const more = (inactive.data?.environments ?? []).filter((e) => !listedIds.has(e.id) && environmentMatches(e, wanted));
  const link = (e: { id: string; name: string; title: string; status: string }, depth: number, isNew = false) => (
    <Link
      key={e.id}
      href={`/projects/${projectId}/environments/${e.name}`}
      onClick={close}
      aria-current={e.name === current ? "page" : undefined}
      className={itemClass}
      style={depthIndent(depth)}
    >
      <span className={`truncate ${e.status === "inactive" && !isNew ? "text-muted" : ""}`}>{e.title}</span>
      {isNew ? <span className="shrink-0 text-xs font-medium text-accent">new</span> : null}
      <span className="ml-auto shrink-0 font-mono text-xs text-muted">{e.name}</span>
    </Link>
  );
  if (ordered.length === 0 && folded === 0) return <p className="px-3 py-2 text-sm text-muted">None yet</p>;
  return (
    <>
      <div className="px-3 pb-1">
        <input
          type="search"
          value={text}
          onChange={(e) => setText(e.target.value)}
          maxLength={100}
          placeholder="Find by name or title"
          aria-label="Find an environment by name or title"
          className="w-full rounded border border-border bg-surface px-2 py-1.5 text-sm"
        />
      </div>
      {listed.map(({ env: e, depth }) => link(e, depth, e.isNew))}
      {inactive.error ? (
        <p className="px-3 py-2 text-sm text-danger">{inactive.error.message}</p>
      ) : inactive.isPending ? (
        <p className="px-3 py-2 text-sm text-muted">Loading the inactive environments…</p>
      ) : more.length > 0 ? (
        <>
          <h3 className="px-3 pt-2 pb-1 text-xs font-medium text-muted">Inactive{wanted ? ` matching “${wanted}”` : ", newest first"}</h3>
          {more.map((e) => link(e, 0))}
          {inactive.data?.more ? <p className="px-3 py-2 text-sm text-muted">More match: type to narrow the list</p> : null}
        </>
      ) : wanted && listed.length === 0 ? (
        <p className="px-3 py-2 text-sm text-muted">No environment matches “{wanted}”</p>
      ) : null}
      {folded > 0 && !wanted ? (
        <Link href={`/projects/${projectId}?inactive=1`} onClick={close} className={`${itemClass} text-muted`}>
          See all {folded} folded on the project page
        </Link>
      ) : null}
    </>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <nav aria-label={title} className="border-t border-border py-2">
      <h2 className="truncate px-3 pb-1 text-xs font-medium text-muted">{title}</h2>
      {children}
    </nav>
  );
}
