#!/usr/bin/python3
"""sejfd inside sejfd.service's sandbox, as far as a machine without systemd
as PID 1 allows (sandbox_exec.py says which directives are applied).

  sandbox_test.py UNIT SEJFD SEJF

First a probe proves the sandbox bites (a W+X mapping, a netlink socket and a
write outside the state directory all fail, the uid is not root); then a
--dev sejfd runs in it as `nobody` with a NOTIFY_SOCKET, and must: send
READY=1, serve the CLI (status, an HSM key generated, a certificate
self-signed by it and checked by openssl, the audit chain verified), answer
SIGHUP with RELOADING=1 then READY=1, and stop on SIGTERM with STOPPING=1 and
exit 0. Exit 77 (skipped) when not root: the sandbox needs mount namespaces.
"""
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
USER = "nobody"
UNIT = None  # the unit file whose sandbox is applied
GUARD = 120  # seconds: a hung test, not a measurement

PROBE = r"""
import json, mmap, os, socket
r = {"uid": os.getuid()}
def attempt(name, f):
    try:
        f(); r[name] = "allowed"
    except OSError as e:
        r[name] = e.errno
attempt("wx_mapping", lambda: mmap.mmap(-1, 4096, prot=7))
attempt("netlink", lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW))
attempt("write_usr", lambda: open("/usr/sejf-sandbox-probe", "w"))
attempt("write_state", lambda: open(os.environ["STATE"] + "/probe", "w"))
attempt("chroot", lambda: os.chroot("/"))
print(json.dumps(r))
"""

failures = []


def check(ok, what):
    """Records a failure; the details after ": " are shown only then."""
    if ok:
        what = what.split(": ", 1)[0]
    print(("ok    " if ok else "FAIL  ") + what, flush=True)
    if not ok:
        failures.append(what)


def sandboxed(state, command):
    return ["unshare", "--mount", "--propagation", "private", "--",
            sys.executable, os.path.join(HERE, "sandbox_exec.py"),
            "--unit", UNIT, "--user", USER, "--writable", state, "--"] + command


def as_user(command):
    return ["setpriv", "--reuid", USER, "--regid",
            str(pwd.getpwnam(USER).pw_gid), "--clear-groups"] + command


def certificates(value):
    """Every PEM certificate among the strings of a JSON value."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [c for v in value for c in certificates(v)]
    if isinstance(value, str) and "-----BEGIN CERTIFICATE-----" in value:
        return [value]
    return []


def receive(notify, key):
    """Notifications until one sets `key`; its fields."""
    notify.settimeout(GUARD)
    while True:
        data = notify.recv(65536).decode()
        fields = dict(line.split("=", 1) for line in data.splitlines() if line)
        if key in fields:
            return fields


def main():
    if os.geteuid() != 0:
        print("skipped: the sandbox needs root (mount namespace, setuid)")
        return 77
    global UNIT
    UNIT, sejfd, sejf = sys.argv[1], sys.argv[2], sys.argv[3]
    top = tempfile.mkdtemp(prefix="sejf-sandbox-")
    try:
        os.chmod(top, 0o711)
        state = os.path.join(top, "state")
        os.mkdir(state, 0o700)
        user = pwd.getpwnam(USER)
        os.chown(state, user.pw_uid, user.pw_gid)

        probe = subprocess.run(
            sandboxed(state, [sys.executable, "-c", PROBE]),
            env=dict(os.environ, STATE=state), capture_output=True, text=True,
            timeout=GUARD)
        check(probe.returncode == 0, "probe runs: " + probe.stderr.strip())
        r = json.loads(probe.stdout or "{}")
        check(r.get("uid") == user.pw_uid, f"runs as {USER}: {r}")
        check(r.get("wx_mapping") == 1, "MemoryDenyWriteExecute: W+X mmap EPERM")
        check(r.get("netlink") == 97,
              "RestrictAddressFamilies: AF_NETLINK EAFNOSUPPORT")
        check(r.get("write_usr") == 30, "ProtectSystem=strict: /usr EROFS")
        check(r.get("write_state") == "allowed", "StateDirectory writable")
        check(r.get("chroot") == 1, "SystemCallFilter/capabilities: chroot EPERM")

        notify_path = os.path.join(top, "notify")
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(notify_path)
        os.chmod(notify_path, 0o666)
        env = dict(os.environ, NOTIFY_SOCKET=notify_path)
        with open(os.path.join(top, "sejfd.err"), "w") as err:
            daemon = subprocess.Popen(
                sandboxed(state, [sejfd, "--dev", "--data-dir", state,
                                  "--listen", "127.0.0.1:0"]),
                env=env, stdout=subprocess.DEVNULL, stderr=err)
        try:
            ready = receive(notify, "READY")
            check(ready.get("READY") == "1" and
                  "unix " + state + "/sejf.sock" in ready.get("STATUS", ""),
                  "READY=1 with the listeners in STATUS: " + str(ready))
            cli = as_user([sejf, "--addr", "unix:" + state + "/sejf.sock"])

            def run(*args):
                r = subprocess.run(cli + list(args), capture_output=True,
                                   text=True, timeout=GUARD)
                check(r.returncode == 0,
                      "sejf " + " ".join(args) + ": " + r.stderr.strip())
                return r.stdout

            run("status")
            run("key", "generate", "--name", "sandboxed", "--usage", "offline")
            run("key", "self-sign", "sandboxed", "--subject",
                "CN=sandboxed,C=PL", "--days", "30")
            shown = json.loads(run("--output", "json", "key", "show",
                                   "sandboxed") or "{}")
            pem = next(iter(certificates(shown)), "")
            check(pem != "", "key show names the certificate")
            cert = os.path.join(top, "cert.pem")
            with open(cert, "w") as f:
                f.write(pem)
            verify = subprocess.run(
                ["openssl", "verify", "-check_ss_sig", "-CAfile", cert, cert],
                capture_output=True, text=True)
            check(verify.returncode == 0,
                  "openssl verifies the HSM's self-signature: " +
                  (verify.stdout + verify.stderr).strip())
            run("audit", "verify")

            daemon.send_signal(signal.SIGHUP)
            reloading = receive(notify, "RELOADING")
            check(reloading.get("RELOADING") == "1", "SIGHUP: RELOADING=1")
            check(receive(notify, "READY").get("READY") == "1",
                  "after the reload: READY=1")

            daemon.send_signal(signal.SIGTERM)
            stopping = receive(notify, "STOPPING")
            check(stopping.get("STOPPING") == "1", "SIGTERM: STOPPING=1")
            check(daemon.wait(timeout=GUARD) == 0, "sejfd exits 0")
        finally:
            if daemon.poll() is None:
                daemon.kill()
                daemon.wait()
            notify.close()
        if failures:
            with open(os.path.join(top, "sejfd.err")) as f:
                print("--- sejfd stderr ---\n" + f.read())
    finally:
        shutil.rmtree(top, ignore_errors=True)
    print(f"{0 if failures else 1} passed, {1 if failures else 0} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
