import "server-only";
import { headers } from "next/headers";
import { env } from "@/lib/env";
import { clientInfo } from "./client-info";

/** The dashboard's address for links to copy: PUBLIC_URL, else the address this request used. */
export async function publicBaseUrl(): Promise<string> {
  const { PUBLIC_URL } = env();
  if (PUBLIC_URL) return PUBLIC_URL;
  const h = await headers();
  return `${clientInfo(h).isHttps ? "https" : "http"}://${h.get("host") ?? `localhost:${env().PORT}`}`;
}
