"use client";

import * as RadixDialog from "@radix-ui/react-dialog";
import Link from "next/link";
import { useTransition, type ReactNode, type RefObject } from "react";
import { signOutAction } from "@/lib/actions/auth-actions";
import { depthIndent, type useSwitcherEnvironments, type useSwitcherProjects } from "./project-switcher";
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
              {ordered.length === 0 ? <p className="px-3 py-2 text-sm text-muted">None yet</p> : null}
              {ordered.map(({ env: e, depth }) => (
                <Link
                  key={e.id}
                  href={`/projects/${projectId}/environments/${e.name}`}
                  onClick={close}
                  aria-current={e.name === environment?.name ? "page" : undefined}
                  className={`${itemClass} ${e.status === "inactive" ? "opacity-60" : ""}`}
                  style={depthIndent(depth)}
                >
                  <span className="truncate">{e.title}</span>
                  <span className="ml-auto shrink-0 font-mono text-xs text-muted">{e.name}</span>
                </Link>
              ))}
              {folded > 0 ? (
                <Link href={`/projects/${projectId}?inactive=1`} onClick={close} className={`${itemClass} text-muted`}>
                  {folded} inactive: see the project page
                </Link>
              ) : null}
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

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <nav aria-label={title} className="border-t border-border py-2">
      <h2 className="truncate px-3 pb-1 text-xs font-medium text-muted">{title}</h2>
      {children}
    </nav>
  );
}
