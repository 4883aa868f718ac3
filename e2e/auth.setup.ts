import { test as setup } from "@playwright/test";
import { ADMIN, ADMIN_STATE } from "./support/accounts";
import { signIn } from "./support/pages";

setup("sign in as the administrator", async ({ page }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.context().storageState({ path: ADMIN_STATE });
});
