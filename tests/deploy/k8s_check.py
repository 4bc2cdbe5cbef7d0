#!/usr/bin/env python3
"""Checks the Kubernetes manifests under deploy/k8s (no cluster needed).

  k8s_check.py REPO_ROOT

* every .yaml file parses (python3-yaml) and every document has apiVersion, kind and a name;
* kustomization.yaml lists every manifest file, and only existing ones;
* each of the services has a Deployment (two or more replicas with a PodDisruptionBudget;
  resource requests and limits, a
  non-root pod, no privilege escalation, gRPC readiness and liveness probes on its port, the
  Secret lianfang-secrets mounted at /run/secrets with the accounts service's public key as
  jwt_public_key, a metrics port 9100) and a Service exposing that port;
* the Ed25519 private key (Secret lianfang-jwt-signing) is mounted in accounts alone, which
  names it in LF_JWT_SIGNING_KEY_FILE; lianfang-env sets LF_JWT_PUBLIC_KEY_FILE,
  LF_ACCOUNTS_ADDR and LF_METRICS_LISTEN;
* LF_ settings set by the manifests are settings of docs/API.md;
* the ConfigMap lianfang-sites holds exactly deploy/sites.textproto and deploy/risk-regions.txt;
* the managed PostgreSQL and Redis are ExternalName Services.

Exit 0 when all holds, 1 with one line per problem otherwise, 77 (ctest SKIP) when
python3-yaml is not installed (the syntax check then cannot run).
"""
import glob
import os
import re
import sys

SKIP = 77
PORTS = {"gate": 7101, "survey": 7102, "dispatch": 7103, "report": 7104, "gateway": 7100,
         "accounts": 7105, "supplies": 7106}


def api_settings(root):
    with open(os.path.join(root, "docs", "API.md"), encoding="utf-8") as f:
        text = f.read()
    start = text.find("## Running the binaries")
    end = text.find("\n## ", start + 1)
    section = text[start:end if end > 0 else len(text)]
    table = "\n".join(l for l in section.splitlines() if l.startswith("|"))
    return set(re.findall(r"`(LF_[A-Z0-9_]+)`", table))


