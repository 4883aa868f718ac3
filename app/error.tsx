"use client";

import { useEffect } from "react";
import { Button } from "@/components/ui/button";

export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  useEffect(() => {
    console.error(error);
  }, [error]);
  return (
    <main id="main" className="mx-auto grid min-h-[60dvh] max-w-lg place-items-center px-4 text-center">
      <div>
        <title>Something went wrong</title>
        <h1 className="text-2xl font-semibold">Something went wrong</h1>
        <p className="mt-2 text-muted">
          The server could not complete this request. It has been logged{error.digest ? ` as ${error.digest}` : ""}. Try again; if it keeps
          failing, tell your administrator.
        </p>
        <Button className="mt-6" onClick={reset}>
          Try again
        </Button>
      </div>
    </main>
  );
}
