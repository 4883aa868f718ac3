import { clientInfo } from "./client-info";

/** An origin as a browser sends it: scheme, host and port, nothing else. */
const ORIGIN = /^https?:\/\/[A-Za-z0-9.\-[\]:]{1,300}$/;

/**
 * The address the browser used for this request, for links to copy (the git remote, an
 * invitation). Pure: given the request's headers.
 *
 * A server action that redirects (creating a project opens its page) is answered with the
 * new page rendered by Next.js asking itself for it, at its own address (localhost:PORT),
 * and fetch drops the Host header the browser sent: that render alone showed `localhost`
 * where the browser used `127.0.0.1` or a name, until the page was next rendered. That
 * request still carries the action's Origin (which Next.js checked against Host before it
 * ran the action), and Origin is the browser's own scheme, host and port wherever a browser
 * sends it (a POST, that redirect); a page it loads by address sends none, and gets its Host.
 * A client that sends an Origin of its own only changes the links in its own answer.
 */
export function requestBaseUrl(headers: Headers, fallbackHost: string): string {
  const origin = headers.get("origin");
  if (origin && ORIGIN.test(origin)) return origin;
  return `${clientInfo(headers).isHttps ? "https" : "http"}://${headers.get("host") ?? fallbackHost}`;
}
