#!/usr/bin/python3
"""ctest deploy_operations_walkthrough: docs/operations.md's tested blocks,
run as they stand, against a production (non --dev) sejfd.

  operations_walkthrough_test.py OPERATIONS_MD SEJFD SEJF

The blocks marked <!-- test: NAME --> are taken from the document: `pki`
(run by bash in a CA directory), `config` (sejfd.toml, with /etc/sejf,
/var/lib/sejf and /run/sejf moved into a temporary directory and the TCP
port left to the system) and `revoke`. The SoftHSM2 token is initialised
here non-interactively (the document's softhsm2-util prompts; the PINs of
this throwaway token are on its command line). Then: sejfd starts on that
configuration under a NOTIFY_SOCKET and tells READY=1; the key admin's
certificate is its URI SAN to the policy and may generate a key, the ERP's
may list but not generate; after `revoke` and SIGHUP (RELOADING=1, READY=1)
the ERP's certificate is refused; SIGTERM stops it (STOPPING=1, exit 0);
`sejfd --verify-audit-log` then finds the audit chain whole.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

GUARD = 120  # seconds: a hung test, not a measurement
failures = []


def check(ok, what):
    """Records a failure; the details after ": " are shown only then."""
    if ok:
        what = what.split(": ", 1)[0]
    print(("ok    " if ok else "FAIL  ") + what, flush=True)
    if not ok:
        failures.append(what)
    return ok


def tested_blocks(doc):
    """NAME -> the fenced block after <!-- test: NAME -->."""
    blocks = {}
    for m in re.finditer(r"<!-- test: (\w+) -->\s*```\w*\n(.*?)```", doc,
                         re.S):
        blocks[m.group(1)] = m.group(2)
    return blocks


def receive(notify, key):
    notify.settimeout(GUARD)
    while True:
        data = notify.recv(65536).decode()
        fields = dict(l.split("=", 1) for l in data.splitlines() if "=" in l)
        if key in fields:
            return fields


def main():
    doc_path, sejfd, sejf = sys.argv[1:4]
    with open(doc_path) as f:
        blocks = tested_blocks(f.read())
    for name in ("pki", "config", "revoke"):
        if not check(name in blocks, f"docs/operations.md has the {name} block"):
            return 1
    top = tempfile.mkdtemp(prefix="sejf-operations-")
    daemon = None
    try:
        pki, etc = os.path.join(top, "pki"), os.path.join(top, "etc")
        state, run = os.path.join(top, "state"), os.path.join(top, "run")
        for d in (pki, etc + "/tls", state + "/softhsm/tokens", run):
            os.makedirs(d, mode=0o700)
        r = subprocess.run(["bash", "-euo", "pipefail", "-c", blocks["pki"]],
                           cwd=pki, capture_output=True, text=True)
        if not check(r.returncode == 0, "the pki block runs: " + r.stderr[-2000:]):
            return 1
        for name in ("ca.pem", "server.pem", "client-ca.crl"):
            shutil.copy(os.path.join(pki, name), os.path.join(etc, "tls", name))
        shutil.copy(os.path.join(pki, "server.key"), etc + "/tls/server.key")
        os.chmod(etc + "/tls/server.key", 0o600)

        conf = etc + "/softhsm2.conf"
        with open(conf, "w") as f:
            f.write(f"directories.tokendir = {state}/softhsm/tokens\n"
                    "objectstore.backend = file\nlog.level = ERROR\n")
        r = subprocess.run(
            ["softhsm2-util", "--init-token", "--free", "--label", "sejf",
             "--so-pin", "walkthrough-so", "--pin", "walkthrough-user"],
            env=dict(os.environ, SOFTHSM2_CONF=conf), capture_output=True,
            text=True)
        check(r.returncode == 0, "SoftHSM2 token initialised: " + r.stderr)
        fd = os.open(etc + "/hsm-pin", os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, b"walkthrough-user\n")
        os.close(fd)

        config = (blocks["config"].replace("/etc/sejf", etc)
                  .replace("/var/lib/sejf", state).replace("/run/sejf", run)
                  .replace('tcp = "0.0.0.0:7443"', 'tcp = "127.0.0.1:0"'))
        check('tcp = "127.0.0.1:0"' in config, "the config block listens on TCP")
        fd = os.open(etc + "/sejfd.toml", os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, config.encode())
        os.close(fd)

        notify_path = os.path.join(top, "notify")
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(notify_path)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("SEJF_")}
        err = open(os.path.join(top, "sejfd.err"), "w")
        daemon = subprocess.Popen(
            [sejfd, "--config", etc + "/sejfd.toml"],
            env=dict(env, NOTIFY_SOCKET=notify_path),
            stdout=subprocess.DEVNULL, stderr=err)
        ready = receive(notify, "READY")
        m = re.search(r"tls (127\.0\.0\.1:\d+)", ready.get("STATUS", ""))
        if not check(m is not None, "READY=1 names the TLS address: " +
                     str(ready)):
            return 1
        address = m.group(1)

        def cli(identity, *args):
            return subprocess.run(
                [sejf, "--addr", address, "--ca", pki + "/ca.pem",
                 "--cert", f"{pki}/{identity}.pem",
                 "--key", f"{pki}/{identity}.key"] + list(args),
                env=env, capture_output=True, text=True, timeout=GUARD)

        r = cli("key-admin", "status")
        check(r.returncode == 0 and "spiffe://example/ops/key-admin" in r.stdout,
              "the key admin is its URI SAN: " + r.stdout + r.stderr)
        r = cli("key-admin", "key", "generate", "--name", "walkthrough",
                "--usage", "offline")
        check(r.returncode == 0, "the key admin generates a key: " + r.stderr)
        r = cli("erp", "key", "list")
        check(r.returncode == 0 and "walkthrough" in r.stdout,
              "the ERP lists keys: " + r.stderr)
        r = cli("erp", "key", "generate", "--name", "nope", "--usage", "offline")
        check(r.returncode == 1 and "PERMISSION_DENIED" in r.stderr,
              "the ERP may not generate: " + r.stderr.strip())

        r = subprocess.run(["bash", "-euo", "pipefail", "-c", blocks["revoke"]],
                           cwd=pki, capture_output=True, text=True)
        check(r.returncode == 0, "the revoke block runs: " + r.stderr[-2000:])
        shutil.copy(pki + "/client-ca.crl", etc + "/tls/client-ca.crl")
        daemon.send_signal(signal.SIGHUP)
        receive(notify, "RELOADING")
        after = receive(notify, "READY")
        check("failed" not in after.get("STATUS", ""),
              "the reload succeeded: " + str(after))
        r = cli("erp", "key", "list")
        check(r.returncode == 1 and "UNAUTHENTICATED" in r.stderr,
              "the revoked ERP certificate is refused: " + r.stderr.strip())
        r = cli("key-admin", "key", "list")
        check(r.returncode == 0, "the key admin still works: " + r.stderr)

        daemon.send_signal(signal.SIGTERM)
        receive(notify, "STOPPING")
        check(daemon.wait(timeout=GUARD) == 0, "sejfd stops with exit 0")
        r = subprocess.run([sejfd, "--config", etc + "/sejfd.toml",
                            "--verify-audit-log"], env=env,
                           capture_output=True, text=True, timeout=GUARD)
        check(r.returncode == 0 and "audit chain OK" in r.stdout,
              "the audit chain verifies: " + r.stdout + r.stderr)
    finally:
        if daemon is not None and daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        if failures and os.path.exists(os.path.join(top, "sejfd.err")):
            with open(os.path.join(top, "sejfd.err")) as f:
                print("--- sejfd stderr ---\n" + f.read()[-6000:])
        shutil.rmtree(top, ignore_errors=True)
    print(f"{0 if failures else 1} passed, {1 if failures else 0} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
