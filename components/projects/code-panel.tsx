import Link from "next/link";
import { CopyLink } from "@/components/ui/copy-link";

/**
 * How to get at the code: the project's git remote for the signed-in user (their email as the
 * user name; an API token as the password), and the commands for one branch. Shown on the
 * project page and on each environment's page.
 */
export function CodePanel({ baseUrl, projectId, email, branch }: { baseUrl: string; projectId: string; email: string; branch: string }) {
  const remote = new URL(`/git/${projectId}.git`, baseUrl);
  remote.username = encodeURIComponent(email);
  const url = remote.toString();
  return (
    <section aria-labelledby="code-heading" className="rounded-lg border border-border bg-surface p-4 text-sm">
      <h2 id="code-heading" className="font-semibold">
        Code
      </h2>
      <p className="mt-1 text-xs text-muted">
        Branch <code className="font-mono">{branch}</code>. git asks for a password: use an{" "}
        <Link href="/account#tokens-heading" className="text-accent underline">
          API token
        </Link>
        .
      </p>
      <div className="mt-2 space-y-2">
        <CopyLink link={url} label="Git remote" testId="git-remote" />
        <CopyLink link={`git clone --branch ${branch} ${url} ${projectId}`} label="Clone command" testId="clone-command" />
        <p className="text-xs text-muted">
          Pushing a new branch makes an environment; <code className="font-mono">git push -o environment.status=active</code> also activates it.
        </p>
      </div>
    </section>
  );
}
