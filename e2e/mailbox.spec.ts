import fs from "node:fs";
import path from "node:path";
import { expect, test } from "./support/test";
import { commitInRepository } from "./support/git";
import { branchFrom, newDeployedProject } from "./support/pages";

/** A deploy hook line that sends one message over SMTP with bash alone. */
const SEND = [
  "exec 3<>/dev/tcp/$MAGENTO_CLOUD_SMTP_HOST/$MAGENTO_CLOUD_SMTP_PORT; IFS= read -r r <&3",
  'for c in "HELO hook" "MAIL FROM:<shop@example.com>" "RCPT TO:<customer@example.com>" "DATA"; do printf "%s\\r\\n" "$c" >&3; IFS= read -r r <&3; echo "smtp: $r"; done',
  'printf "Subject: Your order 42\\r\\nFrom: Shop <shop@example.com>\\r\\nTo: customer@example.com\\r\\nContent-Type: text/html\\r\\n\\r\\n<p>Thank you <script>parent.document.title=1</script>for order 42.</p>\\r\\n.\\r\\n" >&3; IFS= read -r r <&3; echo "smtp: $r"',
].join("\n    ");

test("with e-mail turned on in the settings, a hook's message is kept in the Mailbox; its HTML is shown inert; the raw message downloads", async ({ browser }) => {
  test.setTimeout(180_000);
  const { projectId, context, page } = await newDeployedProject(browser, "mailbox", "Mailbox");
  await branchFrom(page, projectId, "staging", "mailer");
  await commitInRepository(
    projectId,
    "staging",
    (dir) => {
      const file = path.join(dir, ".magento.app.yaml");
      fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("  deploy: |\n    set -e\n", `  deploy: |\n    set -e\n    ${SEND}\n`));
    },
    "Send an order e-mail at deploy",
  );

  // Turn e-mail on for `mailer` in its settings (an activity, no redeploy).
  await page.goto(`/projects/${projectId}/environments/mailer/mailbox`);
  await expect(page.getByText("Outgoing e-mail is off for mailer")).toBeVisible();
  await page.getByRole("link", { name: "Turn it on in Settings" }).click();
  const form = page.getByRole("form", { name: "Settings the router enforces" });
  await form.getByLabel("Let this environment send e-mail").check();
  await form.getByRole("button", { name: "Save and redeploy" }).click();
  await expect(page.getByTestId("activity-notice")).toContainText("Turn outgoing e-mail on for mailer", { timeout: 30_000 });

  // Sync brings the sending hook; its deploy sends the message, which the Mailbox keeps.
  await page.goto(`/projects/${projectId}/environments/mailer`);
  await page.getByRole("button", { name: "Sync" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Sync" }).click();
  await expect(page.getByRole("dialog").getByTestId("activity-notice")).toHaveAttribute("data-result", "success", { timeout: 60_000 });
  await page.goto(`/projects/${projectId}/environments/mailer/mailbox`);
  await page.getByRole("list", { name: "Messages" }).getByRole("link", { name: /Your order 42/ }).click();
  const message = page.getByRole("region", { name: "Message", exact: true });
  await expect(message.getByRole("heading", { name: "Your order 42" })).toBeVisible();
  await expect(message).toContainText('"Shop" <shop@example.com>');
  const frame = page.frameLocator("iframe[title='The message as HTML']");
  await expect(frame.getByText("for order 42.")).toBeVisible();
  expect(await page.title()).not.toBe("1"); // the message's script did not run
  const raw = await page.request.get(`/api/projects/${projectId}/environments/mailer/mails/${new URL(page.url()).searchParams.get("mail")}`);
  expect(raw.headers()["content-type"]).toBe("message/rfc822");
  expect(await raw.text()).toContain("Subject: Your order 42");
  await context.close();
});
