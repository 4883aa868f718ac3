import "server-only";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { env as appEnv } from "@/lib/env";
import type { SandboxForward } from "./sandbox-forwarder";

/** Where the application's files are inside the sandbox (as on the platform). */
export const SANDBOX_APP_DIR = "/app";
/** The unprivileged user a hook runs as inside the sandbox. */
const SANDBOX_UID = 10000;

const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const INSTALL_HINT = "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap)";

/** What a sandboxed hook sees and may write. Every path is a host path. */
export interface SandboxSpec {
  /** The application's files, shown at /app. */
  appDir: string;
  /** Build: writable. Deploy and post_deploy: read-only, as on the platform. */
  appWritable: boolean;
  /**
   * Directories shown writable inside the sandbox: each host folder (`source`, which no
   * sandbox can replace) at `dest` (the environment's mounts at /app/<mount>, whose places
   * the deployment holds as empty folders).
   */
  binds: readonly { source: string; dest: string }[];
  /** Directories shown read-only (an environment's server-written configuration at /run/pwi-conf). */
  roBinds?: readonly { source: string; dest: string }[];
  /** The host's network (builds when HOOK_BUILD_NETWORK=1); otherwise loopback only. */
  network: boolean;
  /** The environment's SMTP endpoint (a Unix socket), shown at /run/pwi-smtp.sock: the one way out for e-mail. */
  smtpSocket?: string | null;
  /** TCP ports inside the sandbox that lead to sockets inside it (a RabbitMQ's: sandbox-forwarder.ts); the SMTP endpoint's is added by itself. */
  forwards?: SandboxForward[];
}

export type SandboxSupport = { ok: true; bwrap: string; disableUserns?: boolean } | { ok: false; reason: string };

let support: SandboxSupport | undefined;

/**
 * Whether bubblewrap runs here (found on PATH and able to make its namespaces), probed once
 * per process with the same namespaces a hook gets.
 */
export function sandboxSupport(): SandboxSupport {
  if (support) return support;
  const bwrap = ["/usr/bin/bwrap", "/usr/local/bin/bwrap", "/bin/bwrap"].find((p) => fs.existsSync(p));
  if (!bwrap) return (support = { ok: false, reason: `bubblewrap (bwrap) is not installed: ${INSTALL_HINT}` });
  const probe = spawnSync(bwrap, [...systemBinds(), "--unshare-all", "--die-with-parent", "--new-session", "--proc", "/proc", "--dev", "/dev", "--", "/bin/true"], {
    env: { PATH } as unknown as NodeJS.ProcessEnv,
    encoding: "utf8",
    timeout: 10_000,
  });
  if (probe.status === 0) {
    // bubblewrap 0.8 and later can forbid user namespaces inside the sandbox.
    const nested = spawnSync(bwrap, [...systemBinds(), "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session", "--proc", "/proc", "--dev", "/dev", "--", "/bin/true"], { env: { PATH } as unknown as NodeJS.ProcessEnv, timeout: 10_000, stdio: "ignore" });
    return (support = { ok: true, bwrap, disableUserns: nested.status === 0 });
  }
  const why = (probe.stderr || probe.error?.message || `exit ${probe.status}`).trim().split("\n")[0];
  return (support = { ok: false, reason: `bubblewrap cannot create its namespaces here (${why}); allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1) or run the server where they are allowed` });
}

/** The sentence the server prints at start and every deploy log repeats while hooks run unsandboxed. */
export function unsandboxedWarning(reason: string): string {
  return `Warning: hooks run WITHOUT a sandbox: ${reason}. A hook can then read and change everything the server can. Set HOOK_SANDBOX=required to refuse hooks instead.`;
}

/** The variables a hook gets: these and nothing of the server's environment. */
export function hookBaseEnv(home: string): Record<string, string> {
  return { PATH, HOME: home, LANG: "C.UTF-8", TZ: "UTC" };
}

/** System directories shown read-only; /bin and friends are kept as the symlinks they are on merged-/usr systems. */
function systemBinds(): string[] {
  const args = ["--ro-bind", "/usr", "/usr"];
  for (const dir of ["bin", "sbin", "lib", "lib32", "lib64", "libx32"]) {
    const full = `/${dir}`;
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(full);
    } catch {
      continue;
    }
    if (stat.isSymbolicLink()) args.push("--symlink", fs.readlinkSync(full), full);
    else if (stat.isDirectory()) args.push("--ro-bind", full, full);
  }
  return args;
}

/** Of /etc, only what programs need to run, resolve names and check TLS certificates (no shadow files, no server config). */
const ETC = [
  "alternatives", "ssl", "ca-certificates", "ca-certificates.conf", "resolv.conf", "hosts", "host.conf", "nsswitch.conf", "gai.conf",
  "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "mime.types", "protocols", "services", "passwd", "group", "bash.bashrc",
  "profile", "inputrc", "perl", "python3", "magic", "magic.mime", "os-release", "debian_version", "gitconfig", "npmrc", "java-17-openjdk",
  // PHP's own settings and modules (php.ini, conf.d), and nginx's table of file types (not its server configuration).
  "php", "nginx/mime.types", "nginx/fastcgi_params",
];

/** Paths the server keeps its secrets and code in, hidden even if they lie under a system directory. */
function hiddenPaths(): string[] {
  const under = (p: string) => ["/usr", "/etc"].some((root) => p === root || p.startsWith(`${root}/`));
  return [appEnv().dataDir, process.cwd()].filter(under);
}

/**
 * The bwrap arguments for a hook: new user (an unprivileged uid), PID, IPC, UTS, cgroup and
 * (unless `network`) network namespaces; a new session; killed with its parent; read-only
 * system directories, a private /tmp, /app and the writable directories; nothing else of
 * the host. The hook's main process is not PID 1: bwrap's init is, and when the hook's
 * main process ends every process left in the namespace is killed with it.
 */
export function sandboxArgs(spec: SandboxSpec): string[] {
  // --disable-userns: no user namespace can be made inside (a second guard beside the seccomp filter).
  const nested = support?.ok && support.disableUserns ? ["--unshare-user", "--disable-userns"] : [];
  const args = ["--unshare-all", ...nested, ...(spec.network ? ["--share-net"] : []), "--uid", String(SANDBOX_UID), "--gid", String(SANDBOX_UID)];
  args.push("--hostname", "sandbox", "--die-with-parent", "--new-session", "--cap-drop", "ALL");
  args.push(...systemBinds());
  for (const name of ETC) args.push("--ro-bind-try", `/etc/${name}`, `/etc/${name}`);
  for (const hidden of hiddenPaths()) args.push("--tmpfs", hidden);
  args.push("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/var/tmp", "--tmpfs", "/run");
  if (spec.smtpSocket) args.push("--bind", spec.smtpSocket, "/run/pwi-smtp.sock");
  args.push(spec.appWritable ? "--bind" : "--ro-bind", spec.appDir, SANDBOX_APP_DIR);
  for (const bind of spec.binds) args.push("--bind", bind.source, bind.dest);
  for (const bind of spec.roBinds ?? []) args.push("--ro-bind", bind.source, bind.dest);
  // The sandbox's own root (where /etc's few files are bound) is read-only too: only /app in a
  // build, the binds, /tmp, /var/tmp and /run take writes.
  args.push("--remount-ro", "/");
  args.push("--chdir", SANDBOX_APP_DIR);
  return args;
}

/** Benchmarks and tests only: decide sandbox support instead of probing (undefined probes again). */
export function setSandboxSupportForTesting(value: SandboxSupport | undefined): void {
  support = value;
}
