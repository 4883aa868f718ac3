/**
 * Tests only: the applications the web-server tests build configurations for, each read through
 * the configuration schema as a repository's .magento.app.yaml would be.
 */
import { parseProjectConfig, type AppConfig } from "@/lib/config/parse-config";
import { projectTemplate } from "@/lib/git/template";
import type { NginxConfigInput, NginxUpstream } from "./nginx-config";

const template = projectTemplate("Shop");

/** The template's .magento.app.yaml with its `web:` section replaced, parsed; throws on configuration errors. */
export function appWithWeb(web: string | null, type = "php:8.3"): AppConfig {
  let app = template[".magento.app.yaml"]!.replace("type: php:8.3", `type: ${type}`);
  if (web !== null) app = app.replace(/\nweb:\n[\s\S]*?\nhooks:/, `\n${web.trimEnd()}\n\nhooks:`);
  const result = parseProjectConfig({ app, services: template[".magento/services.yaml"]!, routes: template[".magento/routes.yaml"]! });
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.line}: ${e.message}`).join("\n"));
  return result.config.app;
}

export const NODE_WEB = `web:
  commands:
    start: node server.js
  locations:
    "/":
      passthru: true
    "/assets":
      root: "public/assets"
      expires: 1d
      passthru: true
      headers:
        X-Frame-Options: DENY
        Access-Control-Allow-Origin: "*"
`;

export const PYTHON_WEB = `web:
  commands:
    start: gunicorn -b unix:$SOCKET app:app
  upstream:
    socket_family: unix
  locations:
    "/":
      root: "static"
      passthru: true
      allow: false
      index:
        - index.html
      rules:
        \\.(css|js|png|svg)$:
          allow: true
          expires: 1h
        ^/private/:
          passthru: false
    "/downloads":
      root: "files"
      index: null
      expires: 1h
      headers:
        Content-Type: application/octet-stream
        Cache-Control: no-store
`;

export const MAGENTO_WEB = `web:
  locations:
    "/":
      root: "pub"
      passthru: "/index.php"
      index:
        - index.php
      expires: -1
      scripts: true
      allow: false
      rules:
        \\.(css|js|map|hbs|gif|jpe?g|png|tiff|wbmp|ico|jng|bmp|svgz|midi?|mp?ga|mp2|mp3|m4a|ra|weba|3gpp?|mp4|mpe?g|mpe|ogv|mov|webm|flv|mng|asx|asf|wmv|avi|ogx|swf|jar|ttf|eot|woff|otf|html?)$:
          allow: true
        ^/sitemap(.*)\\.xml$:
          passthru: "/media/sitemap$1.xml"
    "/media":
      root: "pub/media"
      allow: true
      scripts: false
      expires: 1y
      passthru: "/get.php"
    "/static":
      root: "pub/static"
      allow: true
      scripts: false
      expires: 1y
      passthru: "/front-static.php"
      rules:
        ^/static/version\\d+/(?<resource>.*)$:
          passthru: "/static/$resource"
`;

/** The input the driver would give for `app`, with the upstream it chose. */
export function inputFor(app: AppConfig, upstream: NginxUpstream, paths: { tempDir?: string; listen?: string; appDir?: string } = {}): NginxConfigInput {
  return {
    appDir: paths.appDir ?? "/app",
    listen: paths.listen ?? "/run/app/web.sock",
    tempDir: paths.tempDir ?? "/tmp/nginx",
    mimeTypes: null,
    upstream,
    locations: app.web.locations,
    maxBodyBytes: 250 * 1024 * 1024,
    upstreamTimeoutSeconds: 300,
  };
}

/** The golden cases: name → the app and the upstream the driver gives it. */
export const GOLDEN: Record<string, { app: () => AppConfig; upstream: NginxUpstream }> = {
  "template-php": { app: () => appWithWeb(null), upstream: { kind: "fastcgi", socket: "/run/app/php.sock" } },
  "nodejs-tcp": { app: () => appWithWeb(NODE_WEB, "nodejs:20"), upstream: { kind: "http", port: 8080 } },
  "python-unix": { app: () => appWithWeb(PYTHON_WEB, "python:3.12"), upstream: { kind: "http", socket: "/run/app/app.sock" } },
  "magento-php": { app: () => appWithWeb(MAGENTO_WEB), upstream: { kind: "fastcgi", socket: "/run/app/php.sock" } },
};
