import { NextResponse, type NextRequest } from "next/server";
import { env } from "@/lib/env";
import { clientInfo } from "@/lib/session/client-info";
import { REQUEST_PATH_HEADER } from "@/lib/session/request-path";

/** Next.js's own limit for a server action's body (serverActions.bodySizeLimit, 1 MB). */
const SERVER_ACTION_BODY_LIMIT = 1024 * 1024;

const plain = (status: number, message: string) => new NextResponse(`${message}\n`, { status, headers: { "content-type": "text/plain; charset=utf-8" } });

/**
 * The Content-Security-Policy of every dashboard answer. Scripts run only with this
 * request's nonce (Next.js puts it on its own scripts, which may load more: strict-dynamic);
 * styles allow inline `style` attributes (React and the graph set them), never scripts.
 */
export function contentSecurityPolicy(nonce: string, options: { isHttps: boolean; isDev: boolean }): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${options.isDev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "frame-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
    ...(options.isHttps ? ["upgrade-insecure-requests"] : []),
  ].join("; ");
}

/**
 * Runs before routing, for every answer but Next's static files:
 * - a CSP with a fresh nonce (and Strict-Transport-Security over https);
 * - an address with a malformed %-escape (`/projects/%E0%A4%A`) would make the router fail
 *   with a 500; it gets 400 for the API and the git remote, the app's "not found" page for pages;
 * - server actions from another site (403), over Next.js's body limit (413) or with a body of
 *   unknown length (411) are refused with a sentence, where Next.js would answer 500.
 */
export function proxy(request: NextRequest) {
  const config = env();
  const client = clientInfo(request.headers, config.PUBLIC_URL);
  const nonce = crypto.randomUUID().replaceAll("-", "");
  const csp = contentSecurityPolicy(nonce, { isHttps: client.isHttps, isDev: config.NODE_ENV === "development" });
  const secure = <T extends NextResponse>(response: T): T => {
    response.headers.set("Content-Security-Policy", csp);
    if (client.isHttps) response.headers.set("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    return response;
  };

  const path = request.nextUrl.pathname;
  try {
    for (const segment of path.split("/")) decodeURIComponent(segment);
  } catch {
    const message = "This address has a malformed %-escape (a % must be followed by two hex digits of valid UTF-8). Check the link.";
    if (path.startsWith("/api/")) return secure(NextResponse.json({ error: message }, { status: 400 }));
    if (path.startsWith("/git/")) return secure(plain(400, message));
    return secure(NextResponse.rewrite(new URL("/not-found", request.url), { request: { headers: withNonce(request.headers, csp) } }));
  }
  if (request.method === "POST" && request.headers.has("next-action")) {
    const origin = request.headers.get("origin");
    let sameSite = true;
    try {
      sameSite = !origin || new URL(origin).host === (request.headers.get("x-forwarded-host") ?? request.headers.get("host"));
    } catch {
      sameSite = false;
    }
    if (!sameSite) return secure(plain(403, "This form was sent from another site; only this dashboard's own pages may send it."));
    const length = request.headers.get("content-length");
    if (length === null) return secure(plain(411, "This form was sent without a Content-Length; nothing was saved. Send it from the dashboard's own page."));
    if (Number(length) > SERVER_ACTION_BODY_LIMIT) {
      return secure(plain(413, `This form sent more than ${SERVER_ACTION_BODY_LIMIT / 1024 / 1024} MiB; nothing was saved. Shorten what you entered.`));
    }
  }
  const headers = withNonce(request.headers, csp);
  // Pages learn their own address (for "sign in, then back here"); a client cannot set it.
  headers.set(REQUEST_PATH_HEADER, `${path}${request.nextUrl.search}`);
  return secure(NextResponse.next({ request: { headers } }));
}

/** Next.js reads the nonce for its scripts from the request's CSP header. */
function withNonce(source: Headers, csp: string): Headers {
  const headers = new Headers(source);
  headers.set("Content-Security-Policy", csp);
  return headers;
}

export const config = {
  // Everything but Next's own static files, and the two routes that take large bodies as they
  // arrive, the git remote (a push) and a backup's import: for a request it sees, the proxy holds
  // at most 10 MB of the body (Next.js's proxyClientMaxBodySize) and the handler gets no more
  // (a 16 MiB push failed to unpack). Their addresses with a "%" still pass here, so a malformed
  // escape gets its 400.
  matcher: ["/((?!_next/static|_next/image|favicon|git/[^%]*$|api/projects/[^/%]+/environments/[^/%]+/snapshots/import$).*)"],
};
