import { NextResponse, type NextRequest } from "next/server";
import { REQUEST_PATH_HEADER } from "@/lib/session/request-path";

/**
 * Runs before routing. An address with a malformed %-escape (`/projects/%E0%A4%A`) would make
 * the router fail with a 500; it gets a clear answer instead: 400 for the API and the git
 * remote, the app's own "not found" page for pages.
 */
export function proxy(request: NextRequest) {
  const path = request.nextUrl.pathname;
  try {
    for (const segment of path.split("/")) decodeURIComponent(segment);
  } catch {
    const message = "This address has a malformed %-escape (a % must be followed by two hex digits of valid UTF-8). Check the link.";
    if (path.startsWith("/api/")) return NextResponse.json({ error: message }, { status: 400 });
    if (path.startsWith("/git/")) return new NextResponse(`${message}\n`, { status: 400, headers: { "content-type": "text/plain; charset=utf-8" } });
    return NextResponse.rewrite(new URL("/not-found", request.url));
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
