// @ts-check

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
  // The dashboard is never framed (an environment's site must not be able to frame its
  // settings), never sniffed, and tells other sites nothing of its addresses. The script CSP
  // with a nonce per request (and HSTS over https) is set by proxy.ts; this one covers the
  // static files the proxy does not see.
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "Content-Security-Policy", value: "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'" },
          { key: "X-Frame-Options", value: "DENY" },
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "same-origin" },
          { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()" },
        ],
      },
    ];
  },
};

export default nextConfig;
