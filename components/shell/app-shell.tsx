import Link from "next/link";
import type { ReactNode } from "react";
import type { SessionUser } from "@/lib/auth/permissions";
import { EnvironmentSwitcher, ProjectSwitcher } from "./project-switcher";
import { UserMenu } from "./user-menu";
import { PhoneMenu } from "./phone-menu";
import { CurrentEnvironmentProvider } from "./current-environment";

export const PRODUCT_NAME = "Project Web Interface";

export function AppShell({ user, children }: { user: SessionUser; children: ReactNode }) {
  return (
    <CurrentEnvironmentProvider>
    <div className="min-h-dvh">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-surface focus:px-3 focus:py-2">
        Skip to content
      </a>
      <header className="sticky top-0 z-40 border-b border-border bg-surface/95 backdrop-blur">
        <nav aria-label="Main" className="mx-auto flex h-14 max-w-6xl items-center gap-2 px-3 sm:gap-3 sm:px-4">
          <Link href="/projects" className="flex shrink-0 items-center gap-2 font-semibold tracking-tight sm:mr-2" aria-label={`${PRODUCT_NAME}: projects`}>
            <Logo />
            <span className="hidden md:inline">{PRODUCT_NAME}</span>
          </Link>
          {/* From sm up the header spreads switchers and the account menu over the row; on a phone
              it collapses into where you are and one Menu button. */}
          <div className="hidden min-w-0 flex-1 items-center gap-3 sm:flex">
            <ProjectSwitcher />
            <EnvironmentSwitcher />
          </div>
          <div className="hidden shrink-0 sm:block">
            <UserMenu name={user.name} email={user.email} isAdmin={user.isAdmin} />
          </div>
          <div className="flex min-w-0 flex-1 items-center gap-2 sm:hidden">
            <PhoneMenu name={user.name} email={user.email} isAdmin={user.isAdmin} />
          </div>
        </nav>
      </header>
      <main id="main" className="mx-auto max-w-6xl px-3 py-6 sm:px-4 sm:py-8">
        {children}
      </main>
    </div>
    </CurrentEnvironmentProvider>
  );
}

export function Logo() {
  return (
    <svg aria-hidden viewBox="0 0 24 24" className="size-6 text-accent" fill="currentColor">
      <path d="M12 2 3 7v10l3 1.7V8.7l6-3.4 6 3.4v10L21 17V7z" />
      <path d="M10.5 9.8 12 9l1.5.8v11.5L12 22l-1.5-.7z" />
    </svg>
  );
}
