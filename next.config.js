// @ts-check
import { STATIC_HEADERS } from "./lib/static-headers.mjs";

/** @type {import('next').NextConfig} */
const nextConfig = {
  // PGlite loads its WebAssembly and data files relative to its own module, and pg
  // has optional native bindings: keep both out of the server bundle.
  serverExternalPackages: ["pg-boss", "@electric-sql/pglite", "pg", "bcryptjs"],
  poweredByHeader: false,
  reactStrictMode: true,
  // `npm test` type-checks the whole tree with tsc first; checking again inside every
  // build would add ~8 s to the first `npm start`.
  typescript: { ignoreBuildErrors: true },
  // The script CSP with a nonce per request (and HSTS over https) is set by proxy.ts; these
  // cover the static files the proxy does not see (lib/static-headers.mjs).
  async headers() {
    return [{ source: "/:path*", headers: [...STATIC_HEADERS] }];
  },
};

export default nextConfig;
