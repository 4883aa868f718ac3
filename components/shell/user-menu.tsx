"use client";

import Link from "next/link";
import { useTransition } from "react";
import { Menu, MenuContent, MenuItem, MenuLabel, MenuSeparator, MenuTrigger } from "@/components/ui/menu";
import { signOutAction } from "@/lib/actions/auth-actions";
import { Chevron } from "./project-switcher";

/** Where the account menu leads (the phone menu lists the same). */
export function accountLinks(isAdmin: boolean): { href: string; label: string }[] {
  return [
    { href: "/projects", label: "Projects" },
    { href: "/account", label: "Account and API tokens" },
    ...(isAdmin ? [{ href: "/admin/users", label: "Users" }] : []),
  ];
}

export function UserMenu({ name, email, isAdmin }: { name: string | null; email: string; isAdmin: boolean }) {
  const [pending, startTransition] = useTransition();
  const initials = (name || email).slice(0, 1).toUpperCase();
  return (
    <Menu>
      <MenuTrigger
        className="inline-flex items-center gap-2 rounded-md px-2 py-1.5 text-sm hover:bg-surface-muted"
        aria-label={`Account menu for ${name || email}`}
      >
        {/* The initial is drawn by CSS: not text, so the button's name (its visible words) stays the user's name. */}
        <span aria-hidden data-initial={initials} className="grid size-7 place-items-center rounded-full bg-accent-soft font-semibold text-accent before:content-[attr(data-initial)]" />{" "}
        <span className="hidden max-w-40 truncate sm:inline">{name || email}</span>
        <Chevron />
      </MenuTrigger>
      <MenuContent align="end">
        <MenuLabel>
          <span className="block truncate text-foreground">{name || email}</span>
          <span className="block truncate">{email}</span>
          {isAdmin ? <span className="block">Instance administrator</span> : null}
        </MenuLabel>
        <MenuSeparator />
        {accountLinks(isAdmin).map((l) => (
          <MenuItem key={l.href} asChild>
            <Link href={l.href}>{l.label}</Link>
          </MenuItem>
        ))}
        <MenuSeparator />
        <MenuItem disabled={pending} onSelect={() => startTransition(() => signOutAction())}>
          {pending ? "Signing out…" : "Sign out"}
        </MenuItem>
      </MenuContent>
    </Menu>
  );
}
