import { and, eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { activities, deployments, environments, mails } from "@/db/schema";
import { describeEachDatabase } from "@/db/testing/databases";
import { CONFIG_FILES, parseProjectConfig } from "@/lib/config/parse-config";
import { projectTemplate } from "@/lib/git/template";
import { starterProject } from "@/lib/testing-fixtures";
import { listMails } from "./mailbox";
import { checkedConfigsKept, getActivityDetails, latestDeployment, listEnvironments } from "./queries";
import { projectRelayPasswords, settingsView } from "./settings";

function templateConfig() {
  const files = projectTemplate("Demo");
  const parsed = parseProjectConfig({ app: files[CONFIG_FILES.app]!, services: files[CONFIG_FILES.services]!, routes: files[CONFIG_FILES.routes]! });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.config;
}

describeEachDatabase("jsonb read back from the database is checked against its schema", ({ db }) => {
  async function project(prefix: string) {
    const { id } = await starterProject(db(), prefix);
    const [staging] = await db().select().from(environments).where(and(eq(environments.projectId, id), eq(environments.name, "staging")));
    return { id, staging: staging! };
  }
  const deployment = (environmentId: string, config: unknown) => ({ environmentId, commit: "c".repeat(40), treeId: "t".repeat(40), config: config as Record<string, unknown>, buildReused: false, buildMs: 1, deployMs: 1 });

  it("a deployment's config: a good row parses into the configuration, a bad one is an error naming the deployment", async () => {
    const { staging } = await project("cfg");
    const config = templateConfig();
    await db().insert(deployments).values(deployment(staging.id, config));
    const first = await latestDeployment(db(), staging.id);
    expect(first?.config).toEqual(config);
    // Checked once: a deployment's row never changes, so every reader shares its config, frozen.
    expect((await latestDeployment(db(), staging.id))?.config).toBe(first!.config);
    expect(Object.isFrozen(first!.config.app.crons)).toBe(true);
    // A large configuration (a pushed file may be a few MiB) is checked at each read, not kept.
    const large = { ...config, app: { ...config.app, variables: { env: Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`V${i}`, "x".repeat(4000)])) } } };
    const before = checkedConfigsKept();
    await db().insert(deployments).values({ ...deployment(staging.id, large), createdAt: new Date(Date.now() + 30_000) });
    const read = await latestDeployment(db(), staging.id);
    expect(read?.config.app.variables).toEqual(large.app.variables);
    expect((await latestDeployment(db(), staging.id))?.config).not.toBe(read!.config);
    expect(checkedConfigsKept()).toEqual(before);
    // Nested variables are frozen to the bottom.
    let deep: unknown = "bottom";
    for (let i = 0; i < 200; i++) deep = { d: deep };
    await db().insert(deployments).values({ ...deployment(staging.id, { ...config, app: { ...config.app, variables: { deep } } }), createdAt: new Date(Date.now() + 40_000) });
    const nested = (await latestDeployment(db(), staging.id))!.config.app.variables as { deep: unknown };
    let inner = nested.deep as { d?: unknown };
    for (let i = 0; i < 199; i++) inner = inner.d as { d?: unknown };
    expect(Object.isFrozen(inner)).toBe(true);

    const [bad] = await db().insert(deployments).values({ ...deployment(staging.id, { ...config, app: { ...config.app, name: 42 } }), createdAt: new Date(Date.now() + 60_000) }).returning();
    await expect(latestDeployment(db(), staging.id)).rejects.toThrow(`Deployment ${bad!.id} has a config that does not match its schema: app.name: `);
  });

  it("an activity's commits: a good row parses, a bad one is an error naming the activity", async () => {
    const { id, staging } = await project("commits");
    const commit = { sha: "a".repeat(40), subject: "Fix", author: "Ann" };
    const [good] = await db().insert(activities).values({ projectId: id, environmentId: staging.id, environmentName: "staging", type: "environment.push", description: "Push", commits: [commit] }).returning();
    expect((await getActivityDetails(db(), good!)).broughtIn).toEqual([commit]);

    const [bad] = await db().insert(activities).values({ projectId: id, environmentId: staging.id, environmentName: "staging", type: "environment.push", description: "Push", commits: [{ sha: "a".repeat(40) }] as never }).returning();
    await expect(getActivityDetails(db(), bad!)).rejects.toThrow(`Activity ${bad!.id} has a commit list that does not match its schema: 0.subject: `);
  });

  it("a kept message's recipients: a good row parses, a bad one is an error naming the message", async () => {
    const { id, staging } = await project("mails");
    const mail = { projectId: id, environmentId: staging.id, mailFrom: "a@example.com", subject: "Hi", size: 2, raw: new Uint8Array([104, 105]) };
    await db().insert(mails).values({ ...mail, rcptTo: ["b@example.com"] });
    expect((await listMails(db(), staging)).map((m) => m.rcptTo)).toEqual([["b@example.com"]]);

    const [bad] = await db().insert(mails).values({ ...mail, rcptTo: "b@example.com" as never }).returning();
    await expect(listMails(db(), staging)).rejects.toThrow(`Mail ${bad!.id} has a recipient list that does not match its schema: (root): `);
  });

  it("an environment's HTTP access control and mail relay: good rows show, a bad one is an error naming the environment", async () => {
    const { id, staging } = await project("settings");
    const relay = { host: "smtp.example.com", port: 587, secure: false, username: "me", passwordSealed: null };
    await db().update(environments).set({ httpAccess: { enabled: true, logins: [], rules: [{ address: "10.0.0.0/8", action: "allow" }] }, mailRelay: relay }).where(eq(environments.id, staging.id));
    const read = async () => {
      const all = await listEnvironments(db(), id);
      return settingsView(all.find((e) => e.id === staging.id)!, all);
    };
    expect(await read()).toMatchObject({ httpAccess: { enabled: true, usernames: [], rules: [{ address: "10.0.0.0/8", action: "allow" }] }, relay: { host: "smtp.example.com", hasPassword: false } });
    expect(await projectRelayPasswords(db(), id)).toEqual([]);

    await db().update(environments).set({ mailRelay: { ...relay, port: "587" } as never }).where(eq(environments.id, staging.id));
    await expect(read()).rejects.toThrow(`Environment ${staging.id} has a mail relay that does not match its schema: port: `);
    await expect(projectRelayPasswords(db(), id)).rejects.toThrow(`Environment ${staging.id} has a mail relay that does not match its schema`);

    await db().update(environments).set({ mailRelay: relay, httpAccess: { enabled: true, logins: [{ username: "x" }], rules: [] } as never }).where(eq(environments.id, staging.id));
    await expect(read()).rejects.toThrow(`Environment ${staging.id} has an HTTP access control that does not match its schema: logins.0.passwordHash: `);
  });
});
