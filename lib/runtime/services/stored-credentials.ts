import "server-only";
import { and, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { serviceCredentials } from "@/db/schema";
import { open as openSealed, seal } from "@/lib/secrets/secret-box";
import { getSecretsKey } from "@/lib/secrets/secrets-key";
import type { ServiceCredentials } from "./service-config";
import { generateServiceCredentials } from "./service-credentials";
import type { ServiceEngineName } from "./service-engines";

const context = (environmentId: string, serviceId: string) => `service-credentials:${environmentId}/${serviceId}`;

/**
 * The kept credentials of service `serviceId` of an environment, read only: null when none are
 * kept, they were made for another engine, or they cannot be opened (the secrets key was
 * replaced). Nothing is made or written: what reads a running instance (a database download)
 * uses this; a deploy, which starts the instance, uses environmentServiceCredentials.
 */
export async function getEnvironmentServiceCredentials(db: Db, environmentId: string, serviceId: string, engine: ServiceEngineName): Promise<ServiceCredentials | null> {
  const [kept] = await db.select().from(serviceCredentials).where(and(eq(serviceCredentials.environmentId, environmentId), eq(serviceCredentials.serviceId, serviceId)));
  if (!kept || kept.engine !== engine) return null;
  try {
    return JSON.parse(openSealed(getSecretsKey(), kept.sealed, context(environmentId, serviceId))) as ServiceCredentials;
  } catch {
    return null; // sealed with another key
  }
}

/**
 * The credentials of service `serviceId` of an environment: the ones kept (sealed like a
 * sensitive variable), or new ones made and kept now. New ones replace the kept ones when the
 * service's engine changed or they cannot be opened (the secrets key was replaced): an instance
 * applies its credentials at every start, so its data answers to the new ones.
 */
export async function environmentServiceCredentials(db: Db, environmentId: string, serviceId: string, engine: ServiceEngineName): Promise<ServiceCredentials> {
  const kept = await getEnvironmentServiceCredentials(db, environmentId, serviceId, engine);
  if (kept) return kept;
  const made = generateServiceCredentials(engine);
  const sealed = seal(getSecretsKey(), JSON.stringify(made), context(environmentId, serviceId));
  await db
    .insert(serviceCredentials)
    .values({ environmentId, serviceId, engine, sealed })
    .onConflictDoUpdate({ target: [serviceCredentials.environmentId, serviceCredentials.serviceId], set: { engine, sealed, createdAt: new Date() } });
  return made;
}
