"use client";

import type { ComponentProps } from "react";
import { useFormStatus } from "react-dom";
import { Button } from "./button";
import { Spinner } from "./spinner";

/** A submit button that shows progress and cannot be pressed twice while its form is sent. */
export function SubmitButton({ children, pendingText, disabled, ...props }: ComponentProps<typeof Button> & { pendingText?: string }) {
  const { pending } = useFormStatus();
  return (
    <Button type="submit" disabled={pending || disabled} aria-busy={pending} {...props}>
      {pending ? <Spinner /> : null}
      {pending ? (pendingText ?? children) : children}
    </Button>
  );
}
