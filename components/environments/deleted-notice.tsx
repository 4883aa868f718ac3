"use client";

import { useSearchParams } from "next/navigation";
import { Alert } from "@/components/ui/alert";

/** Where Delete lands (the parent's page, `?deleted=<name>`): says what is happening to the environment left behind. */
export function DeletedNotice() {
  const name = useSearchParams().get("deleted");
  if (!name || !/^[A-Za-z0-9._-]{1,100}$/.test(name)) return null;
  return (
    <div className="mb-4">
      <Alert tone="info">
        <span className="font-mono">{name}</span> is being deleted: its branch, data and deployments are removed. Its activity is in the list below, and a notice
        says when it is done.
      </Alert>
    </div>
  );
}
