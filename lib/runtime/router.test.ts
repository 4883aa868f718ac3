import { describe, expect, it } from "vitest";
import { resolveTarget } from "./router";

describe("the environment router", () => {
  it("finds the environment by host name or by path", () => {
    expect(resolveTarget("fix-cart.demo-store.localhost:3001", "/a/b.css?x=1")).toEqual({ projectId: "demo-store", environment: "fix-cart", sitePath: "/a/b.css", redirectWww: undefined });
    expect(resolveTarget("www.staging.demo-store.localhost:3001", "/")).toMatchObject({ environment: "staging", redirectWww: "staging.demo-store.localhost" });
    expect(resolveTarget("localhost:3001", "/demo-store/master/")).toEqual({ projectId: "demo-store", environment: "master", sitePath: "/" });
    expect(resolveTarget("localhost:3001", "/demo-store/master")).toEqual({ projectId: "demo-store", environment: "master", sitePath: "/" });
    expect(resolveTarget("localhost:3001", "/")).toBeNull();
    expect(resolveTarget("localhost:3001", "/../etc/passwd")).toBeNull();
    expect(resolveTarget("Evil_Name.x.localhost", "/")).toBeNull();
  });

});
