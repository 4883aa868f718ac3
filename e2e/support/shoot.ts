import fs from "node:fs";
import path from "node:path";
import type { Locator, Page } from "@playwright/test";

/**
 * Photographs the page (a full page, or only `part`) at a phone's and a desktop's width, light and
 * dark, into test-results/<folder>/<width>-<name>-<scheme>.png, then puts the page back as it was
 * (its viewport, light).
 */
export async function shoot(page: Page, folder: string, name: string, part?: Locator): Promise<void> {
  const dir = path.join("test-results", folder);
  fs.mkdirSync(dir, { recursive: true });
  const before = page.viewportSize();
  for (const viewport of [
    { width: 390, height: 844, name: "phone" },
    { width: 1440, height: 900, name: "desktop" },
  ]) {
    await page.setViewportSize(viewport);
    for (const colorScheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme });
      const file = path.join(dir, `${viewport.name}-${name}-${colorScheme}.png`);
      await (part ? part.screenshot({ path: file, animations: "disabled" }) : page.screenshot({ path: file, animations: "disabled", fullPage: true }));
    }
  }
  await page.emulateMedia({ colorScheme: "light" });
  if (before) await page.setViewportSize(before);
}
