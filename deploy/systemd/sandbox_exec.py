#!/usr/bin/python3
"""Runs a command under the parts of sejfd.service's sandbox that a machine
without systemd as PID 1 can apply (a container, CI): the test's stand-in for
systemd, used by sandbox_test.py.

  unshare --mount --propagation private -- \
    sandbox_exec.py --unit sejfd.service --user nobody --writable DIR \
      -- COMMAND ARGS...

The settings are read from the unit's [Service] section, so the test follows
the unit; a directive below that the unit does not set is not applied, and
the unit must set each one (or this refuses to run). Applied, in the order
systemd applies them:
  ProtectSystem=strict  every mount read-only, except --writable DIRs
                        (StateDirectory=) and the API file systems
  ProtectHome=yes       an empty read-only tmpfs over /home and /root
  User=/Group=          setgroups([]), setgid, setuid to --user
  UMask=0077
  CapabilityBoundingSet=  every capability dropped from the bounding set
  NoNewPrivileges=yes   PR_SET_NO_NEW_PRIVS (libseccomp sets it on load)
  SystemCallFilter=@system-service ~@privileged @resources
                        an allow-list seccomp filter of exactly those
                        syscalls, as `systemd-analyze syscall-filter` lists
                        them on this machine, EPERM otherwise
                        (SystemCallErrorNumber=EPERM)
  MemoryDenyWriteExecute=yes  systemd's rules: mmap with PROT_WRITE|PROT_EXEC,
                        mprotect/pkey_mprotect adding PROT_EXEC, shmat with
                        SHM_EXEC fail with EPERM
  RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6  socket() of any other
                        family fails with EAFNOSUPPORT
Not applied (they need systemd or change nothing sejfd does): PrivateTmp,
PrivateDevices, PrivateIPC, ProtectKernel*, ProtectProc, ProcSubset,
RestrictNamespaces, RestrictRealtime, LockPersonality, LimitCORE (sejfd sets
RLIMIT_CORE itself). Must start as root in its own mount namespace.
"""
import argparse
import ctypes
import errno
import os
import pwd
import socket
import subprocess
import sys

import seccomp

PR_CAPBSET_DROP = 24
SHM_EXEC = 0o100000
PROT_WRITE = 0x2
PROT_EXEC = 0x4


def syscall_group(name, seen=None):
    """The syscalls of a systemd filter group, nested groups expanded."""
    seen = seen if seen is not None else set()
    if name in seen:
        return set()
    seen.add(name)
    out = subprocess.run(["systemd-analyze", "syscall-filter", name],
                         check=True, capture_output=True, text=True).stdout
    calls = set()
    for line in out.splitlines()[1:]:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@"):
            calls |= syscall_group(line, seen)
        else:
            calls.add(line)
    return calls


def protect_system(writable):
    # Writable directories first become mounts of their own, so that the
    # read-only remount of their parent leaves them as they are.
    for path in writable:
        subprocess.run(["mount", "--bind", path, path], check=True)
    mounts = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mounts.append(line.split()[4].replace("\\040", " "))
    api = ("/proc", "/sys", "/dev")
    for mount in mounts:
        if mount in writable or any(mount == a or mount.startswith(a + "/")
                                    for a in api):
            continue
        subprocess.run(["mount", "-o", "remount,bind,ro", mount],
                       stderr=subprocess.DEVNULL)
    for home in ("/home", "/root"):
        if os.path.isdir(home):
            subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,mode=0755",
                            "tmpfs", home], check=True)


def drop_capability_bounding_set(libc):
    with open("/proc/sys/kernel/cap_last_cap") as f:
        last = int(f.read())
    for cap in range(last + 1):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), f"PR_CAPBSET_DROP {cap}")


REQUIRED = ("ProtectSystem", "ProtectHome", "UMask", "CapabilityBoundingSet",
            "NoNewPrivileges", "SystemCallFilter", "MemoryDenyWriteExecute",
            "RestrictAddressFamilies", "SystemCallErrorNumber")


