/**
 * The main process of each engine's sandbox: fixed bash scripts (no value is spliced into them;
 * the engine's programs come as arguments, chosen by the server from the host's probe). Each
 * empties the socket folder (what a killed instance left), initialises the data folder the first
 * time (into `<name>.new`, renamed into place once complete: an interrupted initialisation is
 * started again, never half used), then runs the engine in the foreground, writing its log to
 * stderr. The engine keeps its files in a folder of its own beneath /srv/data, so a service
 * whose type changes (mysql → postgresql) never reads the other engine's files as its own.
 */

/** MariaDB. Arguments: mariadbd, mariadb-install-db. SIGTERM reaches mariadbd itself (exec): a clean shutdown. */
export const MARIADB_LAUNCHER = String.raw`server=$1 installdb=$2 data=/srv/data/mariadb
find /run/service -mindepth 1 -delete 2>/dev/null
if [ ! -d "$data/mysql" ]; then
  echo "Initialising a new MariaDB data folder." >&2
  rm -rf "$data.new" && mkdir -p "$data.new" || exit 1
  "$installdb" --defaults-file=/run/pwi-conf/my.cnf --datadir="$data.new" --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve >/tmp/install-db.log 2>&1 || { cat /tmp/install-db.log >&2; echo "mariadb-install-db failed: the data folder was not initialised." >&2; exit 1; }
  rm -rf "$data" && mv "$data.new" "$data" || exit 1
fi
exec "$server" --defaults-file=/run/pwi-conf/my.cnf
`;

/** Redis. Arguments: redis-server, "persistent" or "". SIGTERM reaches redis-server itself (exec). */
export const REDIS_LAUNCHER = String.raw`server=$1 persistent=$2
find /run/service -mindepth 1 -delete 2>/dev/null
if [ "$persistent" = persistent ]; then mkdir -p /srv/data/redis || exit 1; fi
exec "$server" /run/pwi-conf/redis.conf
`;

/**
 * PostgreSQL. Arguments: initdb, postgres. The credentials are applied in single-user mode
 * before the server listens. SIGTERM becomes SIGINT for postgres (a fast shutdown: PostgreSQL's
 * SIGTERM would wait for every client to leave).
 */
export const POSTGRESQL_LAUNCHER = String.raw`initdb=$1 postgres=$2 data=/srv/data/postgresql conf=config_file=/run/pwi-conf/postgresql.conf
find /run/service -mindepth 1 -delete 2>/dev/null
if [ ! -f "$data/PG_VERSION" ]; then
  echo "Initialising a new PostgreSQL data folder." >&2
  rm -rf "$data.new" || exit 1
  "$initdb" -D "$data.new" -U postgres --pwfile=/run/pwi-conf/admin.pw -A scram-sha-256 -E UTF8 --locale=C --no-instructions >/tmp/initdb.log 2>&1 || { cat /tmp/initdb.log >&2; echo "initdb failed: the data folder was not initialised." >&2; exit 1; }
  echo "CREATE DATABASE main" | "$postgres" --single -D "$data.new" -c "$conf" postgres >/dev/null || { echo "The database main could not be created." >&2; exit 1; }
  rm -rf "$data" && mv "$data.new" "$data" || exit 1
fi
"$postgres" --single -D "$data" -c "$conf" postgres </run/pwi-conf/init.sql >/dev/null || { echo "The credentials could not be applied." >&2; exit 1; }
"$postgres" -D "$data" -c "$conf" </dev/null &
pid=$!
trap 'kill -INT $pid 2>/dev/null' TERM INT
wait $pid; code=$?
while kill -0 $pid 2>/dev/null; do wait $pid; code=$?; done
exit $code
`;

/**
 * RabbitMQ. Arguments: its rabbitmq-server script, node. RabbitMQ listens on TCP only, so it
 * listens on 127.0.0.1 in the sandbox's own network namespace (nothing else shares it), and a
 * forwarder (node) leads /run/service/amqp.sock there. Both are watched: when either ends, the
 * other is stopped and the launcher exits non-zero, so the supervisor starts the pair again.
 * SIGTERM reaches the server script, which stops the Erlang VM cleanly (its exit code is the
 * launcher's). Its node name is rabbit@localhost; its database lives on its disk, its HOME (the
 * Erlang cookie, `.erlang`) in /tmp: made afresh at every boot, nothing there runs again later or
 * travels with its data.
 */
export const RABBITMQ_LAUNCHER = String.raw`server=$1 node=$2 data=/srv/data/rabbitmq
find /run/service -mindepth 1 -delete 2>/dev/null
mkdir -p "$data/mnesia" /tmp/rabbitmq/home || exit 1
export HOME=/tmp/rabbitmq/home RABBITMQ_MNESIA_BASE="$data/mnesia" RABBITMQ_LOG_BASE=/tmp/rabbitmq   RABBITMQ_CONFIG_FILE=/run/pwi-conf/rabbitmq RABBITMQ_ENABLED_PLUGINS_FILE=/run/pwi-conf/enabled_plugins   RABBITMQ_CONF_ENV_FILE=/run/pwi-conf/rabbitmq-env.conf RABBITMQ_NODENAME=rabbit@localhost RABBITMQ_USE_LONGNAME=false   RABBITMQ_PID_FILE=/tmp/rabbitmq/pid RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="+S 1:1 +SDcpu 1:1 +SDio 2 +A 2 +P 65536"
"$node" -e 'const net=require("net");net.createServer((c)=>{const u=net.connect(5672,"127.0.0.1");c.pipe(u);u.pipe(c);c.on("error",()=>u.destroy());u.on("error",()=>c.destroy());c.on("close",()=>u.destroy());u.on("close",()=>c.destroy())}).on("error",(e)=>{console.error("The AMQP socket forwarder failed: "+e.message);process.exit(1)}).listen("/run/service/amqp.sock")' </dev/null >/dev/null &
fwd=$!
"$server" </dev/null &
broker=$!
trap 'kill -TERM $broker 2>/dev/null; wait $broker; code=$?; kill $fwd 2>/dev/null; exit $code' TERM INT
ended=
wait -n -p ended $fwd $broker; code=$?
if [ "$ended" = "$fwd" ]; then echo "The AMQP socket forwarder exited with code $code: stopping RabbitMQ to start both again." >&2; kill -TERM $broker 2>/dev/null; wait $broker
else echo "RabbitMQ exited with code $code." >&2; kill $fwd 2>/dev/null; fi
exit 70
`;
