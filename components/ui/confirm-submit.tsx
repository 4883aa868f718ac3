"use client";

import { useState } from "react";
import { Button } from "./button";
import { SubmitButton } from "./submit-button";

/**
 * A submit button that asks once before acting: the first press shows the question with the
 * real submit button (focused) and "Keep", for actions that cannot be undone but are too small
 * for a dialog (cancelling an activity, revoking a token). Put it inside the form.
 */
export function ConfirmSubmit({
  children,
  question,
  confirm,
  pendingText,
  label,
  variant = "secondary",
  className = "",
}: {
  children: React.ReactNode;
  question: string;
  confirm: string;
  pendingText: string;
  /** The first button's accessible name, when its text alone is ambiguous in a list. */
  label?: string;
  variant?: "secondary" | "ghost";
  className?: string;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <Button variant={variant} className={className} aria-label={label} onClick={() => setAsking(true)}>
        {children}
      </Button>
    );
  }
  return (
    <span role="group" aria-label={question} className="inline-flex flex-wrap items-center gap-2">
      <span className="text-sm">{question}</span>
      <SubmitButton variant="danger" pendingText={pendingText} autoFocus>
        {confirm}
      </SubmitButton>
      <Button variant="ghost" onClick={() => setAsking(false)}>
        Keep
      </Button>
    </span>
  );
}
