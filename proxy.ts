import { NextResponse, type NextRequest } from "next/server";
import { REQUEST_PATH_HEADER } from "@/lib/session/request-path";

/** Next.js's own limit for a server action's body (serverActions.bodySizeLimit, 1 MB). */
const SERVER_ACTION_BODY_LIMIT = 1024 * 1024;

const plain = (status: number, message: string) => new NextResponse(`${message}\n`, { status, headers: { "content-type": "text/plain; charset=utf-8" } });

/**
 * Runs before routing. An address with a malformed %-escape (`/projects/%E0%A4%A`) would make
 * the router fail with a 500; it gets a clear answer instead: 400 for the API and the git
 * remote, the app's own "not found" page for pages.
 * Server actions sent from another site (403) or over Next.js's body limit (413) are refused
 * here too, with a sentence, where Next.js would answer 500.
 */
export function proxy(request: NextRequest) {
  const path = request.nextUrl.pathname;
  try {
    for (const segment of path.split("/")) decodeURIComponent(segment);
  } catch {
    const message = "This address has a malformed %-escape (a % must be followed by two hex digits of valid UTF-8). Check the link.";
    if (path.startsWith("/api/")) return NextResponse.json({ error: message }, { status: 400 });
    if (path.startsWith("/git/")) return plain(400, message);
    return NextResponse.rewrite(new URL("/not-found", request.url));
  }
  // Server actions: refuse what Next.js would answer with a 500 — another site's form, or a body over its limit.
  if (request.method === "POST" && request.headers.has("next-action")) {
    const origin = request.headers.get("origin");
    let sameSite = true;
    try {
      sameSite = !origin || new URL(origin).host === (request.headers.get("x-forwarded-host") ?? request.headers.get("host"));
    } catch {
      sameSite = false;
    }
    if (!sameSite) return plain(403, "This form was sent from another site; only this dashboard's own pages may send it.");
    if (Number(request.headers.get("content-length") ?? 0) > SERVER_ACTION_BODY_LIMIT) {
      return plain(413, `This form sent more than ${SERVER_ACTION_BODY_LIMIT / 1024 / 1024} MiB; nothing was saved. Shorten what you entered.`);
    }
  }
  // Pages learn their own address (for "sign in, then back here"); a client cannot set it.
  const headers = new Headers(request.headers);
  headers.set(REQUEST_PATH_HEADER, `${path}${request.nextUrl.search}`);
  return NextResponse.next({ request: { headers } });
}

export const config = {
  // Everything but Next's own static files.
  matcher: ["/((?!_next/static|_next/image|favicon).*)"],
};
