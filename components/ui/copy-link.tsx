"use client";

import { useState } from "react";
import { Button } from "./button";

/** A one-time link shown once, with a Copy button; the text is selectable for copying by hand. */
export function CopyLink({ link, label }: { link: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="mt-2 flex flex-wrap items-center gap-2">
      <code className="min-w-0 flex-1 select-all break-all rounded border border-border bg-surface px-2 py-1 font-mono text-xs" aria-label={label} data-testid="one-time-link">
        {link}
      </code>
      <Button
        variant="secondary"
        onClick={() => {
          void navigator.clipboard?.writeText(link).then(() => setCopied(true), () => setCopied(false));
        }}
      >
        {copied ? "Copied" : "Copy"}
      </Button>
    </div>
  );
}
