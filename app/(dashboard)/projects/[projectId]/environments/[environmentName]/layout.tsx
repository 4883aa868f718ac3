import type { ReactNode } from "react";
import { getEnvironmentFromParams } from "@/lib/session/page-access";

/**
 * An environment's pages: whether the environment exists and the user may see it is decided
 * here, above their loading frames, so a missing one answers 404 before anything streams.
 */
export default async function EnvironmentLayout({ children, params }: { children: ReactNode; params: Promise<{ projectId: string; environmentName: string }> }) {
  await getEnvironmentFromParams(params);
  return children;
}
