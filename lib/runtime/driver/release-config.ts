import "server-only";
import fs from "node:fs";
import type { ProjectConfig } from "@/lib/config/parse-config";

export type WebRuntime =
  | {
      ok: true;
      /** Said in the deploy log and on the environment page. */
      runs: string;
      note: string | null;
      /** "The application" in supervisor lines. */
      label: string;
      upstream: { kind: "fastcgi"; socket: string } | { kind: "http"; socket: string } | { kind: "http"; port: number };
      /** PORT or SOCKET, as the platform sets them. */
      env: Record<string, string>;
      /** The web launcher's arguments: kind, PHP-FPM binary, pre_start, start, post_start. */
      launcherArgs: [string, string, string, string, string];
    }
  | { ok: false; reason: string };

interface WebSection {
  commands?: { pre_start?: string; start?: string; post_start?: string };
  upstream?: { socket_family?: "tcp" | "unix"; protocol?: "http" | "fastcgi" };
}

let phpFpm: { binary: string; version: string } | null | undefined;
/** The host's PHP-FPM (Debian installs /usr/sbin/php-fpm<version>), found once. */
function hostPhpFpm(): { binary: string; version: string } | null {
  if (phpFpm !== undefined) return phpFpm;
  const found = fs.existsSync("/usr/sbin") ? fs.readdirSync("/usr/sbin").filter((n) => /^php-fpm\d+\.\d+$/.test(n)).sort() : [];
  const name = found.at(-1);
  return (phpFpm = name ? { binary: `/usr/sbin/${name}`, version: name.slice("php-fpm".length) } : null);
}

/** How this host runs the application of `config` (nginx in front of PHP-FPM or of the start command), or why it cannot. */
export function webRuntimeOf(config: ProjectConfig, sockets = "/run/app", port = 8888): WebRuntime {
  if (!fs.existsSync("/usr/sbin/nginx")) return { ok: false, reason: "nginx is not installed (Debian: apt-get install nginx)" };
  const web = config.app.web as WebSection;
  const [family, version = ""] = config.app.type.split(":") as [string, string?];
  const commands = web.commands ?? {};
  const pre = commands.pre_start ?? "";
  const post = commands.post_start ?? "";
  if (commands.start) {
    const unix = web.upstream?.socket_family === "unix";
    const socket = `${sockets}/app.sock`;
    return {
      ok: true,
      runs: `web.commands.start behind nginx (${unix ? "Unix socket, $SOCKET" : `port ${port}, $PORT`})`,
      note: null,
      label: "The web sandbox (nginx, web.commands.start)",
      upstream: unix ? { kind: "http", socket } : { kind: "http", port },
      env: unix ? { SOCKET: socket } : { PORT: String(port) },
      launcherArgs: ["command", "", pre, commands.start, post],
    };
  }
  if (family !== "php") return { ok: false, reason: `a ${family} application needs web.commands.start in .magento.app.yaml (the command that serves it on $PORT or $SOCKET)` };
  const fpm = hostPhpFpm();
  if (!fpm) return { ok: false, reason: "PHP-FPM is not installed (Debian: apt-get install php-fpm)" };
  const note = version && !fpm.version.startsWith(version) && !version.startsWith(fpm.version) ? `php:${version} requested; this host runs PHP ${fpm.version}` : null;
  return {
    ok: true,
    runs: `PHP ${fpm.version} (PHP-FPM) behind nginx`,
    note,
    label: "The web sandbox (nginx, PHP-FPM)",
    upstream: { kind: "fastcgi", socket: `${sockets}/php.sock` },
    env: {},
    launcherArgs: ["php", fpm.binary, pre, "", post],
  };
}

/** The files of a release's conf/ folder: nginx.conf, and php-fpm.conf for PHP. */
export function buildReleaseConfig(
  config: ProjectConfig,
  web: Extract<WebRuntime, { ok: true }>,
  options: { appDir: string; sockets: string; port: number; maxBodyBytes: number; upstreamTimeoutSeconds: number },
): Record<string, string> {
  const root = config.app.web.locations["/"]?.root ?? "";
  const passthru = (config.app.web.locations["/"] as { passthru?: string | boolean } | undefined)?.passthru;
  const upstream = web.upstream;
  const pass =
    upstream.kind === "fastcgi"
      ? `include /etc/nginx/fastcgi_params; fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name; fastcgi_pass unix:${upstream.socket};`
      : `proxy_pass http://${"socket" in upstream ? `unix:${upstream.socket}:` : `127.0.0.1:${upstream.port}`};`;
  const fallback = typeof passthru === "string" ? passthru : "/index.php";
  const nginx = `worker_processes 1;
pid /tmp/nginx/nginx.pid;
error_log stderr;
events { worker_connections 512; }
http {
  include /etc/nginx/mime.types;
  access_log off;
  server_tokens off;
  disable_symlinks on;
  proxy_max_temp_file_size 0; fastcgi_max_temp_file_size 0;
  client_body_temp_path /tmp/nginx/body; proxy_temp_path /tmp/nginx/proxy; fastcgi_temp_path /tmp/nginx/fastcgi; uwsgi_temp_path /tmp/nginx/uwsgi; scgi_temp_path /tmp/nginx/scgi;
  client_max_body_size ${options.maxBodyBytes};
  server {
    listen unix:${options.sockets}/web.sock;
    root ${options.appDir}/${root};
    index index.php index.html;
    ${upstream.kind === "fastcgi" ? `location / { try_files $uri $uri/ ${fallback}$is_args$args; }
    location ~ \\.php$ { try_files $uri =404; ${pass} }` : `location / { try_files $uri @app; }
    location @app { proxy_set_header Host $http_host; ${pass} }`}
  }
}
`;
  const files: Record<string, string> = { "nginx.conf": nginx };
  if (upstream.kind === "fastcgi") {
    files["php-fpm.conf"] = `[global]
error_log = /proc/self/fd/2
daemonize = no
[app]
listen = ${upstream.socket}
pm = ondemand
pm.max_children = 4
pm.process_idle_timeout = 10s
clear_env = no
catch_workers_output = yes
decorate_workers_output = no
`;
  }
  return files;
}
