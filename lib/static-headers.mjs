// The headers of every answer that does not pass through proxy.ts (static files): never framed
// (an environment's site must not be able to frame the dashboard), never sniffed, and telling
// other sites nothing of its addresses. next.config.js sets them on Next.js's answers;
// lib/instance/precompressed-static.ts on the Brotli copies it serves itself.
/** @type {ReadonlyArray<{ key: string; value: string }>} */
export const STATIC_HEADERS = [
  { key: "Content-Security-Policy", value: "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'" },
  { key: "X-Frame-Options", value: "DENY" },
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "same-origin" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()" },
];
