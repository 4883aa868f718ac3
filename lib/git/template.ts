/**
 * The first commit of every project: a small PHP application (public/index.php, run by PHP-FPM
 * behind nginx) configured as a Magento one, whose hooks are plain shell. Pure: path → content.
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
# and the running application included), as on the platform. The visit counter lives in var.
mounts:
  "var": "shared:files/var"
  "pub/media": "shared:files/media"

# nginx serves public/ and passes every path that is not a file to index.php (PHP-FPM).
web:
  locations:
    "/":
      root: "public"
      passthru: "/index.php"
      index:
        - index.php
      expires: -1
    "/static":
      root: "public/static"
      expires: 1h
      scripts: false

hooks:
  build: |
    set -e
    echo "Building ${"$"}{MAGENTO_CLOUD_APPLICATION_NAME} (tree ${"$"}{MAGENTO_CLOUD_TREE_ID})"
    date -u +%Y-%m-%dT%H:%M:%SZ > built-at.txt
    echo "Built public/index.php and public/static ($(du -sk public | cut -f1) kB)"
  deploy: |
    set -e
    echo "Deploying ${"$"}{MAGENTO_CLOUD_APPLICATION_NAME} to ${"$"}{MAGENTO_CLOUD_ENVIRONMENT}"
    echo "Services: $(echo "${"$"}{MAGENTO_CLOUD_RELATIONSHIPS}" | base64 -d | head -c 160)"
    mkdir -p var/log
    echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) ${"$"}{MAGENTO_CLOUD_ENVIRONMENT} deployed $(cat .deploy-commit)" >> var/log/deploy.log
    echo "Deploy history in var/log/deploy.log: $(wc -l < var/log/deploy.log) deploy(s) of this environment's data"
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

  const indexPhp = `<?php
// The page of this environment, rendered by PHP (PHP-FPM behind nginx) at every request.
$path = parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH);
$environment = getenv('MAGENTO_CLOUD_ENVIRONMENT') ?: 'unknown';
if ($path === '/health') {
    header('Content-Type: application/json');
    echo json_encode(['status' => 'ok', 'environment' => $environment, 'php' => PHP_VERSION]), "\\n";
    exit;
}
// A visit counter kept in the var mount (writable, and kept across deploys), under a lock.
// (A HEAD request, such as the console's check that a new release answers, is no visit.)
$visits = 0;
$counter = $_SERVER['REQUEST_METHOD'] === 'HEAD' ? false : @fopen(__DIR__ . '/../var/visits', 'c+');
if ($counter && flock($counter, LOCK_EX)) {
    $visits = (int) stream_get_contents($counter) + 1;
    ftruncate($counter, 0);
    rewind($counter);
    fwrite($counter, (string) $visits);
    fflush($counter);
    flock($counter, LOCK_UN);
}
if ($counter) fclose($counter);
error_log("visit {$visits} of {$environment}");
$h = fn ($s) => htmlspecialchars((string) $s, ENT_QUOTES);
$commit = trim((string) @file_get_contents(__DIR__ . '/../.deploy-commit'));
$builtAt = trim((string) @file_get_contents(__DIR__ . '/../built-at.txt'));
?><!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(projectTitle)}</title><link rel="stylesheet" href="static/site.css"></head>
<body>
  <h1>${escapeHtml(projectTitle)}</h1>
  <p>Environment: <strong id="environment"><?= $h($environment) ?></strong> (<?= $h(getenv('MAGENTO_CLOUD_ENVIRONMENT_TYPE')) ?>)</p>
  <p>Greeting: <strong id="greeting"><?= $h(getenv('GREETING') ?: 'Hello') ?></strong></p>
  <p>Commit: <code id="commit"><?= $h($commit) ?></code>, built at <?= $h($builtAt) ?></p>
  <p>Rendered by PHP <strong id="php-version"><?= $h(PHP_VERSION) ?></strong> at <?= $h(gmdate('c')) ?></p>
  <p>Visits: <strong id="visits"><?= $visits ?></strong></p>
</body>
</html>
`;

  const siteCss = `body { font: 16px system-ui, sans-serif; margin: 10vh auto; max-width: 40rem; padding: 0 1rem; color: #1b1f27; }
code { font-size: 0.9em; }
`;

  return {
    ".magento.app.yaml": appYaml,
    ".magento/services.yaml": servicesYaml,
    ".magento/routes.yaml": routesYaml,
    "public/index.php": indexPhp,
    "public/static/site.css": siteCss,
    "README.md": `# ${projectTitle}\n\nPush to a branch to deploy it. The hooks in .magento.app.yaml build and deploy it; nginx and PHP-FPM run public/index.php.\n`,
    ".gitignore": "built-at.txt\n",
  };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}
