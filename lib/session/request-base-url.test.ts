import { describe, expect, it } from "vitest";
import { CLIENT_HTTPS_HEADER } from "./client-info";
import { requestBaseUrl } from "./request-base-url";

const h = (init: Record<string, string>) => new Headers(init);

describe("the address the browser used", () => {
  it("is the Host of a whole page, over https when the server says so", () => {
    expect(requestBaseUrl(h({ host: "127.0.0.1:3800", [CLIENT_HTTPS_HEADER]: "0" }), "localhost:3800")).toBe("http://127.0.0.1:3800");
    expect(requestBaseUrl(h({ host: "console.example.com", [CLIENT_HTTPS_HEADER]: "1" }), "localhost:3800")).toBe("https://console.example.com");
    expect(requestBaseUrl(h({}), "localhost:3800")).toBe("http://localhost:3800");
  });

  it("is the action's Origin when Next.js renders an action's redirect by asking itself at localhost", () => {
    // What the action handler's own fetch carries: its URL's host (fetch drops the browser's), and the browser's Origin and cookies.
    const forwarded = h({ host: "localhost:3800", origin: "http://127.0.0.1:3800", "x-action-redirect": "/projects/p;push", [CLIENT_HTTPS_HEADER]: "0" });
    expect(requestBaseUrl(forwarded, "localhost:3800")).toBe("http://127.0.0.1:3800");
    expect(requestBaseUrl(h({ host: "localhost:3800", origin: "https://console.example.com" }), "x")).toBe("https://console.example.com");
  });

  it("takes no Origin that is not one (a path, \"null\", another scheme, odd characters)", () => {
    for (const origin of ["null", "http://a.example/path", "javascript:alert(1)", "http://a.exampleX: y", "ftp://a.example", "http://a b", "http://a.example?x", "http://"]) {
      expect(requestBaseUrl(h({ host: "127.0.0.1:3800", origin }), "x"), origin).toBe("http://127.0.0.1:3800");
    }
  });
});
