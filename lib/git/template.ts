import { DEFAULT_TEMPLATE_SERVICES, TEMPLATE_SERVICES, type TemplateService } from "@/lib/env";

/** Each service's entry in services.yaml, and the application's relationship to it. */
const SERVICE_ENTRIES: Record<TemplateService, { yaml: string; relationship?: string }> = {
  mysql: { yaml: "mysql:\n  type: mysql:10.6\n  disk: 2048\n", relationship: 'database: "mysql:mysql"' },
  redis: { yaml: "redis:\n  type: redis:7.0\n", relationship: 'redis: "redis:redis"' },
  opensearch: { yaml: "opensearch:\n  type: opensearch:2\n  disk: 1024\n", relationship: 'opensearch: "opensearch:opensearch"' },
  rabbitmq: { yaml: "rabbitmq:\n  type: rabbitmq:3.9\n  disk: 1024\n", relationship: 'rabbitmq: "rabbitmq:rabbitmq"' },
};

/**
 * The first commit of every project: a small PHP application (public/index.php, run by PHP-FPM
 * behind nginx) configured as a Magento one, whose hooks are plain shell, with `services` in
 * .magento/services.yaml (mysql, redis and opensearch unless told) and a relationship to each. Pure: path → content.
 */
export function projectTemplate(projectTitle: string, services: readonly TemplateService[] = DEFAULT_TEMPLATE_SERVICES): Record<string, string> {
  const chosen = TEMPLATE_SERVICES.filter((s) => services.includes(s));
  const relationships = chosen.flatMap((s) => SERVICE_ENTRIES[s].relationship ?? []);
  const appYaml = `# The application: how it is built, deployed and connected to its services.
name: mymagento
type: php:8.3
${relationships.length > 0 ? `\nrelationships:\n${relationships.map((r) => `  ${r}\n`).join("")}` : ""}
disk: 5120

# Writable places: the application's files are read-only once built (deploy hooks
# and the running application included), as on the platform. (The visit counter lives in
# the database: see public/index.php.)
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
    echo "Relationships: $(echo "${"$"}{MAGENTO_CLOUD_RELATIONSHIPS}" | base64 -d | php -r 'echo implode(", ", array_keys(json_decode(stream_get_contents(STDIN), true) ?: [])) ?: "none";')"
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

  const servicesYaml =
    chosen.length > 0
      ? `# The services the application's relationships point to.\n${chosen.map((s) => SERVICE_ENTRIES[s].yaml).join("\n")}`
      : "# The services the application's relationships point to: none yet. A service looks like this:\n# mysql:\n#   type: mysql:10.6\n#   disk: 2048\n";

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
// The services, as the platform describes them: each relationship's socket, user and password.
$relationships = json_decode((string) base64_decode((string) getenv('MAGENTO_CLOUD_RELATIONSHIPS')), true) ?: [];

// A visit counter in MariaDB (the "database" relationship), one atomic statement per visit.
// (A HEAD request, such as the console's check that a new release answers, is no visit.)
$visits = 0;
$visitsNote = 'counted in MariaDB';
$database = $relationships['database'][0] ?? null;
if (!$database) {
    $visitsNote = 'not counted: the database relationship is missing (it does not run on this host)';
} elseif (!extension_loaded('pdo_mysql')) {
    $visitsNote = 'not counted: PHP has no pdo_mysql extension here';
} else {
    try {
        $pdo = new PDO("mysql:unix_socket={$database['socket']};dbname={$database['path']};charset=utf8mb4", $database['username'], $database['password'], [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION, PDO::ATTR_TIMEOUT => 2]);
        $count = fn () => $pdo->exec('INSERT INTO visits (id, n) VALUES (1, LAST_INSERT_ID(1)) ON DUPLICATE KEY UPDATE n = LAST_INSERT_ID(n + 1)');
        $read = fn () => (int) $pdo->query($_SERVER['REQUEST_METHOD'] === 'HEAD' ? 'SELECT COALESCE(MAX(n), 0) FROM visits' : 'SELECT LAST_INSERT_ID()')->fetchColumn();
        try {
            if ($_SERVER['REQUEST_METHOD'] !== 'HEAD') $count();
            $visits = $read();
        } catch (PDOException $e) {
            if (($e->errorInfo[1] ?? 0) !== 1146) throw $e; // 1146: no such table (the first visit)
            $pdo->exec('CREATE TABLE IF NOT EXISTS visits (id TINYINT PRIMARY KEY, n BIGINT NOT NULL)');
            if ($_SERVER['REQUEST_METHOD'] !== 'HEAD') $count();
            $visits = $read();
        }
    } catch (PDOException $e) {
        $visitsNote = 'not counted: MariaDB did not answer (' . $e->getMessage() . ')';
    }
}

// The greeting (the GREETING variable), cached in Redis (the "redis" relationship) for a minute
// (a HEAD request leaves the cache alone too).
$greeting = getenv('GREETING') ?: 'Hello';
$greetingNote = 'stored in Redis for 60 s';
$cache = $relationships['redis'][0] ?? null;
if (!$cache) {
    $greetingNote = 'not cached: the redis relationship is missing (it does not run on this host)';
} elseif ($_SERVER['REQUEST_METHOD'] === 'HEAD') {
    $greetingNote = 'not looked up for a HEAD request';
} elseif (!class_exists('Redis')) {
    $greetingNote = 'not cached: PHP has no redis extension here';
} else {
    try {
        $redis = new Redis();
        $redis->connect($cache['socket'], 0, 1.0);
        $redis->auth($cache['password']);
        $key = 'greeting:' . md5($greeting);
        if ($redis->get($key) === $greeting) $greetingNote = 'from the Redis cache';
        else $redis->setex($key, 60, $greeting);
    } catch (Throwable $e) {
        $greetingNote = 'not cached: Redis did not answer (' . $e->getMessage() . ')';
    }
}
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
  <p>Greeting: <strong id="greeting"><?= $h($greeting) ?></strong> <span id="greeting-cache">(<?= $h($greetingNote) ?>)</span></p>
  <p>Commit: <code id="commit"><?= $h($commit) ?></code>, built at <?= $h($builtAt) ?></p>
  <p>Rendered by PHP <strong id="php-version"><?= $h(PHP_VERSION) ?></strong> at <?= $h(gmdate('c')) ?></p>
  <p>Visits: <strong id="visits"><?= $visits ?></strong> <span id="visits-source">(<?= $h($visitsNote) ?>)</span></p>
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
