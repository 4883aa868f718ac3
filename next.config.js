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
};

export default nextConfig;
