import "server-only";
import { headers } from "next/headers";
import { env } from "@/lib/env";
import { requestBaseUrl } from "./request-base-url";

/** The dashboard's address for links to copy: PUBLIC_URL, else the address the browser used for this request. */
export async function publicBaseUrl(): Promise<string> {
  const { PUBLIC_URL, PORT } = env();
  if (PUBLIC_URL) return PUBLIC_URL;
  return requestBaseUrl(await headers(), `localhost:${PORT}`);
}
