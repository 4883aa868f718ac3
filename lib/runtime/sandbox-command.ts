import "server-only";
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { CgroupLimits, HookCgroup } from "./hook-cgroup";
import { privateTempDir } from "./private-temp";
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
 * process, same group). The sandbox's environment variables come to bubblewrap from a file
 * the prelude opens and removes at once (`--args N`: `--clearenv`, then `--setenv NAME VALUE`
 * pairs), never through perl's or bubblewrap's own environment (PERL5OPT, LD_PRELOAD… set by
 * pushed code would run on the host) nor their command line (readable in /proc). Its
 * arguments: the highest descriptor kept, the filter's file ("" for none), the arguments file
 * ("" for none), the cgroup.procs files, "--", the command.
 */
const PRELUDE = [
  'my $keep = shift @ARGV; my $filter = shift @ARGV; my $argsfile = shift @ARGV; my @cg; while (@ARGV && $ARGV[0] ne "--") { push @cg, shift @ARGV } shift @ARGV;',
  'for my $f (@cg) { my $h; (open($h, ">", $f) and print($h "$$\n") and close($h)) or die "The sandbox could not join its cgroup ($f): $!\n" }',
  `fcntl(STDOUT, ${F_SETPIPE_SZ}, ${PRELUDE_PIPE_BYTES}); fcntl(STDERR, ${F_SETPIPE_SZ}, ${PRELUDE_PIPE_BYTES});`,
  'my @fds; if (opendir(my $d, "/proc/self/fd")) { @fds = grep { /^\\d+$/ && $_ > $keep } readdir($d); closedir($d) } for my $fd (@fds) { open(my $h, "<&=", $fd) and close($h) }',
  'my $seccomp; if (length $filter) { $^F = 1 << 30; open($seccomp, "<", $filter) or die "The sandbox could not open its seccomp filter ($filter): $!\n"; splice(@ARGV, 1, 0, "--seccomp", fileno($seccomp)) }',
  'my $argsfh; if (length $argsfile) { $^F = 1 << 30; open($argsfh, "<", $argsfile) or die "The sandbox could not open its arguments ($argsfile): $!\n"; unlink($argsfile); splice(@ARGV, 1, 0, "--args", fileno($argsfh)) }',
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
  /** The sandbox's environment variables (never the host processes' that set it up). */
  env: Record<string, string>;
  sandboxed: { bwrap: string; seccomp: string | null } | null;
  sandbox: SandboxSpec;
  limits: CgroupLimits;
  cgroup: HookCgroup | null;
  fileSizeBytes: number | null;
  /** Descriptors above 2 handed to the sandbox (for a web sandbox: 3, its error log). */
  keepFds?: number;
}): SandboxedCommand {
  const { inner, sandboxed, sandbox, limits, cgroup, fileSizeBytes } = options;
  prlimit ??= ["/usr/bin/prlimit", "/bin/prlimit"].find((p) => fs.existsSync(p)) ?? null;
  const limited: string[] = [];
  if (prlimit) limited.push(prlimit, `--nproc=${limits.maxProcesses}`, ...(cgroup ? [] : [`--as=${limits.memoryBytes}`]), ...(fileSizeBytes ? [`--fsize=${fileSizeBytes}`] : []), "--");
  limited.push(...inner);
  // Unsandboxed (HOOK_SANDBOX=auto without bubblewrap), the command runs on the host with its variables, as the warning says.
  if (!sandboxed) return hasPerl() ? { file: "perl", args: ["-e", PRELUDE, "--", String(2 + (options.keepFds ?? 0)), "", "", ...(cgroup?.procsFiles ?? []), "--", ...limited], env: options.env } : { file: limited[0]!, args: limited.slice(1), env: options.env };
  const setenv = ["--clearenv", ...Object.entries(options.env).flatMap(([name, value]) => ["--setenv", name, value])];
  const command = [sandboxed.bwrap, ...sandboxArgs(sandbox), "--", ...limited];
  // Without perl there is no prelude (no cgroup, no filter): the variables go on bubblewrap's command line.
  if (!hasPerl()) return { file: command[0]!, args: [...setenv, ...command.slice(1)], env: HOST_ENV };
  const argsFile = writeArgsFile(setenv);
  // (perl takes the first "--" as the end of its own options; the prelude reads up to the second.)
  return { file: "perl", args: ["-e", PRELUDE, "--", String(2 + (options.keepFds ?? 0)), sandboxed.seccomp ?? "", argsFile, ...(cgroup?.procsFiles ?? []), "--", ...command], env: HOST_ENV };
}

/** A command to start: the host's side of it (perl, bubblewrap) gets `env`, which holds nothing pushed code chose. */
export interface SandboxedCommand {
  file: string;
  args: string[];
  env: Record<string, string>;
}

/** The host processes that set a sandbox up see only this. */
const HOST_ENV: Record<string, string> = { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C.UTF-8" };

/** Writes bubblewrap's NUL-separated arguments into a file only this account reads (the prelude removes it once open). */
function writeArgsFile(args: readonly string[]): string {
  const file = path.join(privateTempDir("sandbox-args"), crypto.randomBytes(12).toString("hex"));
  fs.writeFileSync(file, `${args.join("\0")}\0`, { mode: 0o600, flag: "wx" });
  return file;
}
