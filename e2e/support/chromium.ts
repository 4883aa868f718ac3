import fs from "node:fs";

/** The installed Chromium; Playwright never downloads a browser here. */
export function chromiumPath(): string {
  const candidate = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
  if (!fs.existsSync(candidate)) {
    throw new Error(
      `No Chromium at ${candidate}. Install one (Debian: sudo apt-get install chromium) or set CHROMIUM_PATH to its executable. ` +
        "Browsers are never downloaded by this project.",
    );
  }
  return candidate;
}

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];
