import { getMailRaw } from "@/lib/environments/mailbox";
import { environmentRequest } from "@/lib/session/api-access";

/** A kept message exactly as received (message/rfc822), for members who may see the environment. */
export async function GET(request: Request, { params }: { params: Promise<{ projectId: string; environmentName: string; mailId: string }> }) {
  const { projectId, environmentName, mailId } = await params;
  const r = await environmentRequest(request, projectId, environmentName);
  if ("denied" in r) return r.denied;
  const mail = await getMailRaw(r.db, r.env, mailId);
  if (!mail) return Response.json({ error: "Not found." }, { status: 404 });
  return new Response(Buffer.from(mail.raw), {
    headers: {
      "content-type": "message/rfc822",
      "content-disposition": `attachment; filename="${r.env.name}-${mail.id.slice(0, 8)}.eml"`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
}
