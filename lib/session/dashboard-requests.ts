import "server-only";
import http from "node:http";

/**
 * Something that answers some of the dashboard's requests before Next.js sees them. It returns
 * true when it takes the request: it then answers it, or hands it on with `pass()` (to Next.js).
 */
export type RequestTaker = (req: http.IncomingMessage, res: http.ServerResponse, pass: () => void) => boolean;

/**
 * Puts `take` in front of Next.js on the server listening on `port` (the dashboard's, not the
 * environment router's). Every HTTP server's `request` event passes here first: the one
 * installed last runs first.
 */
export function interceptDashboardRequests(port: number, take: RequestTaker): void {
  const emit = http.Server.prototype.emit;
  const isDashboard = new WeakMap<http.Server, boolean>();
  http.Server.prototype.emit = function (this: http.Server, event: string | symbol, ...args: unknown[]) {
    if (event === "request") {
      const [req, res] = args as [http.IncomingMessage, http.ServerResponse];
      let dashboard = isDashboard.get(this);
      if (dashboard === undefined) {
        const address = this.address();
        dashboard = typeof address === "object" && address !== null && address.port === port;
        isDashboard.set(this, dashboard);
      }
      if (dashboard && take(req, res, () => void emit.apply(this, [event, ...args] as unknown as Parameters<typeof emit>))) return true;
    }
    return emit.apply(this, [event, ...args] as Parameters<typeof emit>);
  } as typeof emit;
}

/** Whether an Accept-Encoding header takes `coding` (named, without q=0). */
export function acceptsEncoding(header: string | string[] | undefined, coding: string): boolean {
  return String(header ?? "")
    .split(",")
    .some((part) => {
      const [name, ...params] = part.trim().split(";");
      const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
      return name?.trim().toLowerCase() === coding && (!q || Number(q.slice(2)) > 0);
    });
}
