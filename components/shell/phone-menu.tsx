"use client";

import { useRef, useState, type ComponentType } from "react";
import type { PhoneMenuSheet as Sheet } from "./phone-menu-sheet";
import { useSwitcherEnvironments, useSwitcherProjects } from "./project-switcher";

/**
 * The sheet's code (a Radix dialog, ~14 kB compressed) is not part of any page's first load: it
 * loads when the pointer or the focus reaches the Menu button, and a press opens the sheet as soon
 * as it is there (as the header's menus do, components/ui/menu.tsx).
 */
type SheetComponent = ComponentType<Parameters<typeof Sheet>[0]>;
let sheet: SheetComponent | null = null;
let loading: Promise<SheetComponent> | null = null;
const loadSheet = (): Promise<SheetComponent> => {
  loading ??= import("./phone-menu-sheet").then((m) => (sheet = m.PhoneMenuSheet));
  return loading;
};

/**
 * The header of a phone: where you are (project and environment) and one Menu button opening a
 * sheet with what the wide header spreads over three menus — switch project, switch environment,
 * account links and sign out.
 */
export function PhoneMenu({ name, email, isAdmin }: { name: string | null; email: string; isAdmin: boolean }) {
  const [open, setOpen] = useState(false);
  const [Loaded, setLoaded] = useState<SheetComponent | null>(() => sheet);
  const trigger = useRef<HTMLButtonElement>(null);
  const { projects, current: project, refetch } = useSwitcherProjects();
  const { projectId, current: environment, ordered, folded } = useSwitcherEnvironments();
  const here = [project?.title, environment?.title].filter(Boolean).join(" / ");
  const show = () => {
    void refetch();
    void loadSheet().then((component) => {
      setLoaded(() => component);
      setOpen(true);
    });
  };

  return (
    <>
      <span className="min-w-0 flex-1 truncate text-sm font-medium" aria-hidden={!here}>
        {here}
      </span>
      <button
        ref={trigger}
        type="button"
        className="inline-flex shrink-0 items-center gap-1.5 rounded-md border border-border bg-surface px-2.5 py-1.5 text-sm hover:bg-surface-muted"
        aria-label={here ? `Menu (you are in ${here})` : "Menu"}
        aria-haspopup="dialog"
        aria-expanded={open}
        onPointerEnter={() => void loadSheet()}
        onFocus={() => void loadSheet()}
        onClick={show}
      >
        <svg aria-hidden viewBox="0 0 16 16" className="size-4" fill="none" stroke="currentColor" strokeWidth="1.8">
          <path d="M2.5 4h11M2.5 8h11M2.5 12h11" />
        </svg>
        Menu
      </button>
      {Loaded ? <Loaded open={open} onOpenChange={setOpen} trigger={trigger} places={{ projects, project, projectId, environment, ordered, folded }} name={name} email={email} isAdmin={isAdmin} /> : null}
    </>
  );
}
