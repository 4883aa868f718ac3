import type { Metadata } from "next";
import { ResetPasswordForm, UnusableLink } from "@/components/auth/link-forms";
import { getDb } from "@/db/client";
import { getUsableLink } from "@/lib/users/account-links";

export const metadata: Metadata = { title: "Choose a new password", referrer: "no-referrer" };

export default async function ResetPasswordPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const link = await getUsableLink(await getDb(), "password_reset", token);
  if (!link) {
    return <UnusableLink title="This link cannot be used" />;
  }
  return (
    <>
      <h1 className="mb-1 text-xl font-semibold">Choose a new password</h1>
      <p className="mb-5 text-sm text-muted">This link works once. Your other sessions end when the password is set.</p>
      <ResetPasswordForm token={token} email={link.email} />
    </>
  );
}
