/**
 * TCP ports inside a sandbox that lead to Unix sockets inside the same sandbox: the environment's
 * SMTP endpoint on 127.0.0.1:1025, and each RabbitMQ on 127.0.0.1:5672 (AMQP clients, PHP's
 * included, speak TCP only). The sandbox has its own network namespace, so these ports are its
 * alone. One perl process serves them all (perl-base is part of every Debian system; the sandbox's
 * prelude is perl too): it listens on every port, then forks, and its first process prints the
 * serving one's id and exits, so a launcher that runs it in the foreground goes on once every port
 * listens (startForwarder), with no marker to wait for. Each connection is two processes, one
 * per direction, each copying until its side closes (0.5 MB each; they count against the
 * sandbox's process limit). It starts in a few milliseconds: a cron or
 * a hook starts one each time. The forwards are chosen by the server (ports and in-sandbox paths
 * it checks): no value of the repository's reaches the script. Pure.
 */

/** One port: 127.0.0.1:`port` inside the sandbox leads to `socket`, a path inside it. */
export interface SandboxForward {
  port: number;
  socket: string;
}

/** The forwarder's processes' name (their `comm`): not the sandbox's main process (process-tree.ts). */
export const FORWARDER_NAME = "pwi-forwarder";

/** The forwarder's script (`perl -e`), or "" when there is nothing to forward. */
export function forwarderScript(forwards: readonly SandboxForward[]): string {
  if (forwards.length === 0) return "";
  const ports = new Set<number>();
  for (const f of forwards) {
    if (!Number.isInteger(f.port) || f.port < 1024 || f.port > 65535 || ports.has(f.port)) throw new Error(`A forwarded port must be a distinct whole number from 1024 to 65535: ${f.port}`);
    if (!/^\/run\/[A-Za-z0-9/._-]{1,200}$/.test(f.socket) || f.socket.split("/").includes("..")) throw new Error(`A forwarded socket must be a plain path under /run: ${JSON.stringify(f.socket)}`);
    ports.add(f.port);
  }
  // The checked values in single quotes (no quote, backslash or space can be in them).
  const list = forwards.map((f) => `[${f.port},'${f.socket}']`).join(",");
  return String.raw`use strict; use IO::Socket::INET; use IO::Socket::UNIX; use IO::Select;
$0 = '${FORWARDER_NAME}';
$SIG{PIPE} = 'IGNORE';
my @listen;
for my $f (${list}) {
  my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $f->[0], Listen => 128, ReuseAddr => 1) or exit 1;
  push @listen, [$s, $f->[1]];
}
my $pid = fork; exit 1 unless defined $pid;
if ($pid) { print "$pid\n"; exit 0 }
open STDOUT, '>', '/dev/null';
$SIG{CHLD} = 'IGNORE';
my $ready = IO::Select->new(map { $_->[0] } @listen);
while (1) {
  for my $r ($ready->can_read) {
    my ($to) = map { $_->[1] } grep { $_->[0] == $r } @listen;
    my $c = $r->accept or next;
    my $child = fork;
    if (!defined $child || $child) { close $c; next }
    close $_->[0] for @listen;
    my $u = IO::Socket::UNIX->new(Peer => $to) or exit 0;
    # Each direction its own process: a side that writes before it reads never waits on the other.
    my $back = fork;
    exit 0 unless defined $back;
    if ($back) { copy($c, $u) } else { copy($u, $c) }
    exit 0;
  }
}
sub copy {
  my ($from, $to) = @_;
  my $buf;
  while (1) {
    my $n = sysread($from, $buf, 65536);
    last unless $n;
    for (my $off = 0; $off < $n;) { my $w = syswrite($to, $buf, $n - $off, $off); return unless $w; $off += $w }
  }
  shutdown($to, 1);
}`;
}

/**
 * Bash that starts the forwarder whose script is in `script` (a quoted variable, as "$1") and
 * returns once it listens; its output is the serving process's id. When it cannot (perl missing,
 * a port taken) a line on standard error says so and the command runs without those ports.
 */
export const startForwarder = (script: "$1" | "$fwd") =>
  `{ command -v perl >/dev/null 2>&1 && perl -e "${script}" </dev/null 2>/dev/null 3>&-; } || echo "The ports that lead to the environment's e-mail endpoint and RabbitMQ (127.0.0.1:1025, :5672) could not be opened: perl is missing or a port is taken. Nothing uses them here." >&2`;

/** A sandbox's main process when it forwards ports (a hook, a cron, a worker): the forwarder ($1), then the command ($2) in its place. */
export const WITH_FORWARDER = `{ ${startForwarder("$1")}; } >/dev/null
exec /bin/bash -c "$2"`;
