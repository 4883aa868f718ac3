import { expect, it } from "vitest";
import { describeEachDatabase } from "@/db/testing/databases";
import { getProjectAccess } from "@/lib/projects/access";
import { addProjectMember } from "@/lib/projects/members";
import { createProject } from "@/lib/projects/create-project";
import { makeUser, uniqueProjectId } from "@/lib/testing-fixtures";
import { ZERO_SHA, parseReceivePackCommands } from "@/lib/git/http-backend";
import { pushProblem } from "./receive-push";

const sha = "a".repeat(40);
const update = (ref: string, newSha = sha) => ({ oldSha: ZERO_SHA, newSha, ref });

describeEachDatabase("push permissions", ({ db }) => {
  it("lets contributors push where their role reaches, refuses viewers, tags and bad names", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const id = uniqueProjectId("push");
    await createProject(db(), admin, { id, title: "Push", plan: "starter", region: "us-3" });
    const dev = await makeUser(db());
    const viewer = await makeUser(db());
    await addProjectMember(db(), admin, id, dev.email, { role: "viewer", production: "viewer", staging: "viewer", development: "contributor" });
    await addProjectMember(db(), admin, id, viewer.email, { role: "viewer", production: "viewer", staging: "viewer", development: "viewer" });
    const devAccess = (await getProjectAccess(db(), dev, id))!;
    const viewerAccess = (await getProjectAccess(db(), viewer, id))!;

    expect(await pushProblem(db(), devAccess, [update("refs/heads/new-feature")])).toBeNull();
    expect(await pushProblem(db(), devAccess, [update("refs/heads/staging")])).toBe("Pushing to Staging environments needs the contributor role; you are a viewer.");
    expect(await pushProblem(db(), viewerAccess, [update("refs/heads/new-feature")])).toBe("Pushing to Integration environments needs the contributor role; you are a viewer.");
    expect(await pushProblem(db(), devAccess, [update("refs/tags/v1")])).toBe("Only branches can be pushed (not refs/tags/v1).");
    expect(await pushProblem(db(), devAccess, [update("refs/heads/Bad_Name")])).toContain("cannot become an environment");
    const adminAccess = (await getProjectAccess(db(), admin, id))!;
    expect(await pushProblem(db(), adminAccess, [update("refs/heads/staging", ZERO_SHA)])).toContain("delete it in the console");
  });
});

it("reads the ref updates at the start of a receive-pack request", () => {
  const line = (s: string) => `${(s.length + 4).toString(16).padStart(4, "0")}${s}`;
  const body = Buffer.from(`${line(`${ZERO_SHA} ${sha} refs/heads/a\0report-status side-band-64k\n`)}${line(`${sha} ${ZERO_SHA} refs/heads/b\n`)}0000PACK...`);
  expect(parseReceivePackCommands(body)).toEqual([
    { oldSha: ZERO_SHA, newSha: sha, ref: "refs/heads/a" },
    { oldSha: sha, newSha: ZERO_SHA, ref: "refs/heads/b" },
  ]);
});
