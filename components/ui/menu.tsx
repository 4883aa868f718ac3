"use client";

import * as DropdownMenu from "@radix-ui/react-dropdown-menu";
import type { ComponentProps } from "react";

/** Radix dropdown menu with the console's look; keyboard and screen-reader support come from Radix. */
export const Menu = DropdownMenu.Root;
export const MenuTrigger = DropdownMenu.Trigger;
export const MenuLabel = ({ className = "", ...props }: ComponentProps<typeof DropdownMenu.Label>) => (
  <DropdownMenu.Label className={`px-2 py-1.5 text-xs font-medium text-muted ${className}`} {...props} />
);
export const MenuSeparator = () => <DropdownMenu.Separator className="my-1 h-px bg-border" />;

export function MenuContent({ className = "", ...props }: ComponentProps<typeof DropdownMenu.Content>) {
  return (
    <DropdownMenu.Portal>
      <DropdownMenu.Content
        sideOffset={6}
        align="start"
        collisionPadding={8}
        className={`z-50 max-h-[var(--radix-dropdown-menu-content-available-height)] min-w-56 max-w-[calc(100vw-1rem)] overflow-y-auto rounded-md border border-border bg-surface p-1 text-sm text-foreground shadow-lg ${className}`}
        {...props}
      />
    </DropdownMenu.Portal>
  );
}

export function MenuItem({ className = "", ...props }: ComponentProps<typeof DropdownMenu.Item>) {
  return (
    <DropdownMenu.Item
      className={`flex cursor-pointer select-none items-center gap-2 rounded px-2 py-1.5 outline-none data-[disabled]:cursor-default data-[disabled]:opacity-50 data-[highlighted]:bg-surface-muted ${className}`}
      {...props}
    />
  );
}
