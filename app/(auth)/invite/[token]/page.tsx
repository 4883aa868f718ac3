import type { Metadata } from "next";
import { AcceptInvitationForm, UnusableLink } from "@/components/auth/link-forms";
import { getDb } from "@/db/client";
import { describeInvitation } from "@/lib/projects/invitations";

export const metadata: Metadata = { title: "Accept an invitation", referrer: "no-referrer" };

export default async function InvitationPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const db = await getDb();
  const invitation = await describeInvitation(db, token);
  if (!invitation) {
    return <UnusableLink title="This invitation cannot be used" />;
  }
  const title = invitation.projectTitle;
  return (
    <>
      <h1 className="mb-1 text-xl font-semibold">{title ? `Join ${title}` : "Create your account"}</h1>
      <p className="mb-5 text-sm text-muted">
        {title ? `You are invited to the project ${title} as project ${invitation.role}. ` : "You are invited to this dashboard. "}
        Choose your name and a password.
      </p>
      <AcceptInvitationForm token={token} email={invitation.email} />
    </>
  );
}
