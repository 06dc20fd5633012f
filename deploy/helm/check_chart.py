#!/usr/bin/python3
"""ctest deploy_helm_chart: deploy/helm/sejf rendered without helm (not in
Debian) by helm_lite.py, with its default values and with variants, and
checked as Kubernetes would see it.

  check_chart.py CHART_DIR SEJFD

For each variant: every manifest is YAML with apiVersion, kind and a name;
the Deployment runs non-root with a read-only root file system, no
privilege escalation and no capabilities; its probes ask /readyz and
/healthz on the metrics port; every volumeMount names a volume; every file
sejfd.toml names is mounted; PostgreSQL's URL, password file and CA come
from Secrets; a ServiceMonitor exists exactly when enabled and a
PodDisruptionBudget exactly when replicas > 1. The rendered sejfd.toml is
then read by the real sejfd: it must get past the configuration (exit 1 on
the files absent here, never 2, a configuration error).
"""
import os
import subprocess
import sys
import tempfile
import tomllib

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import helm_lite  # noqa: E402

VARIANTS = {
    "defaults": {},
    "postgres, 3 replicas, ServiceMonitor, CRL": {
        "replicaCount": 3,
        "storage": {"backend": "postgres"},
        "persistence": {"enabled": False},
        "tls": {"crl": True},
        "metrics": {"serviceMonitor": {"enabled": True,
                                       "labels": {"release": "prom"}}},
        "extraEnv": [{"name": "TZ", "value": "Europe/Warsaw"}],
    },
    "network HSM": {
        "hsm": {"module": "/opt/hsm/lib/libvendorpkcs11.so",
                "softhsm2Conf": ""},
        "extraVolumes": [{"name": "hsm-client",
                          "configMap": {"name": "hsm-client"}}],
        "extraVolumeMounts": [{"name": "hsm-client",
                               "mountPath": "/opt/hsm/etc"}],
    },
}

failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


def mounted(path, mounts):
    return any(path == m["mountPath"] or path.startswith(
        m["mountPath"].rstrip("/") + "/") for m in mounts)