def main(argv):
    if len(argv) != 2:
        print("usage: k8s_check.py REPO_ROOT", file=sys.stderr)
        return 2
    try:
        import yaml
    except ImportError:
        print("SKIP: python3-yaml is not installed; the manifests' syntax was not checked")
        return SKIP
    root = argv[1]
    k8s = os.path.join(root, "deploy", "k8s")
    problems = []
    docs = []
    files = sorted(glob.glob(os.path.join(k8s, "*.yaml")))
    if not files:
        print(f"FAIL: no manifests in {k8s}")
        return 1
    for path in files:
        name = os.path.basename(path)
        try:
            with open(path, encoding="utf-8") as f:
                loaded = [d for d in yaml.safe_load_all(f) if d is not None]
        except yaml.YAMLError as e:
            problems.append(f"{name}: not valid YAML: {e}")
            continue
        for d in loaded:
            if not isinstance(d, dict) or "apiVersion" not in d or "kind" not in d:
                problems.append(f"{name}: a document without apiVersion/kind")
                continue
            if d["kind"] != "Kustomization" and not d.get("metadata", {}).get("name"):
                problems.append(f"{name}: a {d['kind']} without metadata.name")
            docs.append((name, d))

    kustomization = next((d for _, d in docs if d["kind"] == "Kustomization"), None)
    manifests = {os.path.basename(p) for p in files} - {"kustomization.yaml"}
    if kustomization is None:
        problems.append("kustomization.yaml is missing")
    else:
        listed = set(kustomization.get("resources", []))
        for m in sorted(manifests - listed):
            problems.append(f"kustomization.yaml does not list {m}")
        for m in sorted(listed - manifests):
            problems.append(f"kustomization.yaml lists {m}, which does not exist")

    by_kind = {}
    for _, d in docs:
        by_kind.setdefault(d["kind"], {})[d.get("metadata", {}).get("name")] = d
    settings = api_settings(root)

    env_cm = by_kind.get("ConfigMap", {}).get("lianfang-env", {}).get("data", {})
    for key in env_cm:
        if key.startswith("LF_") and key not in settings:
            problems.append(f"ConfigMap lianfang-env: {key} is not a setting of docs/API.md")

    for key, want in (("LF_JWT_PUBLIC_KEY_FILE", "/run/secrets/jwt_public_key"),
                      ("LF_ACCOUNTS_ADDR", "accounts:7105"),
                      ("LF_METRICS_LISTEN", "0.0.0.0:9100")):
        if env_cm.get(key) != want:
            problems.append(f"ConfigMap lianfang-env: {key} must be {want}")

    sites_cm = by_kind.get("ConfigMap", {}).get("lianfang-sites", {}).get("data", {})
    for key, source in (("sites.textproto", "deploy/sites.textproto"),
                        ("risk-regions.txt", "deploy/risk-regions.txt")):
        with open(os.path.join(root, source), encoding="utf-8") as f:
            if sites_cm.get(key) != f.read():
                problems.append(f"ConfigMap lianfang-sites: {key} differs from {source}")

    for ext in ("lianfang-postgres", "lianfang-redis"):
        svc = by_kind.get("Service", {}).get(ext)
        if not svc or svc.get("spec", {}).get("type") != "ExternalName":
            problems.append(f"Service {ext} must be an ExternalName Service (managed instance)")

    for service, port in PORTS.items():
        dep = by_kind.get("Deployment", {}).get(service)
        if dep is None:
            problems.append(f"Deployment {service} is missing")
            continue
        spec = dep.get("spec", {})
        if not isinstance(spec.get("replicas"), int) or spec["replicas"] < 1:
            problems.append(f"Deployment {service}: replicas must be set")
        elif spec["replicas"] < 2:
            # Every service is correct with several replicas on one database (docs/scaling.md).
            problems.append(f"Deployment {service}: run two or more replicas")
        else:
            # Several replicas: a disruption budget keeps one serving through node drains.
            pdb = by_kind.get("PodDisruptionBudget", {}).get(service, {}).get("spec", {})
            selects = pdb.get("selector", {}).get("matchLabels", {}).get(
                "app.kubernetes.io/name") == service
            if not selects or not isinstance(pdb.get("minAvailable"), int) or \
                    pdb["minAvailable"] < 1:
                problems.append(f"Deployment {service}: {spec['replicas']} replicas need a "
                                "PodDisruptionBudget with minAvailable >= 1 selecting them")
        pod = spec.get("template", {}).get("spec", {})
        psc = pod.get("securityContext", {})
        if psc.get("runAsNonRoot") is not True or not psc.get("runAsUser"):
            problems.append(f"Deployment {service}: the pod must run as non-root with a uid")
        containers = pod.get("containers", [])
        if len(containers) != 1:
            problems.append(f"Deployment {service}: expected one container")
            continue
        c = containers[0]
        if c.get("args", [None])[0] != f"lf-{service}":
            problems.append(f"Deployment {service}: args must select lf-{service}")
        csc = c.get("securityContext", {})
        if csc.get("allowPrivilegeEscalation") is not False:
            problems.append(f"Deployment {service}: allowPrivilegeEscalation must be false")
        res = c.get("resources", {})
        for part in ("requests", "limits"):
            if not all(k in res.get(part, {}) for k in ("cpu", "memory")):
                problems.append(f"Deployment {service}: resources.{part} needs cpu and memory")
        for probe in ("readinessProbe", "livenessProbe"):
            grpc = c.get(probe, {}).get("grpc")
            if not grpc or grpc.get("port") != port:
                problems.append(f"Deployment {service}: {probe} must be a grpc probe on {port}")
        env = {e["name"]: e.get("value") for e in c.get("env", [])}
        for key in env:
            if key.startswith("LF_") and key not in settings:
                problems.append(f"Deployment {service}: {key} is not a setting of docs/API.md")
        if env.get("LF_LISTEN") != f"0.0.0.0:{port}":
            problems.append(f"Deployment {service}: LF_LISTEN must be 0.0.0.0:{port}")
        db = env.get("LF_DB") or ""
        if not db.startswith("postgresql://") or re.match(r"postgresql://[^/@]*:[^/@]*@", db):
            problems.append(f"Deployment {service}: LF_DB must be a postgresql:// URL "
                            f"without a password")
        mounts = {m["name"]: m["mountPath"] for m in c.get("volumeMounts", [])}
        secret_volumes = {v["name"]: v["secret"].get("secretName")
                          for v in pod.get("volumes", []) if "secret" in v}
        if not any(mounts.get(v) == "/run/secrets" and s == "lianfang-secrets"
                   for v, s in secret_volumes.items()):
            problems.append(f"Deployment {service}: Secret lianfang-secrets is not mounted at "
                            f"/run/secrets")
        public = [v for v in pod.get("volumes", [])
                  if v.get("secret", {}).get("secretName") == "lianfang-secrets"]
        if not any(i.get("key") == "jwt-public.pem" and i.get("path") == "jwt_public_key"
                   for v in public for i in v["secret"].get("items", [])):
            problems.append(f"Deployment {service}: the public key jwt-public.pem is not "
                            f"mounted as /run/secrets/jwt_public_key")
        signing = [v["name"] for v in pod.get("volumes", [])
                   if v.get("secret", {}).get("secretName") == "lianfang-jwt-signing"
                   or any(i.get("key") == "jwt-signing.pem"
                          for i in v.get("secret", {}).get("items", []))]
        if bool(signing) != (service == "accounts"):
            problems.append(f"Deployment {service}: the Ed25519 private key (Secret "
                            f"lianfang-jwt-signing) belongs to accounts alone")
        if service == "accounts":
            path = env.get("LF_JWT_SIGNING_KEY_FILE") or ""
            if not signing or not any(path.startswith(mounts.get(v, "//") + "/")
                                      for v in signing):
                problems.append("Deployment accounts: LF_JWT_SIGNING_KEY_FILE must name the "
                                "mounted lianfang-jwt-signing key")
        if not any(p.get("containerPort") == 9100 for p in c.get("ports", [])):
            problems.append(f"Deployment {service}: no metrics port 9100")
        svc = by_kind.get("Service", {}).get(service)
        if svc is None or not any(p.get("port") == port for p in svc["spec"].get("ports", [])):
            problems.append(f"Service {service} does not expose port {port}")

    for p in problems:
        print(f"FAIL: {p}")
    if problems:
        return 1
    print(f"OK: {len(files)} files, {len(docs)} documents, {len(PORTS)} services")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
