"use client";

import * as RadixDialog from "@radix-ui/react-dialog";
import Link from "next/link";
import { useState, useTransition, type ReactNode, type RefObject } from "react";
import { signOutAction } from "@/lib/actions/auth-actions";
import { EnvironmentList, sheetItemClass } from "./environment-list";
import { useInactiveChoices, type useSwitcherEnvironments, type useSwitcherProjects } from "./project-switcher";
import { accountLinks } from "./user-menu";

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
              <Link key={p.id} href={`/projects/${p.id}`} onClick={close} aria-current={p.id === project?.id ? "page" : undefined} className={sheetItemClass}>
                <span className="truncate">{p.title}</span>
                <span className="ml-auto shrink-0 font-mono text-xs text-muted">{p.id}</span>
              </Link>
            ))}
          </Section>

          <Section title="Account">
            {accountLinks(isAdmin).map((l) => (
              <Link key={l.href} href={l.href} onClick={close} className={sheetItemClass}>
                {l.label}
              </Link>
            ))}
            <button type="button" className={`${sheetItemClass} w-full text-left`} disabled={signingOut} onClick={() => startTransition(() => signOutAction())}>
              {signingOut ? "Signing out…" : "Sign out"}
            </button>
          </Section>
        </RadixDialog.Content>
      </RadixDialog.Portal>
    </RadixDialog.Root>
  );
}

/** The filter over the project's environments, and the list (the header's switcher lists the same): a phone finds a folded environment without the project page. */
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
      <EnvironmentList variant="sheet" projectId={projectId} current={current} ordered={ordered} folded={folded} wanted={wanted} inactive={inactive} open={open} onNavigate={close} />
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
