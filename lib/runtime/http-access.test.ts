import { describe, expect, it } from "vitest";
import { basicCredentials, decideAccess, effectiveHttpAccess, parseAccessRules, type AccessNode, type HttpAccess } from "./http-access";

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
const check = async (password: string, hash: string) => hash === `hash:${password}`;
const access = (rules: string, logins: [string, string][] = []): HttpAccess => ({
  enabled: true,
  rules: parseAccessRules(rules).rules,
  logins: logins.map(([username, password]) => ({ username, passwordHash: `hash:${password}` })),
});

describe("decideAccess", () => {
  const cases: { title: string; access: HttpAccess; client: string; auth?: string; expect: string }[] = [
    { title: "off: open", access: { enabled: false, logins: [], rules: [] }, client: "198.51.100.7", expect: "allow:open" },
    { title: "login only, no credentials", access: access("", [["ann", "pw"]]), client: "198.51.100.7", expect: "401" },
    { title: "login only, right credentials", access: access("", [["ann", "pw"]]), client: "198.51.100.7", auth: basic("ann", "pw"), expect: "allow:login" },
    { title: "login only, wrong password", access: access("", [["ann", "pw"]]), client: "198.51.100.7", auth: basic("ann", "nope"), expect: "401" },
    { title: "unknown user", access: access("", [["ann", "pw"]]), client: "198.51.100.7", auth: basic("bob", "pw"), expect: "401" },
    { title: "IPv4 range allows without login", access: access("198.51.100.0/24 allow", [["ann", "pw"]]), client: "198.51.100.7", expect: "allow:rule" },
    { title: "first match wins: deny before allow", access: access("198.51.100.7 deny\n198.51.100.0/24 allow"), client: "198.51.100.7", expect: "403" },
    { title: "first match wins: allow before deny", access: access("198.51.100.0/24 allow\n0.0.0.0/0 deny"), client: "198.51.100.7", expect: "allow:rule" },
    { title: "rules exist, none matches: deny", access: access("203.0.113.0/24 allow"), client: "198.51.100.7", expect: "403" },
    { title: "a valid login beats a deny rule", access: access("0.0.0.0/0 deny", [["ann", "pw"]]), client: "198.51.100.7", auth: basic("ann", "pw"), expect: "allow:login" },
    { title: "denied by a rule with logins: asked to log in", access: access("0.0.0.0/0 deny", [["ann", "pw"]]), client: "198.51.100.7", expect: "401" },
    { title: "IPv6 range", access: access("2001:db8::/32 allow\n::/0 deny"), client: "2001:db8:1::5", expect: "allow:rule" },
    { title: "IPv6 outside the range", access: access("2001:db8::/32 allow\n::/0 deny"), client: "2001:db9::1", expect: "403" },
    { title: "IPv4-mapped client matches an IPv4 rule", access: access("10.0.0.0/8 allow"), client: "::ffff:10.1.2.3", expect: "allow:rule" },
    { title: "IPv4 rule never matches an IPv6 client", access: access("0.0.0.0/0 allow"), client: "2001:db8::1", expect: "403" },
    { title: "loopback IPv6", access: access("::1 allow"), client: "::1", expect: "allow:rule" },
  ];
  for (const c of cases) {
    it(c.title, async () => {
      const d = await decideAccess(c.access, { client: c.client, authorization: c.auth }, check);
      expect(d.allow ? `allow:${d.by}` : String(d.status)).toBe(c.expect);
    });
  }
  it("says why it denied", async () => {
    const d = await decideAccess(access("198.51.100.7 deny"), { client: "198.51.100.7" }, check);
    expect(d).toMatchObject({ allow: false, status: 403, reason: "Your address 198.51.100.7 is denied by the rule “198.51.100.7 deny”." });
  });
});

describe("parseAccessRules", () => {
  it("reads one rule per line and names each bad line", () => {
    const r = parseAccessRules("# office\n203.0.113.0/24 allow\n\n2001:db8::/32 DENY\n10.0.0.300 allow\n10.0.0.0/33 deny\nallow 1.2.3.4\n1.2.3.4 maybe");
    expect(r.rules).toEqual([
      { address: "203.0.113.0/24", action: "allow" },
      { address: "2001:db8::/32", action: "deny" },
    ]);
    expect(r.errors).toHaveLength(4);
    expect(r.errors[0]).toContain("Line 5: “10.0.0.300” is not an IPv4 or IPv6 address or CIDR range");
    expect(r.errors[2]).toContain("Line 7: write “<IP or CIDR> allow”");
  });
  it("caps the number of rules", () => {
    const many = Array.from({ length: 201 }, (_, i) => `10.0.${Math.floor(i / 250)}.${i % 250} allow`).join("\n");
    expect(parseAccessRules(many).errors.at(-1)).toContain("At most 200 rules");
  });
});

describe("basicCredentials", () => {
  it("reads user:password, the password may hold colons; anything else is none", () => {
    expect(basicCredentials(basic("ann", "a:b"))).toEqual({ username: "ann", password: "a:b" });
    expect(basicCredentials("Bearer x")).toBeNull();
    expect(basicCredentials(`Basic ${Buffer.from("nocolon").toString("base64")}`)).toBeNull();
    expect(basicCredentials(undefined)).toBeNull();
  });
});

describe("effectiveHttpAccess", () => {
  const open: HttpAccess = { enabled: false, logins: [], rules: [] };
  const tree = (root: unknown): Map<string, AccessNode> =>
    new Map<string, AccessNode>([
      ["root", { id: "root", parentId: null, httpAccess: root as HttpAccess, httpAccessInherited: false }],
      ["child", { id: "child", parentId: "root", httpAccess: open, httpAccessInherited: true }],
    ]);

  it("answers the access control a child inherits, as stored", () => {
    const guarded: HttpAccess = { enabled: true, logins: [{ username: "a", passwordHash: "h" }], rules: [{ address: "10.0.0.0/8", action: "allow" }] };
    expect(effectiveHttpAccess("child", tree(guarded))).toEqual({ access: guarded, from: "root" });
  });

  it("refuses a stored value that does not match, naming the environment it came from", () => {
    expect(() => effectiveHttpAccess("child", tree({ enabled: "yes", logins: [], rules: [] }))).toThrow(/^Environment root has an HTTP access control that does not match its schema: enabled: /);
  });
});
