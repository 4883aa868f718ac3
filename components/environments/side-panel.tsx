import type { ReactNode } from "react";

/** One box of the environment page's side column, named by its heading (its region's name). */
export function SidePanel({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section aria-labelledby={id} className="rounded-lg border border-border bg-surface p-4 text-sm">
      <h2 id={id} className="mb-2 font-semibold">
        {title}
      </h2>
      {children}
    </section>
  );
}
