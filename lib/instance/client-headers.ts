import "server-only";
import type http from "node:http";
import type { TLSSocket } from "node:tls";
import { CLIENT_ADDRESS_HEADER, CLIENT_HTTPS_HEADER } from "@/lib/session/client-info";

/**
 * Next.js fills X-Forwarded-For only when a client did not send one, so it cannot tell who
 * is asking. The front door (server.ts) calls this first for every request: it stamps the
 * socket's address (or, with TRUST_PROXY, the last X-Forwarded-For entry — the one the proxy
 * added) and whether the request came over https, replacing anything a client sent under those
 * names. The sign-in lockout counts per address; cookies become Secure over https.
 */
export function stampClientHeaders(req: http.IncomingMessage, trustProxy: boolean): void {
  const socketAddress = req.socket?.remoteAddress ?? "";
  let address = socketAddress;
  let https = Boolean((req.socket as TLSSocket | undefined)?.encrypted);
  if (trustProxy) {
    const forwarded = String(req.headers["x-forwarded-for"] ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    address = forwarded.at(-1) ?? socketAddress;
    const proto = String(req.headers["x-forwarded-proto"] ?? "").split(",")[0]?.trim();
    if (proto) https = proto === "https";
  }
  req.headers[CLIENT_ADDRESS_HEADER] = address.replace(/^::ffff:/, "");
  req.headers[CLIENT_HTTPS_HEADER] = https ? "1" : "0";
}
