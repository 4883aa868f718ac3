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
 * The credentials of service `serviceId` of an environment: the ones kept (sealed like a
 * sensitive variable), or new ones made and kept now. New ones replace the kept ones when the
 * service's engine changed or they cannot be opened (the secrets key was replaced): an instance
 * applies its credentials at every start, so its data answers to the new ones.
 */
export async function environmentServiceCredentials(db: Db, environmentId: string, serviceId: string, engine: ServiceEngineName): Promise<ServiceCredentials> {
  const where = and(eq(serviceCredentials.environmentId, environmentId), eq(serviceCredentials.serviceId, serviceId));
  const [kept] = await db.select().from(serviceCredentials).where(where);
  if (kept && kept.engine === engine) {
    try {
      return JSON.parse(openSealed(getSecretsKey(), kept.sealed, context(environmentId, serviceId))) as ServiceCredentials;
    } catch {
      // sealed with another key: made again below
    }
  }
  const made = generateServiceCredentials(engine);
  const sealed = seal(getSecretsKey(), JSON.stringify(made), context(environmentId, serviceId));
  await db
    .insert(serviceCredentials)
    .values({ environmentId, serviceId, engine, sealed })
    .onConflictDoUpdate({ target: [serviceCredentials.environmentId, serviceCredentials.serviceId], set: { engine, sealed, createdAt: new Date() } });
  return made;
}
