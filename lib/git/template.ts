/**
 * The first commit of every project: a Magento-style application whose hooks are plain
 * shell, so a deploy runs on any Linux machine without PHP. Pure: path → content.
 */
export function projectTemplate(projectTitle: string): Record<string, string> {
  const appYaml = `# The application: how it is built, deployed and connected to its services.
name: mymagento
type: php:8.3

relationships:
  database: "mysql:mysql"
  redis: "redis:redis"
  opensearch: "opensearch:opensearch"

disk: 5120

# Writable places: the application's files are read-only once built (deploy hooks
# included), as on the platform. public/env is inside the web root, so the router serves it.
mounts:
  "var": "shared:files/var"
  "pub/media": "shared:files/media"
  "public/env": "shared:files/env"

web:
  locations:
    "/":
      root: "public"
      passthru: "/index.html"
      index:
        - index.html

hooks:
  build: |
    set -e
    echo "Building ${"$"}{MAGENTO_CLOUD_APPLICATION_NAME} (tree ${"$"}{MAGENTO_CLOUD_TREE_ID})"
    mkdir -p public
    sed -e "s/@TREE@/${"$"}{MAGENTO_CLOUD_TREE_ID}/g" -e "s/@BUILT_AT@/$(date -u +%Y-%m-%dT%H:%M:%SZ)/g" templates/index.html > index.built.html
    # The page names its environment, known only at deploy: it is written into the public/env mount then.
    ln -sfn env/index.html public/index.html
    echo "Wrote index.built.html ($(wc -c < index.built.html) bytes); public/index.html is written at deploy"
  deploy: |
    set -e
    echo "Deploying ${"$"}{MAGENTO_CLOUD_APPLICATION_NAME} to ${"$"}{MAGENTO_CLOUD_ENVIRONMENT}"
    echo "Enabling maintenance mode"
    # The greeting comes from the variable env:GREETING (set it in the console, project or environment level), HTML-escaped.
    greeting=$(printf '%s' "${"$"}{GREETING:-Hello}" | sed -e 's/&/\\&amp;/g' -e 's/</\\&lt;/g' -e 's/>/\\&gt;/g' -e 's/"/\\&quot;/g' | tr -d '\\n')
    sed -e "s/@ENVIRONMENT@/${"$"}{MAGENTO_CLOUD_ENVIRONMENT}/g" -e "s/@COMMIT@/$(cat .deploy-commit)/g" index.built.html \\
      | G="$greeting" awk '{ i = index($0, "@GREETING@"); if (i) $0 = substr($0, 1, i - 1) ENVIRON["G"] substr($0, i + 10); print }' > public/env/.index.html.new
    mv public/env/.index.html.new public/env/index.html
    echo "Wrote public/index.html for ${"$"}{MAGENTO_CLOUD_ENVIRONMENT}"
    echo "Services: $(echo "${"$"}{MAGENTO_CLOUD_RELATIONSHIPS}" | base64 -d | head -c 160)"
    mkdir -p var/log
    echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) ${"$"}{MAGENTO_CLOUD_ENVIRONMENT} deployed $(cat .deploy-commit)" >> var/log/deploy.log
    echo "Deploy history in var/log/deploy.log: $(wc -l < var/log/deploy.log) deploy(s) of this environment's data"
    echo "Maintenance mode is disabled"
  post_deploy: |
    echo "Warming up the cache for ${"$"}{MAGENTO_CLOUD_ENVIRONMENT}"
    echo "Post-deploy is complete"

crons:
  cronrun:
    spec: "*/5 * * * *"
    cmd: "echo cron"
`;

  const servicesYaml = `# The services the application's relationships point to.
mysql:
  type: mysql:10.6
  disk: 2048

redis:
  type: redis:7.0

opensearch:
  type: opensearch:2
  disk: 1024

rabbitmq:
  type: rabbitmq:3.9
  disk: 1024
`;

  const routesYaml = `# How requests reach the application.
"http://{default}/":
  type: upstream
  upstream: "mymagento:http"

"http://www.{default}/":
  type: redirect
  to: "http://{default}/"
`;

  const indexHtml = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(projectTitle)}</title></head>
<body>
  <h1>${escapeHtml(projectTitle)}</h1>
  <p>Environment: <strong>@ENVIRONMENT@</strong></p>
  <p>Greeting: <strong id="greeting">@GREETING@</strong></p>
  <p>Commit: <code>@COMMIT@</code></p>
  <p>Tree: <code>@TREE@</code>, built at @BUILT_AT@</p>
</body>
</html>
`;

  return {
    ".magento.app.yaml": appYaml,
    ".magento/services.yaml": servicesYaml,
    ".magento/routes.yaml": routesYaml,
    "templates/index.html": indexHtml,
    "README.md": `# ${projectTitle}\n\nPush to a branch to deploy it. The hooks in .magento.app.yaml build and deploy the site.\n`,
    ".gitignore": "public/\nindex.built.html\n",
  };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}