def sejfd_reads(sejfd, toml_text, env):
    """sejfd's verdict on a config: exit 2 is a configuration error."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "sejfd.toml")
        with open(path, "w") as f:
            f.write(toml_text)
        os.chmod(path, 0o600)
        clean = {k: v for k, v in os.environ.items()
                 if not k.startswith("SEJF_")}
        r = subprocess.run([sejfd, "--config", path], env=dict(clean, **env),
                           capture_output=True, text=True, timeout=60)
        return r.returncode, r.stderr.strip()


# Sections of issue 16 that other parts add to sejfd ([metrics], the
# postgres backend): while the sejfd under test does not have them yet, its
# refusal of exactly them is reported, not failed. Any other refusal fails,
# and once sejfd knows them, a key the chart gets wrong fails too.
PENDING = ('unknown key "metrics"',
           'storage.backend "postgres"')


def without_pending(config):
    """The configuration less the PENDING parts: no [metrics] table, SQLite
    in place of PostgreSQL."""
    out, skipping = [], False
    for line in config.splitlines():
        header = line.strip().startswith("[")
        if header:
            skipping = line.strip() == "[metrics]"
        if skipping:
            continue
        if line.strip() == 'backend = "postgres"':
            out += ['backend = "sqlite"', 'sqlite_path = "/var/lib/sejf/x.db"']
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def check_variant(name, overrides, sejfd):
    print(f"--- {name}")
    values = helm_lite.merge(yaml.safe_load(open(
        os.path.join(CHART, "values.yaml"))), overrides)
    rendered = helm_lite.render_chart(CHART, overrides)
    docs = []
    for path, text in rendered.items():
        try:
            docs += [d for d in yaml.safe_load_all(text) if d]
        except yaml.YAMLError as e:
            check(False, f"{path} is YAML: {e}")
    kinds = {}
    for d in docs:
        ok = all(k in d for k in ("apiVersion", "kind", "metadata")) and \
            d["metadata"].get("name")
        check(bool(ok), f"{d.get('kind')} has apiVersion, kind, name")
        check(len(d["metadata"]["name"]) <= 63, "name at most 63 characters")
        kinds.setdefault(d["kind"], []).append(d)

    dep = kinds["Deployment"][0]
    pod = dep["spec"]["template"]
    spec = pod["spec"]
    check(dep["spec"]["replicas"] == values["replicaCount"], "replicas")
    check(dep["spec"]["selector"]["matchLabels"].items() <=
          pod["metadata"]["labels"].items(), "selector matches the pod")
    psc = spec["securityContext"]
    check(psc.get("runAsNonRoot") is True and psc.get("runAsUser", 0) != 0,
          "pod runs as non-root")
    check(spec.get("automountServiceAccountToken") is False,
          "no service account token mounted")
    volumes = {v["name"]: v for v in spec["volumes"]}
    containers = spec.get("initContainers", []) + spec["containers"]
    for c in containers:
        sc = c.get("securityContext", {})
        check(sc.get("readOnlyRootFilesystem") is True and
              sc.get("allowPrivilegeEscalation") is False and
              sc.get("capabilities", {}).get("drop") == ["ALL"],
              f"{c['name']}: read-only root, no escalation, no capabilities")
        for m in c.get("volumeMounts", []):
            check(m["name"] in volumes,
                  f"{c['name']}: mount {m['mountPath']} names a volume")
        command = c.get("command") or c.get("args") or []
        check(not any(x in ("sh", "/bin/sh", "bash", "/bin/bash")
                      for x in command), f"{c['name']}: no shell")
    sejfd_c = next(c for c in spec["containers"] if c["name"] == "sejfd")
    ports = {p["name"]: p["containerPort"] for p in sejfd_c["ports"]}
    check(ports.get("metrics") == 9464 == values["service"]["metricsPort"],
          "metrics port 9464")
    for probe, path in (("readinessProbe", "/readyz"),
                        ("livenessProbe", "/healthz"),
                        ("startupProbe", "/healthz")):
        get = sejfd_c.get(probe, {}).get("httpGet", {})
        check(get.get("path") == path and get.get("port") == "metrics",
              f"{probe} on {path} of the metrics port")

    config = next(d for d in kinds["ConfigMap"])["data"]["sejfd.toml"]
    try:
        toml = tomllib.loads(config)
    except tomllib.TOMLDecodeError as e:
        check(False, f"sejfd.toml is TOML: {e}")
        return
    mounts = sejfd_c["volumeMounts"]
    files = [toml["tls"]["ca"], toml["tls"]["cert"], toml["tls"]["key"],
             toml["hsm"]["pin_file"]]
    files += [toml["hsm"]["softhsm2_conf"]] if "softhsm2_conf" in toml[
        "hsm"] else []
    files += [toml["tls"]["crl"]] if "crl" in toml["tls"] else []
    for f in files:
        check(mounted(f, mounts), f"{f} is mounted")
    check(toml["listen"]["tcp"].endswith(":%d" % ports["grpc"]),
          "listen.tcp is the grpc port")
    check(toml.get("metrics", {}).get("listen", "").endswith(":9464"),
          "metrics.listen is the metrics port")
    secret_copies = spec["initContainers"][0]["command"]
    for f in (toml["tls"]["key"], toml["hsm"]["pin_file"]):
        check(os.path.basename(f) in [os.path.basename(x)
                                      for x in secret_copies],
              f"{f} is copied 0600 by the init container")

    env = {e["name"]: e for e in sejfd_c.get("env") or []}
    postgres = values["storage"]["backend"] == "postgres"
    if postgres:
        url = env.get("SEJF_STORAGE_POSTGRES_URL", {})
        check("secretKeyRef" in url.get("valueFrom", {}),
              "postgres URL from a Secret")
        check(mounted(env.get("PGSSLROOTCERT", {}).get("value", "-"), mounts),
              "PostgreSQL CA (PGSSLROOTCERT) mounted from a Secret")
        passfile = env.get("PGPASSFILE", {}).get("value", "-")
        check(mounted(passfile, mounts) and os.path.basename(passfile) in
              [os.path.basename(x) for x in secret_copies],
              "PGPASSFILE copied 0600 from a Secret")
        check("strategy" not in dep["spec"], "rolling updates with postgres")
    else:
        check(dep["spec"].get("strategy", {}).get("type") == "Recreate",
              "Recreate with SQLite on one volume")

    want_sm = values["metrics"]["serviceMonitor"]["enabled"]
    check(("ServiceMonitor" in kinds) == want_sm,
          f"ServiceMonitor {'present' if want_sm else 'absent'}")
    if want_sm:
        svc = kinds["Service"][0]
        sm = kinds["ServiceMonitor"][0]
        check(sm["spec"]["endpoints"][0]["port"] in
              [p["name"] for p in svc["spec"]["ports"]] and
              sm["spec"]["endpoints"][0]["path"] == "/metrics" and
              sm["spec"]["selector"]["matchLabels"].items() <=
              svc["metadata"]["labels"].items(),
              "ServiceMonitor scrapes the Service's metrics port")
    check(("PodDisruptionBudget" in kinds) == (values["replicaCount"] > 1),
          "PodDisruptionBudget exactly when replicas > 1")

    run_env = {"SEJF_STORAGE_POSTGRES_URL":
               "postgresql://sejf@db.invalid/sejf?sslmode=verify-full"} \
        if postgres else {}
    code, err = sejfd_reads(sejfd, config, run_env)
    if code == 2 and any(p in err for p in PENDING):
        print(f"note  sejfd does not know this part yet: {err}")
        # The rest of the configuration is still checked, strictly.
        code, err = sejfd_reads(sejfd, without_pending(config), {})
    check(code != 2, f"sejfd accepts the rendered configuration "
                     f"(exit {code}): {err}")


def main():
    global CHART
    CHART, sejfd = sys.argv[1], sys.argv[2]
    chart = yaml.safe_load(open(os.path.join(CHART, "Chart.yaml")))
    check(chart.get("apiVersion") == "v2" and chart.get("name") == "sejf",
          "Chart.yaml: apiVersion v2, name sejf")
    for name, overrides in VARIANTS.items():
        try:
            check_variant(name, overrides, sejfd)
        except helm_lite.TemplateError as e:
            check(False, f"{name}: renders: {e}")
    print(f"{0 if failures else 1} passed, {1 if failures else 0} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
