import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { SetupForm } from "@/components/auth/setup-form";
import { getDb } from "@/db/client";
import { countUsers } from "@/lib/users/create-user";

export const metadata: Metadata = { title: "Create the first administrator" };

/** Exists only while the instance has no user at all; afterwards it is a 404 for good. */
export default async function SetupPage() {
  if ((await countUsers(await getDb())) > 0) notFound();
  return (
    <>
      <h1 className="mb-1 text-xl font-semibold">Create the first administrator</h1>
      <p className="mb-5 text-sm text-muted">
        Nobody has an account yet. The administrator you create here can create projects and add other users.
      </p>
      <SetupForm />
    </>
  );
}
