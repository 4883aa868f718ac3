import { getDb } from "@/db/client";
import { hasRole } from "@/lib/auth/permissions";
import { env } from "@/lib/env";
import { gitHiddenRefs, pushProblem, recordPush } from "@/lib/environments/receive-push";
import { MAX_FETCH_REQUEST_BYTES, runHttpBackend, type GitService } from "@/lib/git/http-backend";
import { pushGate } from "@/lib/git/push-gate";
import { clientInfo } from "@/lib/session/client-info";
import { getProjectAccess } from "@/lib/auth/project-access";
import { authenticateToken } from "@/lib/tokens/api-tokens";

export const dynamic = "force-dynamic";

const PATH = /^([a-z][a-z0-9]*(?:-[a-z0-9]+)*)\.git\/(info\/refs|git-upload-pack|git-receive-pack)$/;
const challenge = () =>
  new Response("Sign in with your email and an API token (create one on your account page).\n", {
    status: 401,
    headers: { "WWW-Authenticate": 'Basic realm="Project Web Interface git", charset="UTF-8"' },
  });
const text = (status: number, message: string) => new Response(`${message}\n`, { status, headers: { "content-type": "text/plain; charset=utf-8" } });
const mib = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MiB`;

/**
 * The project's git remote: `git clone http://host/git/<project>.git` with email + API token.
 * Who may push what is decided by the repository's pre-receive hook, which sees exactly the
 * updates git is about to apply, and asks the same rules as the console (push-gate.ts).
 */
async function handle(request: Request, { params }: { params: Promise<{ path: string[] }> }) {
  const match = PATH.exec((await params).path.join("/"));
  if (!match) return text(404, "Not found.");
  const [, projectId, service] = match as unknown as [string, string, GitService];
  const url = new URL(request.url);
  const wanted = service === "info/refs" ? url.searchParams.get("service") : service;
  if (wanted !== "git-upload-pack" && wanted !== "git-receive-pack") return text(403, "Only the smart HTTP protocol is served.");
  if ((service === "info/refs") !== (request.method === "GET")) return text(405, "Use GET for info/refs and POST for the git services.");

  const auth = request.headers.get("authorization");
  if (!auth?.startsWith("Basic ")) return challenge();
  const decoded = Buffer.from(auth.slice(6), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const db = await getDb();
  const user = colon > 0 ? await authenticateToken(db, decoded.slice(0, colon), decoded.slice(colon + 1)) : null;
  if (!user) return challenge();
  const access = await getProjectAccess(db, { id: user.id, email: user.email, name: user.name, isAdmin: user.isAdmin }, projectId);
  // The same answer whether the project is missing or not yours: nobody learns which.
  if (!access) return text(403, "You have no access to this repository.");
  const roles = Object.values(access.environmentRoles);
  if (!roles.some((r) => hasRole(r, "viewer"))) return text(403, "You have no access to this project's environments.");
  if (wanted === "git-receive-pack" && !roles.some((r) => hasRole(r, "contributor"))) {
    return text(403, "Viewers may fetch but not push: pushing needs the contributor role.");
  }

  const encoding = request.headers.get("content-encoding");
  if (encoding && encoding !== "gzip") return text(415, `Content-Encoding ${encoding.slice(0, 40)} is not supported: send the body plain or gzip-compressed.`);
  const isPush = service === "git-receive-pack";
  const maxBodyBytes = isPush ? env().GIT_MAX_REQUEST_MB * 1024 * 1024 : MAX_FETCH_REQUEST_BYTES;
  const gate = isPush ? await pushGate() : null;
  const consoleUrl = env().PUBLIC_URL ?? `${clientInfo(request.headers).isHttps ? "https" : "http"}://${request.headers.get("host") ?? `localhost:${env().PORT}`}`;
  const ticket =
    gate?.issue(
      (updates, options) => pushProblem(db, access, updates, options),
      (updates, options) => recordPush(db, user, access, updates, options, consoleUrl),
    ) ?? null;
  let closeTicketLater = false;
  try {
    const answer = await runHttpBackend({
      projectId: access.project.id,
      service,
      method: request.method,
      query: url.searchParams.toString(),
      contentType: request.headers.get("content-type"),
      body: request.method === "POST" ? request.body : null,
      gzip: encoding === "gzip",
      maxBodyBytes,
      remoteUser: user.email,
      hiddenRefs: await gitHiddenRefs(db, access),
      push: gate && ticket ? { socketPath: gate.socketPath, ticket: ticket.id } : undefined,
    });
    if (answer.kind === "too-large") {
      return text(413, `This request is larger than ${mib(answer.limitBytes)} once decompressed, the most this server accepts${isPush ? " (GIT_MAX_REQUEST_MB): push fewer or smaller commits at a time" : ""}. Nothing was changed.`);
    }
    if (answer.kind === "bad-body") return text(400, `${answer.message} Nothing was changed.`);
    if (ticket) {
      // Recorded by the proc-receive hook (which streams the outcome to the pusher's terminal); if it never asked, here once git is done.
      closeTicketLater = true;
      void answer.exited
        .then(async () => {
          if (answer.status === 200 && ticket.accepted.length > 0) await ticket.record();
        })
        .catch((err: unknown) => console.error("[git] recording a push failed:", err))
        .finally(() => ticket.close());
    }
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  } catch (err) {
    console.error("[git]", err);
    return text(500, "The git remote failed to answer this request; see the server log. Nothing was changed by it.");
  } finally {
    if (!closeTicketLater) ticket?.close();
  }
}

export { handle as GET, handle as POST };
