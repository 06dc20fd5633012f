#!/usr/bin/python3
"""ctest deploy_container_recipe: the structure of the Containerfile, since
no container engine runs on the project's machine to build it.

  check_containerfile.py CONTAINERFILE BINARY...

Checks: every stage's base image is pinned (a point-release tag or a
digest, Debian 12); the build stage runs tools/install-deps.sh; the runtime
stage runs as a numeric non-root USER, starts sejfd by an exec-form
ENTRYPOINT (no shell at run time), has no HEALTHCHECK and installs no -dev
package; its RUNTIME_PACKAGES hold the package of every shared library the
BINARIES need directly (readelf -d NEEDED -> ldd -> dpkg -S) and nothing
else but the packages listed in EXTRA below, each a package dpkg knows.
"""
import json
import os
import re
import subprocess
import sys

# Runtime packages no binary links: the PKCS#11 module sejfd loads by path,
# and the system CA store.
EXTRA = {"softhsm2", "ca-certificates"}
PINNED = re.compile(
    r"^(docker\.io/library/)?debian:(12\.\d+(-slim)?|bookworm-\d{8}(-slim)?)"
    r"(@sha256:[0-9a-f]{64})?$|^(docker\.io/library/)?debian(:[\w.-]+)?"
    r"@sha256:[0-9a-f]{64}$")

failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


def instructions(text):
    """(INSTRUCTION, arguments) with continuations joined, comments dropped."""
    out, current = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#") or not stripped:
            continue
        current += " " + stripped.rstrip("\\").strip() if current else \
            stripped.rstrip("\\").strip()
        if not stripped.endswith("\\"):
            word, _, rest = current.partition(" ")
            out.append((word.upper(), rest.strip()))
            current = ""
    return out


def arg_defaults(instrs):
    args = {}
    for word, rest in instrs:
        if word == "ARG" and "=" in rest:
            name, value = rest.split("=", 1)
            args[name] = value.strip().strip('"')
    return args


def dpkg_owners(paths):
    """path -> package, for the paths dpkg knows (one dpkg -S call)."""
    r = subprocess.run(["dpkg", "-S"] + sorted(set(paths)),
                       capture_output=True, text=True)
    owners = {}
    for line in r.stdout.splitlines():
        package, _, path = line.partition(": ")
        owners[path.strip()] = package.split(",")[0].split(":")[0].strip()
    return owners


def needed_packages(binaries):
    """The packages of the libraries the binaries name in DT_NEEDED."""
    libraries, problems = {}, []
    for binary in binaries:
        dynamic = subprocess.run(["readelf", "-d", binary], check=True,
                                 capture_output=True, text=True).stdout
        ldd = subprocess.run(["ldd", binary], check=True, capture_output=True,
                             text=True).stdout
        paths = dict(re.findall(r"^\s*(\S+) => (\S+)", ldd, re.M))
        for soname in re.findall(r"\(NEEDED\).*\[(.+)\]", dynamic):
            if soname not in paths:
                problems.append(f"{binary}: ldd does not resolve {soname}")
                continue
            path = paths[soname]
            libraries[soname] = (path, os.path.realpath(path))
    owners = dpkg_owners([p for pair in libraries.values() for p in pair])
    packages = set()
    for soname, (path, real) in sorted(libraries.items()):
        owner = owners.get(path) or owners.get(real)
        if owner is None:
            problems.append(f"{soname} ({path}) belongs to no package")
        else:
            packages.add(owner)
    return packages, problems


def main():
    path, binaries = sys.argv[1], sys.argv[2:]
    with open(path) as f:
        instrs = instructions(f.read())
    args = arg_defaults(instrs)

    stages, stage = [], None
    for word, rest in instrs:
        if word == "FROM":
            image, _, name = rest.partition(" AS ")
            image = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m[1], m[0]),
                           image.strip())
            stage = {"image": image, "name": name.strip(), "body": []}
            stages.append(stage)
        elif stage is not None:
            stage["body"].append((word, rest))
    check(len(stages) >= 2, "multi-stage: a build and a runtime stage")
    for s in stages:
        check(bool(PINNED.match(s["image"])),
              f"stage {s['name'] or '?'}: base image pinned: {s['image']}")
    build, runtime = stages[0], stages[-1]
    check(any(w == "RUN" and "tools/install-deps.sh" in r
              for w, r in build["body"]), "build stage runs tools/install-deps.sh")

    users = [r for w, r in runtime["body"] if w == "USER"]
    user = users[-1] if users else ""
    uid = user.split(":")[0]
    check(uid.isdigit() and int(uid) != 0,
          f"runtime USER is a numeric non-root uid: {user!r}")
    entry = [r for w, r in runtime["body"] if w == "ENTRYPOINT"]
    try:
        entry_argv = json.loads(entry[-1]) if entry else []
    except json.JSONDecodeError:
        entry_argv = []
    check(entry_argv[:1] == ["/usr/local/bin/sejfd"],
          f"exec-form ENTRYPOINT starts sejfd without a shell: {entry}")
    for w, r in runtime["body"]:
        if w == "CMD":
            check(r.startswith("["), f"exec-form CMD: {r}")
    check(not any(w == "HEALTHCHECK" for w, _ in runtime["body"]),
          "no HEALTHCHECK (probes use /healthz and /readyz)")
    check(not any(w == "ADD" for w, _ in instrs), "no ADD (COPY only)")

    listed = set(args.get("RUNTIME_PACKAGES", "").split())
    check(bool(listed), "RUNTIME_PACKAGES is set")
    check(all(not p.endswith("-dev") for p in listed),
          "no -dev package at run time")
    check(any(w == "RUN" and "${RUNTIME_PACKAGES}" in r
              for w, r in runtime["body"]),
          "the runtime stage installs RUNTIME_PACKAGES")
    needed, problems = needed_packages(binaries)
    for problem in problems:
        check(False, problem)
    missing = sorted(needed - listed)
    check(not missing, f"every linked library's package is listed "
                       f"(missing: {missing})")
    extra = sorted(listed - needed - EXTRA)
    check(not extra, f"nothing listed that no binary needs (extra: {extra})")
    known = subprocess.run(["dpkg-query", "-W", "-f", "${Package}\\n"]
                           + sorted(listed), capture_output=True,
                           text=True).stdout.split()
    unknown = sorted(listed - set(known))
    check(not unknown, f"every listed package is one dpkg knows "
                       f"(unknown: {unknown})")
    print(f"{0 if failures else 1} passed, {1 if failures else 0} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
