import { PageSkeleton } from "@/components/shell/page-skeleton";

/** Shown at once on navigation while the server renders the page (access is checked above, in the layout). */
export default function Loading() {
  return <PageSkeleton heading="topology" />;
}
