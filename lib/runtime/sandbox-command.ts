import "server-only";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import type { CgroupLimits, HookCgroup } from "./hook-cgroup";
import { sandboxArgs, type SandboxSpec } from "./sandbox";

/** Linux's F_SETPIPE_SZ, and the size a user may give a pipe by default (/proc/sys/fs/pipe-max-size). */
const F_SETPIPE_SZ = 1031;
export const PRELUDE_PIPE_BYTES = 1024 * 1024;
let perl: boolean | undefined;
let prlimit: string | null | undefined;

/** Whether perl runs here (part of every Debian system: perl-base), probed once. */
export function hasPerl(): boolean {
  perl ??= spawnSync("perl", ["-e", "exit 0"], { stdio: "ignore" }).status === 0;
  return perl;
}

/**
 * Perl starts each sandboxed process (a hook, or an environment's long-lived process): it moves
 * itself into the cgroup (so everything the process starts is counted), gives its pipes a 1 MiB
 * buffer instead of 64 KiB (Node has no fcntl), closes every descriptor above the ones it is to
 * keep (stdin, stdout, stderr, and for an environment's web sandbox its error log at 3):
 * whatever the server's own parent left open without close-on-exec would reach the sandbox;
 * opens the seccomp filter without close-on-exec ($^F) and tells bubblewrap its descriptor
 * (`--seccomp N`, before bubblewrap's other arguments), then becomes the sandbox (exec: same
 * process, same group). Its arguments: the highest descriptor kept, the filter's file ("" for
 * none), the cgroup.procs files, "--", the command.
 */
const PRELUDE = [
  'my $keep = shift @ARGV; my $filter = shift @ARGV; my @cg; while (@ARGV && $ARGV[0] ne "--") { push @cg, shift @ARGV } shift @ARGV;',
  'for my $f (@cg) { my $h; (open($h, ">", $f) and print($h "$$\n") and close($h)) or die "The sandbox could not join its cgroup ($f): $!\n" }',
  `fcntl(STDOUT, ${F_SETPIPE_SZ}, ${PRELUDE_PIPE_BYTES}); fcntl(STDERR, ${F_SETPIPE_SZ}, ${PRELUDE_PIPE_BYTES});`,
  'my @fds; if (opendir(my $d, "/proc/self/fd")) { @fds = grep { /^\\d+$/ && $_ > $keep } readdir($d); closedir($d) } for my $fd (@fds) { open(my $h, "<&=", $fd) and close($h) }',
  'my $seccomp; if (length $filter) { $^F = 1 << 30; open($seccomp, "<", $filter) or die "The sandbox could not open its seccomp filter ($filter): $!\n"; splice(@ARGV, 1, 0, "--seccomp", fileno($seccomp)) }',
  'exec { $ARGV[0] } @ARGV or die "Cannot start $ARGV[0]: $!\n";',
].join(" ");

/**
 * The command line of a sandboxed process: [perl prelude] → [bwrap sandbox, with its seccomp
 * filter] → prlimit → `inner`. prlimit sets the process limit (per user namespace inside the
 * sandbox) and, where no cgroup limits memory, an address-space limit per process.
 * `sandboxed` null: no bubblewrap here (HOOK_SANDBOX=auto), the command runs on the host.
 */
export function sandboxedCommand(options: {
  inner: readonly string[];
  sandboxed: { bwrap: string; seccomp: string | null } | null;
  sandbox: SandboxSpec;
  limits: CgroupLimits;
  cgroup: HookCgroup | null;
  fileSizeBytes: number | null;
  /** Descriptors above 2 handed to the sandbox (for a web sandbox: 3, its error log). */
  keepFds?: number;
}): [string, string[]] {
  const { inner, sandboxed, sandbox, limits, cgroup, fileSizeBytes } = options;
  prlimit ??= ["/usr/bin/prlimit", "/bin/prlimit"].find((p) => fs.existsSync(p)) ?? null;
  const limited: string[] = [];
  if (prlimit) limited.push(prlimit, `--nproc=${limits.maxProcesses}`, ...(cgroup ? [] : [`--as=${limits.memoryBytes}`]), ...(fileSizeBytes ? [`--fsize=${fileSizeBytes}`] : []), "--");
  limited.push(...inner);
  const command = sandboxed ? [sandboxed.bwrap, ...sandboxArgs(sandbox), "--", ...limited] : limited;
  if (!hasPerl()) return [command[0]!, command.slice(1)]; // (no cgroup and no filter: the caller made neither)
  // (perl takes the first "--" as the end of its own options; the prelude reads up to the second.)
  return ["perl", ["-e", PRELUDE, "--", String(2 + (options.keepFds ?? 0)), sandboxed?.seccomp ?? "", ...(cgroup?.procsFiles ?? []), "--", ...command]];
}
