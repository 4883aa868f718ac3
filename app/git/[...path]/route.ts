import zlib from "node:zlib";
import { getDb } from "@/db/client";
import { hasRole } from "@/lib/auth/permissions";
import { getProjectAccess } from "@/lib/projects/access";
import { pushProblem, recordPush } from "@/lib/environments/receive-push";
import { parseReceivePackCommands, runHttpBackend } from "@/lib/git/http-backend";
import { authenticateToken } from "@/lib/tokens/api-tokens";

export const dynamic = "force-dynamic";

const PATH = /^([a-z][a-z0-9]*(?:-[a-z0-9]+)*)\.git\/(info\/refs|git-upload-pack|git-receive-pack)$/;
const challenge = () =>
  new Response("Sign in with your email and an API token (create one on your account page).\n", {
    status: 401,
    headers: { "WWW-Authenticate": 'Basic realm="Project Web Interface git", charset="UTF-8"' },
  });
const text = (status: number, message: string) => new Response(`${message}\n`, { status, headers: { "content-type": "text/plain; charset=utf-8" } });

/** The project's git remote: `git clone http://host/git/<project>.git` with email + API token. */
async function handle(request: Request, { params }: { params: Promise<{ path: string[] }> }) {
  const match = PATH.exec((await params).path.join("/"));
  if (!match) return text(404, "Not found.");
  const [, projectId, service] = match as unknown as [string, string, "info/refs" | "git-upload-pack" | "git-receive-pack"];
  const url = new URL(request.url);
  const wanted = service === "info/refs" ? url.searchParams.get("service") : service;
  if (wanted !== "git-upload-pack" && wanted !== "git-receive-pack") return text(403, "Only the smart HTTP protocol is served.");

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

  let body: Buffer | null = request.method === "POST" ? Buffer.from(await request.arrayBuffer()) : null;
  if (body && request.headers.get("content-encoding") === "gzip") body = zlib.gunzipSync(body);
  const updates = service === "git-receive-pack" && body ? parseReceivePackCommands(body) : [];
  if (service === "git-receive-pack") {
    const problem = await pushProblem(db, access, updates);
    if (problem) return text(403, problem);
  }

  const result = await runHttpBackend({
    projectId: access.project.id,
    service,
    method: request.method,
    query: url.searchParams.toString(),
    contentType: request.headers.get("content-type"),
    body,
    remoteUser: user.email,
  });
  if (service === "git-receive-pack" && result.status === 200 && updates.length > 0) await recordPush(db, user, access, updates);
  return new Response(new Uint8Array(result.body), { status: result.status, headers: result.headers });
}

export { handle as GET, handle as POST };
