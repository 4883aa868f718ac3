import "server-only";
import fs from "node:fs";
import { resolveUpstream, type ProjectConfig } from "@/lib/config/parse-config";
import { buildNginxConfig, type NginxUpstream } from "@/lib/runtime/web-server/nginx-config";
import { buildPhpFpmConfig } from "@/lib/runtime/web-server/php-fpm-config";
import { hostRuntime } from "@/lib/runtime/web-server/runtime-types";

export type WebRuntime =
  | {
      ok: true;
      /** Said in the deploy log and on the environment page. */
      runs: string;
      note: string | null;
      /** Names the web sandbox in supervisor lines. */
      label: string;
      upstream: NginxUpstream;
      /** PORT or SOCKET, as the platform sets them. */
      env: Record<string, string>;
      /** The web launcher's arguments: kind, PHP-FPM binary, pre_start, start, post_start. */
      launcherArgs: [string, string, string, string, string];
    }
  | { ok: false; reason: string };

/** PHP scripts running at once per environment (PHP-FPM starts them on demand and stops idle ones after 10 s). */
const PHP_MAX_CHILDREN = 4;

/** How this host runs the application of `config` (nginx in front of PHP-FPM or of the start command), or why it cannot. */
export function webRuntimeOf(config: ProjectConfig, sockets = "/run/app", port = 8888): WebRuntime {
  const host = hostRuntime(config.app.type);
  if (!host.ok) return { ok: false, reason: host.reason };
  const web = config.app.web;
  const commands = web.commands ?? {};
  const pre = commands.pre_start ?? "";
  const post = commands.post_start ?? "";
  const upstream = resolveUpstream(config.app);
  if (upstream.protocol === "fastcgi") {
    return {
      ok: true,
      runs: `PHP ${host.version} (PHP-FPM) behind nginx`,
      note: host.note,
      label: "The web sandbox (nginx, PHP-FPM)",
      upstream: { kind: "fastcgi", socket: `${sockets}/php.sock` },
      env: {},
      launcherArgs: ["php", host.binaries.runtime, pre, "", post],
    };
  }
  if (!commands.start) return { ok: false, reason: "this application needs web.commands.start in .magento.app.yaml (the command that serves it on $PORT or $SOCKET)" };
  const unix = upstream.socketFamily === "unix";
  const socket = `${sockets}/app.sock`;
  const family = config.app.type.split(":")[0];
  return {
    ok: true,
    runs: `${family} ${host.version} (web.commands.start) behind nginx, on ${unix ? "a Unix socket ($SOCKET)" : `port ${port} ($PORT)`}`,
    note: host.note,
    label: "The web sandbox (nginx, web.commands.start)",
    upstream: unix ? { kind: "http", socket } : { kind: "http", port },
    env: unix ? { SOCKET: socket } : { PORT: String(port) },
    launcherArgs: ["command", "", pre, commands.start, post],
  };
}

/** The files of a release's conf/ folder: nginx.conf, and php-fpm.conf for PHP. */
export function buildReleaseConfig(
  config: ProjectConfig,
  web: Extract<WebRuntime, { ok: true }>,
  options: { appDir: string; sockets: string; maxBodyBytes: number; upstreamTimeoutSeconds: number },
): Record<string, string> {
  const files: Record<string, string> = {
    "nginx.conf": buildNginxConfig({
      appDir: options.appDir,
      listen: `${options.sockets}/web.sock`,
      tempDir: "/tmp/nginx",
      mimeTypes: fs.existsSync("/etc/nginx/mime.types") ? "/etc/nginx/mime.types" : null,
      upstream: web.upstream,
      locations: config.app.web.locations,
      maxBodyBytes: options.maxBodyBytes,
      upstreamTimeoutSeconds: options.upstreamTimeoutSeconds,
    }),
  };
  if (web.upstream.kind === "fastcgi") files["php-fpm.conf"] = buildPhpFpmConfig({ listen: web.upstream.socket, pidFile: "/tmp/php/php-fpm.pid", maxChildren: PHP_MAX_CHILDREN });
  return files;
}
