import { test as base, type Page } from "@playwright/test";

export { expect } from "@playwright/test";
export type { Browser, BrowserContext, Page } from "@playwright/test";

/**
 * A dashboard page streams: a full load first shows the page's loading frame, and React moves the
 * rendered page in from a hidden container shortly after the `load` event (it batches reveals).
 * Until then an element can be in the document twice (once hidden), and a strict locator that
 * does not filter hidden elements (test ids, text, labels) fails. Waits for the moved-in page.
 */
export async function settled(page: Page): Promise<void> {
  await page.waitForFunction(() => !document.querySelector("[data-loading-frame]") && !document.querySelector('body > div[hidden][id^="S:"]'));
}

let patched = false;

/**
 * Playwright's `test`, with every page's `goto` and `reload` (in any context a test opens) ending
 * once the dashboard page they loaded has settled.
 */
export const test = base.extend<object, { settleAfterNavigation: void }>({
  settleAfterNavigation: [
    async ({ browser }, use) => {
      if (!patched) {
        patched = true;
        const context = await browser.newContext();
        const proto = Object.getPrototypeOf(await context.newPage()) as Page;
        await context.close();
        const goto = proto.goto;
        const reload = proto.reload;
        proto.goto = async function (this: Page, ...args: Parameters<Page["goto"]>) {
          const response = await goto.apply(this, args);
          if (response?.ok()) await settled(this);
          return response;
        };
        proto.reload = async function (this: Page, ...args: Parameters<Page["reload"]>) {
          const response = await reload.apply(this, args);
          if (response?.ok()) await settled(this);
          return response;
        };
      }
      await use();
    },
    { scope: "worker", auto: true },
  ],
});
