import path from "node:path";
import { describe, expect, it } from "vitest";
import { fileInRoot, resolveTarget } from "./router";

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

  it("never serves a file outside the web root", () => {
    const root = "/data/deploys/p/e/abc/public";
    expect(fileInRoot(root, "/index.html")).toBe(path.join(root, "index.html"));
    expect(fileInRoot(root, "/../.deploy-commit")).toBe(path.join(root, ".deploy-commit")); // normalised at the root
    expect(fileInRoot(root, "/%2e%2e/%2e%2e/secret")).toBe(path.join(root, "secret"));
    expect(fileInRoot(root, "/a/%00b")).toBeNull();
    expect(fileInRoot(root, "/%E0%A4%A")).toBeNull();
    expect(fileInRoot(root, "/")).toBe(path.join(root, "/"));
  });
});
