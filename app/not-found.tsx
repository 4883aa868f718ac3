import type { Metadata } from "next";
import { ButtonLink } from "@/components/ui/button";

export const metadata: Metadata = { title: "Not found" };

export default function NotFound() {
  return (
    <main id="main" className="mx-auto grid min-h-[60dvh] max-w-lg place-items-center px-4 text-center">
      <div>
        <p className="font-mono text-sm text-muted">404</p>
        <h1 className="mt-2 text-2xl font-semibold">Page not found</h1>
        <p className="mt-2 text-muted">This page does not exist, or you do not have access to it.</p>
        <ButtonLink href="/projects" className="mt-6">
          Go to your projects
        </ButtonLink>
      </div>
    </main>
  );
}
