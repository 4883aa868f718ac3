"use client";

import { useState } from "react";
import { Button } from "./button";

/** A value to copy (a one-time link, a token, a command), with a Copy button; the text is selectable for copying by hand too. */
export function CopyLink({ link, label, testId = "one-time-link" }: { link: string; label: string; testId?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="mt-2 flex flex-wrap items-center gap-2">
      <code className="min-w-0 flex-1 select-all break-all rounded border border-border bg-surface px-2 py-1 font-mono text-xs" aria-label={label} data-testid={testId}>
        {link}
      </code>
      <Button
        variant="secondary"
        // The visible word starts the name (axe's label-content-name-mismatch; speech users say what they see).
        aria-label={`${copied ? "Copied" : "Copy"} ${label.toLowerCase()}`}
        onClick={() => {
          void navigator.clipboard?.writeText(link).then(() => setCopied(true), () => setCopied(false));
        }}
      >
        {copied ? "Copied" : "Copy"}
      </Button>
    </div>
  );
}
