/**
 * HTTP access control of an environment's site, as the router enforces it. Pure (the password
 * check is passed in), so a table of cases tests every decision; server-side only.
 *
 * As on the platform: a valid login passes whatever the address rules say; otherwise the first
 * address rule that matches the client decides; when rules exist and none matches, the answer
 * is deny. Denied with logins configured → 401 (the browser asks for a login); denied without
 * any → 403 with a page that says why.
 */
import crypto from "node:crypto";
import ipaddr from "ipaddr.js";
import { httpAccessSettingsSchema, parseJsonColumn, type HttpAccessSettings } from "@/db/json-columns";

export type HttpAccess = HttpAccessSettings;
export type AccessRule = HttpAccess["rules"][number];

export const NO_HTTP_ACCESS: HttpAccess = { enabled: false, logins: [], rules: [] };
export const MAX_ACCESS_RULES = 200;
export const MAX_LOGINS = 50;

export type AccessDecision = { allow: true; by: "open" | "login" | "rule" } | { allow: false; status: 401 | 403; reason: string };

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** An address or range as ipaddr.js understands it (a bare address is a /32 or /128), or null. */
export function parseRange(text: string): Range | null {
  const t = text.trim();
  try {
    if (t.includes("/")) {
      const [addr, bits] = ipaddr.parseCIDR(t);
      return [normal(addr), addr.kind() === "ipv6" && normal(addr).kind() === "ipv4" ? Math.max(0, bits - 96) : bits];
    }
    if (!ipaddr.isValid(t)) return null;
    const addr = normal(ipaddr.parse(t));
    return [addr, addr.kind() === "ipv4" ? 32 : 128];
  } catch {
    return null;
  }
}

/** IPv4-mapped IPv6 (::ffff:10.0.0.1, as Node reports IPv4 clients on a dual-stack socket) as IPv4. */
function normal(addr: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  return addr.kind() === "ipv6" && (addr as ipaddr.IPv6).isIPv4MappedAddress() ? (addr as ipaddr.IPv6).toIPv4Address() : addr;
}

/** Whether `client` (an address) lies in `range`. Different families never match. */
export function inRange(client: string, range: Range): boolean {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = normal(ipaddr.parse(client));
  } catch {
    return false;
  }
  if (addr.kind() !== range[0].kind()) return false;
  return addr.kind() === "ipv4" ? (addr as ipaddr.IPv4).match(range as [ipaddr.IPv4, number]) : (addr as ipaddr.IPv6).match(range as [ipaddr.IPv6, number]);
}

/** The username and password of a `Basic` Authorization header, or null. */
export function basicCredentials(header: string | undefined): { username: string; password: string } | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "");
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * The router's decision for one request. `checkPassword(password, hash)` verifies a login (the
 * router caches its answers); it is called only for the login whose username matches.
 */
export async function decideAccess(
  access: HttpAccess,
  request: { authorization?: string; client: string },
  checkPassword: (password: string, hash: string) => Promise<boolean>,
): Promise<AccessDecision> {
  if (!access.enabled) return { allow: true, by: "open" };
  const given = basicCredentials(request.authorization);
  if (given) {
    const login = access.logins.find((l) => l.username === given.username);
    if (login && (await checkPassword(given.password, login.passwordHash))) return { allow: true, by: "login" };
  }
  for (const rule of access.rules) {
    const range = parseRange(rule.address);
    if (range && inRange(request.client, range)) {
      if (rule.action === "allow") return { allow: true, by: "rule" };
      return denied(access, `Your address ${request.client} is denied by the rule “${rule.address} deny”.`);
    }
  }
  if (access.rules.length > 0) return denied(access, `Your address ${request.client} matches no rule that allows it.`);
  return denied(access, "This site needs a login.");
}

function denied(access: HttpAccess, reason: string): AccessDecision {
  return access.logins.length > 0 ? { allow: false, status: 401, reason } : { allow: false, status: 403, reason };
}

/**
 * Reads address rules written one per line as `<IP or CIDR> allow|deny` (blank lines and `#`
 * comments skipped). Each problem names its line and what to write instead.
 */
export function parseAccessRules(text: string): { rules: AccessRule[]; errors: string[] } {
  const rules: AccessRule[] = [];
  const errors: string[] = [];
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const m = /^(\S+)\s+(allow|deny)$/i.exec(line);
    if (!m) {
      errors.push(`Line ${i + 1}: write “<IP or CIDR> allow” or “<IP or CIDR> deny”, like 203.0.113.0/24 allow.`);
      return;
    }
    if (!parseRange(m[1]!)) {
      errors.push(`Line ${i + 1}: “${m[1]!.slice(0, 60)}” is not an IPv4 or IPv6 address or CIDR range (like 203.0.113.0/24 or 2001:db8::/32).`);
      return;
    }
    rules.push({ address: m[1]!, action: m[2]!.toLowerCase() as "allow" | "deny" });
  });
  if (rules.length > MAX_ACCESS_RULES) errors.push(`At most ${MAX_ACCESS_RULES} rules (this has ${rules.length}): use CIDR ranges to cover several addresses.`);
  return { rules, errors };
}

export function formatAccessRules(rules: readonly AccessRule[]): string {
  return rules.map((r) => `${r.address} ${r.action}`).join("\n");
}

/** An environment as far as inheritance of access control goes. */
export interface AccessNode {
  id: string;
  parentId: string | null;
  httpAccess: HttpAccess;
  httpAccessInherited: boolean;
}

/** An environment's own access control as stored, checked (a row that does not match throws, naming the environment). Pure. */
export function storedHttpAccess(env: { id: string; httpAccess: unknown }): HttpAccess {
  return parseJsonColumn(httpAccessSettingsSchema, env.httpAccess, { record: "Environment", id: env.id, what: "an HTTP access control" });
}

/**
 * The access control that applies to `id`: its own, or (inherited) its parent's, up the tree to
 * the first environment with its own (a root always has its own; a cycle stops the walk),
 * checked as it is read (storedHttpAccess). Pure.
 */
export function effectiveHttpAccess(id: string, byId: ReadonlyMap<string, AccessNode>): { access: HttpAccess; from: string } {
  const seen = new Set<string>();
  let node = byId.get(id);
  while (node && node.httpAccessInherited && node.parentId && byId.has(node.parentId) && !seen.has(node.id)) {
    seen.add(node.id);
    node = byId.get(node.parentId);
  }
  return node ? { access: storedHttpAccess(node), from: node.id } : { access: NO_HTTP_ACCESS, from: id };
}

/** A fingerprint of what the router enforces (field by field: stored JSON has no stable key order). */
export function routerDigestOf(settings: { httpAccess: HttpAccess; restrictRobots: boolean }): string {
  const a = settings.httpAccess;
  const text = JSON.stringify([a.enabled, a.logins.map((l) => [l.username, l.passwordHash]), a.rules.map((r) => [r.address, r.action]), settings.restrictRobots]);
  return crypto.createHash("sha256").update(text).digest("hex");
}
