import type { ComponentProps, ReactNode } from "react";

const control =
  "block w-full rounded-md border border-border bg-surface px-3 py-2 text-sm text-foreground placeholder:text-muted aria-invalid:border-danger";

/** A labelled form control with its hint and its errors, wired for screen readers. */
export function Field({
  id,
  label,
  hint,
  errors,
  children,
}: {
  id: string;
  label: string;
  hint?: ReactNode;
  errors?: string[];
  children: ReactNode;
}) {
  return (
    <div className="space-y-1.5">
      <label htmlFor={id} className="block text-sm font-medium">
        {label}
      </label>
      {children}
      {hint ? (
        <p id={`${id}-hint`} className="text-xs text-muted">
          {hint}
        </p>
      ) : null}
      {errors?.length ? (
        <p id={`${id}-error`} className="text-sm text-danger">
          {errors.join(" ")}
        </p>
      ) : null}
    </div>
  );
}

/** aria attributes that tie a control to its Field's hint and errors. */
export function describedBy(id: string, errors?: string[], hasHint = false) {
  const ids = [hasHint ? `${id}-hint` : null, errors?.length ? `${id}-error` : null].filter(Boolean);
  return { "aria-invalid": errors?.length ? true : undefined, "aria-describedby": ids.length ? ids.join(" ") : undefined };
}

export function Input({ className = "", ...props }: ComponentProps<"input">) {
  return <input className={`${control} ${className}`} {...props} />;
}

export function Select({ className = "", ...props }: ComponentProps<"select">) {
  return <select className={`${control} ${className}`} {...props} />;
}

/** A multi-line control for code-like text (rules, .env lines): monospace, no spell-checking. */
export function Textarea({ className = "", ...props }: ComponentProps<"textarea">) {
  return <textarea spellCheck={false} className={`${control} font-mono text-xs ${className}`} {...props} />;
}
