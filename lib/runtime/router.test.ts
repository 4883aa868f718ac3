import { describe, expect, it } from "vitest";
import { consoleBase, resolveTarget } from "./router";

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

  it("links the paused page to the console: PUBLIC_URL, or the host the visitor used at the console's port", () => {
    const req = (host?: string) => ({ headers: host === undefined ? {} : { host } });
    expect(consoleBase(req("staging.demo.localhost:3001"), { consoleUrl: "https://console.example.com/" })).toBe("https://console.example.com");
    expect(consoleBase(req("staging.demo.localhost:3001"), { consolePort: 3800 })).toBe("http://localhost:3800");
    expect(consoleBase(req("192.0.2.7:3001"), { consolePort: 3800 })).toBe("http://192.0.2.7:3800");
    expect(consoleBase(req("Build.Example.com:3001"), { consolePort: 3800 })).toBe("http://build.example.com:3800");
    expect(consoleBase(req("[::1]:3001"), { consolePort: 3800 })).toBe("http://[::1]:3800");
    // What is not a host name is not written into the page.
    for (const hostile of ['x"><script>alert(1)</script>', "a b", "evil.com/path", "a@b", "", "-x.com", "%41"]) {
      expect(consoleBase(req(hostile), { consolePort: 3800 })).toBe("http://localhost:3800");
    }
    expect(consoleBase(req(undefined), { consolePort: 3800 })).toBe("http://localhost:3800");
  });

});
