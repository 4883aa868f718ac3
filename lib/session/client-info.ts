/**
 * Who is on the other end of a request, as far as the server can know. The Node.js server
 * stamps these headers on every request before Next.js sees it (lib/instance/client-headers.ts),
 * overwriting whatever a client sent under the same names. Pure: proxy.ts uses it too.
 */
export const CLIENT_ADDRESS_HEADER = "x-pwi-client-address";
export const CLIENT_HTTPS_HEADER = "x-pwi-https";

export interface ClientInfo {
  /** The socket's address, or with TRUST_PROXY the address the proxy saw; "" when unknown. */
  address: string;
  /** Served over https: the public URL says so, or the socket is TLS, or a trusted proxy says so. */
  isHttps: boolean;
  userAgent: string;
}

export function clientInfo(headers: Headers, publicUrl?: string): ClientInfo {
  return {
    address: (headers.get(CLIENT_ADDRESS_HEADER) ?? "").slice(0, 100),
    isHttps: publicUrl ? publicUrl.startsWith("https://") : headers.get(CLIENT_HTTPS_HEADER) === "1",
    userAgent: (headers.get("user-agent") ?? "").slice(0, 300),
  };
}
