#!/usr/bin/python3
"""The seccomp filter of every sandboxed hook, compiled by libseccomp (Debian: python3-seccomp).

Run by lib/runtime/seccomp.ts once per server process, which hands the program to bubblewrap
(`bwrap --seccomp FD`). Prints the BPF program in base64 on stdout; with `--pfc`, libseccomp's
readable form instead, for review: /usr/bin/python3 lib/runtime/seccomp-filter.py --pfc

In the spirit of Docker's default profile, written as a deny list: every system call is allowed
except those below, which fail with EPERM (clone3 with ENOSYS, so libc falls back to clone,
whose flags a filter can see). A hook already runs as an unprivileged user without
capabilities in its own namespaces, so most of these would fail anyway; the filter closes
what an unprivileged process can still do to reach the kernel's riskier parts, above all a
nested user namespace (which would give it every capability inside it: mounts and more).
System calls of other architectures (32-bit x86 through int 0x80) kill the process.

Exit status 3 with a sentence on stderr: the libseccomp bindings are missing.
"""
import base64
import errno
import sys
import tempfile

try:
    import seccomp as s
except ImportError:
    sys.stderr.write("the libseccomp bindings for /usr/bin/python3 are not installed (Debian/Ubuntu: apt-get install python3-seccomp)\n")
    sys.exit(3)

DENIED = [
    # Namespaces: joining one (creating one: clone and unshare below, by their flags).
    "setns",
    # File systems: mounting, moving mounts, switching the root (old and new mount API).
    "mount", "umount", "umount2", "pivot_root", "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    # Other processes' memory and descriptors.
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    # Kernel interfaces that have been the way in for many exploits.
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
    # The kernel keyring.
    "keyctl", "add_key", "request_key",
    # Kernel modules and kexec.
    "init_module", "finit_module", "delete_module", "create_module", "get_kernel_syms", "query_module", "kexec_load", "kexec_file_load",
    # The clock.
    "clock_settime", "settimeofday", "stime", "adjtimex", "clock_adjtime",
    # The machine: swap, reboot, process accounting, quotas, the kernel log, NFS, old sysctl.
    "swapon", "swapoff", "reboot", "acct", "quotactl", "quotactl_fd", "syslog", "nfsservctl", "_sysctl", "sysfs", "ustat", "uselib", "lookup_dcookie",
    # Files by handle (bypass path checks), watching the whole file system.
    "open_by_handle_at", "name_to_handle_at", "fanotify_init",
    # Hardware ports and the virtual 8086 mode.
    "iopl", "ioperm", "vm86", "vm86old",
]

# The namespace flags of clone and unshare (CLONE_NEWTIME shares its bit with clone's exit signal).
CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x02000000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWTIME = 0x10000000, 0x20000000, 0x40000000, 0x00000080
NAMESPACES = [CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET]

# personality(2): as Docker, only PER_LINUX (0), PER_LINUX32 (8), UNAME26 (0x20000), both
# (0x20008) and the query (0xffffffff). Refused: every other value, among them
# ADDR_NO_RANDOMIZE (no address-space randomization) and READ_IMPLIES_EXEC.
PERSONALITY_BITS = 0x00020008


def build() -> "s.SyscallFilter":
    f = s.SyscallFilter(defaction=s.ALLOW)
    f.set_attr(s.Attr.ACT_BADARCH, s.KILL_PROCESS)
    f.set_attr(s.Attr.CTL_OPTIMIZE, 2)  # a binary tree of system call numbers: allowed calls pass in a few comparisons
    eperm = s.ERRNO(errno.EPERM)
    for name in DENIED:
        if s.resolve_syscall(s.Arch.NATIVE, name) >= 0:  # (some exist on 32-bit x86 only)
            f.add_rule(eperm, name)
    f.add_rule(s.ERRNO(errno.ENOSYS), "clone3")
    for flag in NAMESPACES:
        f.add_rule(eperm, "clone", s.Arg(0, s.MASKED_EQ, flag, flag))
    for flag in NAMESPACES + [CLONE_NEWTIME]:
        f.add_rule(eperm, "unshare", s.Arg(0, s.MASKED_EQ, flag, flag))
    # A rule compares an argument once, so the complement of the five allowed values is
    # written as a union: "bit 31 clear and a bit other than 3 and 17 set", and "bit 31 set
    # and some other bit clear" (which leaves 0xffffffff alone).
    top = 1 << 31
    for bit in range(31):
        if not PERSONALITY_BITS & (1 << bit):
            f.add_rule(eperm, "personality", s.Arg(0, s.MASKED_EQ, top | (1 << bit), 1 << bit))
        f.add_rule(eperm, "personality", s.Arg(0, s.MASKED_EQ, top | (1 << bit), top))
    return f


def main() -> None:
    f = build()
    if sys.argv[1:] == ["--pfc"]:
        f.export_pfc(sys.stdout)
        return
    # export_bpf writes to a file descriptor: a temporary file, read back whole.
    with tempfile.TemporaryFile() as out:
        f.export_bpf(out)
        out.seek(0)
        program = out.read()
    if len(program) == 0 or len(program) % 8 != 0:
        sys.stderr.write(f"libseccomp exported {len(program)} bytes, not a BPF program\n")
        sys.exit(1)
    sys.stdout.write(base64.b64encode(program).decode("ascii") + "\n")


if __name__ == "__main__":
    main()
