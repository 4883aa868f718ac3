import "server-only";
import { localDriver } from "./local-driver";
import type { RuntimeDriver } from "./runtime-driver";

/** The driver that runs this instance's environments (the local sandbox; a cluster engine would be chosen here). */
export function getRuntimeDriver(): RuntimeDriver {
  return localDriver;
}
