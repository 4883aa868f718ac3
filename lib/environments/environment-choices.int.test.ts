import { and, eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { environments } from "@/db/schema";
import { describeEachDatabase } from "@/db/testing/databases";
import { getProjectAccess } from "@/lib/auth/project-access";
import { addProjectMember } from "@/lib/projects/members";
import { makeUser, starterProject } from "@/lib/testing-fixtures";
import { findInactiveEnvironmentChoices } from "./queries";

describeEachDatabase("the environment switcher's search among inactive environments", ({ db }) => {
  async function project() {
    const p = await starterProject(db(), "find");
    const [staging] = await db().select().from(environments).where(and(eq(environments.name, "staging"), eq(environments.projectId, p.id)));
    const at = (minutes: number) => new Date(Date.now() - minutes * 60_000);
    await db().insert(environments).values([
      ...Array.from({ length: 60 }, (_, i) => ({ projectId: p.id, name: `old-${i}`, title: `Old ${i}`, parentId: staging!.id, type: "development" as const, status: "inactive" as const, createdAt: at(1000 - i) })),
      { projectId: p.id, name: "cart-fix", title: "Cart 100% fixed", parentId: staging!.id, type: "development", status: "inactive", createdAt: at(5) },
      { projectId: p.id, name: "cart_x", title: "Underscore", parentId: staging!.id, type: "development", status: "inactive", createdAt: at(4) },
      { projectId: p.id, name: "live-cart", title: "Live cart", parentId: staging!.id, type: "development", status: "active", createdAt: at(3) },
      { projectId: p.id, name: "stage-copy", title: "A staging copy", parentId: staging!.id, type: "staging", status: "inactive", createdAt: at(2) },
    ]);
    return p;
  }

  it("lists the newest first, at most the limit, and says there are more", async () => {
    const { access } = await project();
    const all = await findInactiveEnvironmentChoices(db(), access, { text: "", limit: 50 });
    expect(all.environments).toHaveLength(50);
    expect(all.more).toBe(true);
    expect(all.environments.slice(0, 3).map((e) => e.name)).toEqual(["stage-copy", "cart_x", "cart-fix"]);
    expect(all.environments.every((e) => e.status === "inactive")).toBe(true);
  });

  it("finds by name or title in any case, and takes %, _ and backslash literally", async () => {
    const { access } = await project();
    const names = async (text: string) => (await findInactiveEnvironmentChoices(db(), access, { text, limit: 50 })).environments.map((e) => e.name);
    expect(await names("CART")).toEqual(["cart_x", "cart-fix"]); // not the active live-cart (the overview has it)
    expect(await names("100%")).toEqual(["cart-fix"]);
    expect(await names("%")).toEqual(["cart-fix"]);
    expect(await names("_")).toEqual(["cart_x"]);
    expect(await names("\\")).toEqual([]);
    expect(await names("old 59")).toEqual(["old-59"]);
    expect(await names("'; drop table environments; --")).toEqual([]);
    expect((await findInactiveEnvironmentChoices(db(), access, { text: "old-5", limit: 3 })).more).toBe(true);
  });

  it("leaves out the types a member may not see", async () => {
    const { admin, id } = await project();
    const viewer = await makeUser(db());
    await addProjectMember(db(), admin, id, viewer.email, { role: "viewer", production: "viewer", staging: "none", development: "viewer" });
    const access = (await getProjectAccess(db(), viewer, id))!;
    const found = await findInactiveEnvironmentChoices(db(), access, { text: "copy", limit: 50 });
    expect(found).toEqual({ environments: [], more: false });
  });
});
