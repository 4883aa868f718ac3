"use client";

import type * as DropdownMenu from "@radix-ui/react-dropdown-menu";
import { createContext, useContext, useState, type ComponentProps, type KeyboardEvent, type PointerEvent } from "react";

/**
 * Radix dropdown menu with the console's look; keyboard and screen-reader support come from Radix.
 *
 * Radix's menu code (~21 kB compressed) is not part of any page's first load: until a menu is first
 * opened, its trigger is a plain button with the same look and the same name, and the menu's code
 * loads when the pointer or the focus reaches it. Opening it (a press, Enter, Space or ↓, as Radix
 * opens) renders the Radix menu already open. Every menu of the page then is Radix's.
 */
type Radix = typeof DropdownMenu;

let radix: Radix | null = null;
let loading: Promise<Radix> | null = null;
const loadRadix = (): Promise<Radix> => {
  loading ??= import("@radix-ui/react-dropdown-menu").then((m) => (radix = m as Radix));
  return loading;
};

/** Before Radix is loaded: what the trigger calls to load it and open its menu. */
const OpenContext = createContext<(() => void) | null>(null);
/** Radix, once loaded for this menu (null: the plain trigger, no content). */
const RadixContext = createContext<Radix | null>(null);

export function Menu({ children, onOpenChange, ...props }: ComponentProps<Radix["Root"]>) {
  const [loaded, setLoaded] = useState<{ r: Radix; open: boolean } | null>(() => (radix ? { r: radix, open: false } : null));
  if (loaded) {
    const Root = loaded.r.Root;
    return (
      <RadixContext.Provider value={loaded.r}>
        <Root defaultOpen={loaded.open} onOpenChange={onOpenChange} {...props}>
          {children}
        </Root>
      </RadixContext.Provider>
    );
  }
  const open = () => {
    void loadRadix().then((r) => {
      setLoaded({ r, open: true });
      onOpenChange?.(true);
    });
  };
  return <OpenContext.Provider value={open}>{children}</OpenContext.Provider>;
}

export function MenuTrigger({ onPointerDown, onKeyDown, ...props }: ComponentProps<Radix["Trigger"]>) {
  const r = useContext(RadixContext);
  const open = useContext(OpenContext);
  if (r) return <r.Trigger onPointerDown={onPointerDown} onKeyDown={onKeyDown} {...props} />;
  const { asChild: _asChild, ...buttonProps } = props;
  return (
    <button
      type="button"
      aria-haspopup="menu"
      aria-expanded={false}
      data-state="closed"
      {...buttonProps}
      onPointerEnter={() => void loadRadix()}
      onFocus={() => void loadRadix()}
      onPointerDown={(event: PointerEvent<HTMLButtonElement>) => {
        onPointerDown?.(event);
        // As Radix's trigger: the main button, without Ctrl (which opens the context menu on macOS).
        if (!event.defaultPrevented && event.button === 0 && !event.ctrlKey) {
          event.preventDefault(); // the menu takes the focus, not the button
          open?.();
        }
      }}
      onKeyDown={(event: KeyboardEvent<HTMLButtonElement>) => {
        onKeyDown?.(event);
        if (!event.defaultPrevented && ["Enter", " ", "ArrowDown"].includes(event.key)) {
          event.preventDefault();
          open?.();
        }
      }}
    />
  );
}

export const MenuLabel = ({ className = "", ...props }: ComponentProps<Radix["Label"]>) => {
  const r = useContext(RadixContext);
  return r ? <r.Label className={`px-2 py-1.5 text-xs font-medium text-muted ${className}`} {...props} /> : null;
};

export const MenuSeparator = () => {
  const r = useContext(RadixContext);
  return r ? <r.Separator className="my-1 h-px bg-border" /> : null;
};

export function MenuContent({ className = "", ...props }: ComponentProps<Radix["Content"]>) {
  const r = useContext(RadixContext);
  if (!r) return null;
  return (
    <r.Portal>
      <r.Content
        sideOffset={6}
        align="start"
        collisionPadding={8}
        className={`z-50 max-h-[var(--radix-dropdown-menu-content-available-height)] min-w-56 max-w-[calc(100vw-1rem)] overflow-y-auto rounded-md border border-border bg-surface p-1 text-sm text-foreground shadow-lg ${className}`}
        {...props}
      />
    </r.Portal>
  );
}

export function MenuItem({ className = "", ...props }: ComponentProps<Radix["Item"]>) {
  const r = useContext(RadixContext);
  if (!r) return null;
  return (
    <r.Item
      className={`flex cursor-pointer select-none items-center gap-2 rounded px-2 py-1.5 outline-none data-[disabled]:cursor-default data-[disabled]:opacity-50 data-[highlighted]:bg-surface-muted ${className}`}
      {...props}
    />
  );
}
