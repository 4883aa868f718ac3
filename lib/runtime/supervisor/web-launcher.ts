import { startForwarder } from "../sandbox-forwarder";

/**
 * The main process of an environment's web sandbox: a fixed bash script (no user value is
 * ever spliced into it; the commands come as arguments and run through `bash -c`). It runs
 * pre_start, then nginx (its errors on descriptor 3, the environment's error.log) and the
 * application (PHP-FPM, or `web.commands.start`), then post_start, then marks the release
 * started (`/run/app/.started`). When either nginx or the application exits, it stops the
 * other and exits, and the supervisor starts the sandbox again. SIGTERM stops both
 * gracefully: nginx first (SIGQUIT: it stops accepting, so the router sends new requests to
 * the release that replaced this one, and finishes what it accepted), then, once nginx is
 * gone, the application (PHP-FPM: SIGQUIT, finishing its requests; a start command: SIGTERM):
 * stopping both at once made PHP-FPM drop the requests nginx still had queued for it.
 *
 * Arguments: kind ("php" or "command"), the PHP-FPM binary, pre_start, start, post_start, and
 * the forwarder's script ("" for none, sandbox-forwarder.ts): started first (the launcher goes on
 * once it listens), killed with the sandbox, it listens on 127.0.0.1:1025 (the environment's SMTP endpoint) and
 * 127.0.0.1:5672 (its RabbitMQ), each leading to a socket.
 */
export const WEB_LAUNCHER = String.raw`kind=$1 fpm=$2 pre=$3 start=$4 post=$5 fwd=$6 fwdpid=
rm -f /run/app/.started
[ -n "$fwd" ] && fwdpid=$(${startForwarder("$fwd")})
if [ -n "$pre" ]; then
  /bin/bash -c "$pre" </dev/null 3>&-; rc=$?
  if [ $rc -ne 0 ]; then echo "pre_start exited with code $rc: the application is not started." >&2; exit 3; fi
fi
mkdir -p /tmp/nginx /tmp/php
/usr/sbin/nginx -p /tmp/nginx/ -c /run/pwi-conf/nginx.conf -e stderr -g 'daemon off;' </dev/null 2>&3 3>&- &
web=$!
# (PHP-FPM opens its error log by name, /proc/self/fd/2: that must be a pipe, which the server's socket is not.)
if [ "$kind" = php ]; then "$fpm" -F -y /run/pwi-conf/php-fpm.conf -p /tmp/php </dev/null 3>&- 2> >(exec cat >&2) &
else /bin/bash -c "$start" </dev/null 3>&- &
fi
app=$!
stopping=
trap 'stopping=1; kill -QUIT $web 2>/dev/null' TERM INT
if [ -n "$post" ]; then
  /bin/bash -c "$post" </dev/null 3>&-; rc=$?
  if [ $rc -ne 0 ]; then echo "post_start exited with code $rc." >&2; fi
fi
[ -z "$stopping" ] && : > /run/app/.started
while :; do
  ended=
  wait -n -p ended $web $app; code=$?
  if [ -n "$stopping" ]; then
    while kill -0 $web 2>/dev/null; do wait $web; done
    if [ "$kind" = php ]; then kill -QUIT $app 2>/dev/null; else kill -TERM $app 2>/dev/null; fi
    wait $app; [ -n "$fwdpid" ] && kill $fwdpid 2>/dev/null; exit 0
  fi
  [ -z "$ended" ] && continue
  if [ "$ended" = "$web" ]; then echo "nginx exited with code $code." >&3; else
    if [ "$kind" = php ]; then echo "PHP-FPM exited with code $code." >&2; else echo "The start command exited with code $code." >&2; fi
  fi
  kill -TERM $web $app $fwdpid 2>/dev/null; wait
  exit $code
done
`;