def read_unit(path):
    """[Service] of a unit file: key -> list of values, in order."""
    settings, section = {}, None
    with open(path) as f:
        for raw in f:
            line = raw.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                section = line
                continue
            if section == "[Service]" and "=" in line:
                key, value = line.split("=", 1)
                settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def allowed_syscalls(filters):
    """SystemCallFilter= lines: the first allow-list, minus every ~ list."""
    allowed, denied = set(), set()
    for value in filters:
        deny = value.startswith("~")
        for name in value.lstrip("~").split():
            calls = syscall_group(name) if name.startswith("@") else {name}
            (denied if deny else allowed).update(calls)
    return allowed - denied


def address_families(value):
    return [getattr(socket, name) for name in value.split()]


def load_seccomp(allowed, families, deny_write_execute):
    f = seccomp.SyscallFilter(defaction=seccomp.ERRNO(errno.EPERM))
    guarded = {"mmap", "mmap2", "mprotect", "pkey_mprotect", "shmat", "socket"}
    for call in sorted(allowed - guarded):
        try:
            f.add_rule(seccomp.ALLOW, call)
        except (RuntimeError, ValueError):
            pass  # not a syscall of this architecture
    if not deny_write_execute:
        for call in ("mmap", "mmap2", "mprotect", "pkey_mprotect", "shmat"):
            if call in allowed:
                try:
                    f.add_rule(seccomp.ALLOW, call)
                except (RuntimeError, ValueError):
                    pass
    else:
        add_write_execute_rules(f)
    add_address_family_rules(f, families)
    f.load()  # sets PR_SET_NO_NEW_PRIVS first


def add_write_execute_rules(f):
    """MemoryDenyWriteExecute=yes, as systemd's seccomp-util.c has it."""
    wx = PROT_WRITE | PROT_EXEC
    for prot in (0, PROT_WRITE, PROT_EXEC):
        f.add_rule(seccomp.ALLOW, "mmap",
                   seccomp.Arg(2, seccomp.MASKED_EQ, wx, prot))
    for call in ("mprotect", "pkey_mprotect"):
        f.add_rule(seccomp.ALLOW, call,
                   seccomp.Arg(2, seccomp.MASKED_EQ, PROT_EXEC, 0))
    f.add_rule(seccomp.ALLOW, "shmat",
               seccomp.Arg(2, seccomp.MASKED_EQ, SHM_EXEC, 0))


def add_address_family_rules(f, families):
    """RestrictAddressFamilies=: socket() of another family EAFNOSUPPORT."""
    top = max(families)
    for family in range(0, top + 1):
        action = (seccomp.ALLOW if family in families else
                  seccomp.ERRNO(errno.EAFNOSUPPORT))
        f.add_rule(action, "socket", seccomp.Arg(0, seccomp.EQ, family))
    f.add_rule(seccomp.ERRNO(errno.EAFNOSUPPORT), "socket",
               seccomp.Arg(0, seccomp.GT, top))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--unit", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--writable", action="append", default=[])
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command")
    user = pwd.getpwnam(args.user)
    writable = [os.path.realpath(p) for p in args.writable]
    libc = ctypes.CDLL(None, use_errno=True)

    unit = read_unit(args.unit)
    missing = [key for key in REQUIRED if key not in unit]
    if missing:
        sys.exit(f"{args.unit} does not set {', '.join(missing)}")
    if unit["ProtectSystem"][-1] != "strict" or unit["ProtectHome"][-1] != "yes":
        sys.exit("only ProtectSystem=strict with ProtectHome=yes is emulated")
    if unit["SystemCallErrorNumber"][-1] != "EPERM":
        sys.exit("only SystemCallErrorNumber=EPERM is emulated")
    allowed = allowed_syscalls(unit["SystemCallFilter"])
    families = address_families(unit["RestrictAddressFamilies"][-1])
    protect_system(writable)
    if unit["CapabilityBoundingSet"][-1] == "":
        drop_capability_bounding_set(libc)
    os.setgroups([])
    os.setgid(user.pw_gid)
    os.setuid(user.pw_uid)
    os.umask(int(unit["UMask"][-1], 8))
    if unit["NoNewPrivileges"][-1] != "yes":
        sys.exit("NoNewPrivileges=yes expected (libseccomp sets it anyway)")
    load_seccomp(allowed, families,
                 unit["MemoryDenyWriteExecute"][-1] == "yes")
    os.execv(command[0], command)


if __name__ == "__main__":
    sys.exit(main())
