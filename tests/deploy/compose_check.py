#!/usr/bin/env python3
"""Checks deploy/docker-compose.yml (no Docker engine needed).

  compose_check.py REPO_ROOT [LFCTL_BINARY]

* `docker-compose config` accepts the file with deploy/.env.example (every profile included);
* every LF_ setting it sets is in docs/API.md's settings table;
* every long-running service has a health check and a restart policy; the Lianfang services'
  health checks run `lfctl health <service>` for their own service only, at their own port
  (--<service>-addr=127.0.0.1:<port>), with flags lfctl really has (from `lfctl health --help`
  when LFCTL_BINARY is given, else from tools/lfctl/health_command.cc);
* the JWT key, the PII key, the accounts service's Ed25519 public key and the database
  password are compose secrets read from /run/secrets, the Ed25519 private key is mounted in
  lf-accounts only, and no password is written in the file (LF_DB URLs carry none);
* every Lianfang service knows where lf-accounts is (LF_ACCOUNTS_ADDR) and serves its metrics
  at 0.0.0.0:9100 (LF_METRICS_LISTEN); the optional `prometheus` service (profile
  monitoring) scrapes each of them there, and the gateway's HTTP port;
* the image's entry point (deploy/entrypoint.sh) turns the password secret file into libpq's
  PGPASSWORD and runs the command;
* Redis keeps an append-only file on a volume, PostgreSQL keeps its data on a volume and
  gets its per-service databases from deploy/postgres/, the gateway's HTTP port is published,
  and depends_on waits for health.

Exit 0 when all holds, 1 with one line per problem otherwise, 77 (ctest SKIP) when
docker-compose or python3-yaml is not installed.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
LIANFANG_SERVICES = {"gate": 7101, "survey": 7102, "dispatch": 7103, "report": 7104,
                     "gateway": 7100, "accounts": 7105, "supplies": 7106}
METRICS_PORT = 9100


def api_settings(root):
    """LF_ names in the settings table of docs/API.md ("Running the binaries")."""
    with open(os.path.join(root, "docs", "API.md"), encoding="utf-8") as f:
        text = f.read()
    start = text.find("## Running the binaries")
    if start < 0:
        raise RuntimeError("docs/API.md has no \"Running the binaries\" section")
    end = text.find("\n## ", start + 1)
    section = text[start:end if end > 0 else len(text)]
    table = "\n".join(l for l in section.splitlines() if l.startswith("|"))
    return set(re.findall(r"`(LF_[A-Z0-9_]+)`", table))


def lfctl_health_flags(root, lfctl):
    if lfctl and os.access(lfctl, os.X_OK):
        r = subprocess.run([lfctl, "health", "--help"], capture_output=True, text=True,
                           check=False)
        text = r.stdout + r.stderr
    else:
        with open(os.path.join(root, "tools", "lfctl", "health_command.cc"),
                  encoding="utf-8") as f:
            src = f.read()
        text = " ".join("--" + m for m in re.findall(r'"([a-z][a-z0-9-]*)"', src))
        text += " " + " ".join(f"--{s}-addr" for s in LIANFANG_SERVICES)
    return set(re.findall(r"--([a-z][a-z0-9-]*)", text))


def check_entrypoint(root):
    """Problems of deploy/entrypoint.sh: the secret file must become PGPASSWORD."""
    problems = []
    entrypoint = os.path.join(root, "deploy", "entrypoint.sh")
    show = ["sh", "-c", 'printf "%s|%s" "${PGPASSWORD-unset}" "${PGPASSWORD_FILE-unset}"']
    base = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    with tempfile.TemporaryDirectory() as tmp:
        secret = os.path.join(tmp, "db_password")
        with open(secret, "w", encoding="utf-8") as f:
            f.write("s3cret-Pa55\n")
        r = subprocess.run(["sh", entrypoint] + show, capture_output=True, text=True,
                           env=dict(base, PGPASSWORD_FILE=secret), check=False)
        if r.returncode != 0 or r.stdout != "s3cret-Pa55|unset":
            problems.append(f"entrypoint.sh: the secret file did not become PGPASSWORD "
                            f"(exit {r.returncode}, got {r.stdout!r})")
        r = subprocess.run(["sh", entrypoint] + show, capture_output=True, text=True,
                           env=dict(base, PGPASSWORD_FILE=os.path.join(tmp, "absent")),
                           check=False)
        if r.returncode != 0 or r.stdout != "unset|unset":
            problems.append(f"entrypoint.sh: without a secret file it must set nothing "
                            f"(exit {r.returncode}, got {r.stdout!r})")
    return problems


def check_prometheus(root, svc):
    """Problems of the optional prometheus service and deploy/prometheus/prometheus.yml."""
    import yaml
    problems = []
    if "monitoring" not in (svc.get("profiles") or []):
        problems.append("prometheus: must be optional (profile monitoring)")
    mounted = " ".join(str(v.get("source", "") + ":" + v.get("target", ""))
                       if isinstance(v, dict) else str(v) for v in svc.get("volumes", []))
    for f in ("prometheus.yml", "alerts.yml"):
        if f"/deploy/prometheus/{f}:/etc/prometheus/{f}" not in mounted:
            problems.append(f"prometheus: deploy/prometheus/{f} is not mounted at "
                            f"/etc/prometheus/{f}")
    if not any(":/prometheus" in str(v.get("target", "") if isinstance(v, dict) else ":" +
                                     str(v).split(":", 1)[-1]) for v in svc.get("volumes", [])):
        problems.append("prometheus: its data (/prometheus) is not on a volume")
    with open(os.path.join(root, "deploy", "prometheus", "prometheus.yml"),
              encoding="utf-8") as f:
        config = yaml.safe_load(f)
    targets = {t for job in config.get("scrape_configs", [])
               for sc in job.get("static_configs", []) for t in sc.get("targets", [])}
    for name in LIANFANG_SERVICES:
        if f"{name}:{METRICS_PORT}" not in targets:
            problems.append(f"prometheus.yml: {name}:{METRICS_PORT} is not scraped")
    if "gateway:8080" not in targets:
        problems.append("prometheus.yml: the gateway's HTTP /metrics (gateway:8080) is not "
                        "scraped")
    if "alerts.yml" not in config.get("rule_files", []):
        problems.append("prometheus.yml: alerts.yml is not a rule file")
    return problems


def env_dict(env):
    if isinstance(env, list):
        out = {}
        for item in env:
            k, _, v = item.partition("=")
            out[k] = v
        return out
    return dict(env or {})


def main(argv):
    if len(argv) < 2:
        print("usage: compose_check.py REPO_ROOT [LFCTL_BINARY]", file=sys.stderr)
        return 2
    root = argv[1]
    lfctl = argv[2] if len(argv) > 2 else ""
    compose = shutil.which("docker-compose")
    if compose is None:
        print("SKIP: docker-compose is not installed (tools/install-deps.sh installs it)")
        return SKIP
    try:
        import yaml  # python3-yaml, a dependency of Debian's docker-compose
    except ImportError:
        print("SKIP: python3-yaml is not installed")
        return SKIP

    deploy = os.path.join(root, "deploy")
    compose_file = os.path.join(deploy, "docker-compose.yml")
    env_file = os.path.join(deploy, ".env.example")
    problems = []
    clean_env = {k: v for k, v in os.environ.items()
                 if not k.startswith(("LIANFANG_", "POSTGRES_", "REDIS_", "COMPOSE_"))}
    r = subprocess.run([compose, "-f", compose_file, "--env-file", env_file,
                        "--profile", "tools", "--profile", "monitoring", "config"],
                       capture_output=True, text=True, env=clean_env, check=False)
    if r.returncode != 0:
        print(f"FAIL: docker-compose config rejects the file:\n{r.stderr}")
        return 1
    config = yaml.safe_load(r.stdout)
    services = config.get("services", {})
    settings = api_settings(root)
    health_flags = lfctl_health_flags(root, lfctl)
    with open(compose_file, encoding="utf-8") as f:
        raw = f.read()

    for name in list(LIANFANG_SERVICES) + ["redis", "postgres", "prometheus"]:
        if name not in services:
            problems.append(f"service {name} is missing")

    for name, svc in sorted(services.items()):
        one_shot = "tools" in (svc.get("profiles") or [])
        restart = svc.get("restart")
        if one_shot:
            if restart not in ("no", None):
                problems.append(f"{name}: a one-shot tool must not restart (restart: no)")
        elif restart not in ("always", "unless-stopped", "on-failure"):
            problems.append(f"{name}: no restart policy (always, unless-stopped or on-failure)")
        health = svc.get("healthcheck") or {}
        test = health.get("test")
        if not one_shot and (not test or health.get("disable") or test == ["NONE"]):
            problems.append(f"{name}: no health check")
        env = env_dict(svc.get("environment"))
        for key in env:
            if key.startswith("LF_") and key not in settings:
                problems.append(f"{name}: {key} is not a setting of docs/API.md")
        for key, value in env.items():
            if re.search(r"PASSWORD$", key) and not key.endswith("_FILE"):
                problems.append(f"{name}: {key} puts a password in the compose file")
            if key == "LF_DB" and re.match(r"postgres(ql)?://[^/@]*:[^/@]*@", str(value)):
                problems.append(f"{name}: LF_DB carries a password")
        for dep, cond in (svc.get("depends_on") or {}).items():
            condition = cond.get("condition") if isinstance(cond, dict) else None
            if condition != "service_healthy":
                problems.append(f"{name}: depends_on {dep} does not wait for it to be healthy")

        if name not in LIANFANG_SERVICES:
            continue
        port = LIANFANG_SERVICES[name]
        if env.get("LF_LISTEN") != f"0.0.0.0:{port}":
            problems.append(f"{name}: LF_LISTEN must be 0.0.0.0:{port} in a container")
        if not str(env.get("LF_DB", "")).startswith(("postgresql://", "postgres://")):
            problems.append(f"{name}: LF_DB is not a postgresql:// URL")
        if not isinstance(test, list) or test[:3] != ["CMD", "lfctl", "health"]:
            problems.append(f"{name}: the health check is not `lfctl health`")
        else:
            named = [a for a in test[3:] if not a.startswith("-")]
            if named != [name]:
                problems.append(f"{name}: the health check must ask `lfctl health {name}` "
                                f"(its own service only), not {named}")
            if f"--{name}-addr=127.0.0.1:{port}" not in test[3:]:
                problems.append(f"{name}: the health check must set "
                                f"--{name}-addr=127.0.0.1:{port}")
            for arg in test[3:]:
                flag = arg[2:].split("=", 1)[0] if arg.startswith("--") else None
                if flag is not None and flag not in health_flags:
                    problems.append(f"{name}: lfctl health has no flag --{flag}")
                m = re.search(r"127\.0\.0\.1:(\d+)", arg)
                if m and int(m.group(1)) != port:
                    problems.append(f"{name}: the health check asks port {m.group(1)}, "
                                    f"not the service's {port}")
        mounted = {s.get("source") if isinstance(s, dict) else s for s in svc.get("secrets", [])}
        for key, secret in (("LF_JWT_SECRET_FILE", "jwt_key"), ("LF_PII_KEY_FILE", "pii_key")):
            if env.get(key) != f"/run/secrets/{secret}":
                problems.append(f"{name}: {key} must be /run/secrets/{secret}")
            if secret not in mounted:
                problems.append(f"{name}: secret {secret} is not mounted")
        if "db_password" not in mounted:
            problems.append(f"{name}: secret db_password is not mounted")
        if env.get("LF_JWT_PUBLIC_KEY_FILE") != "/run/secrets/jwt_public_key" or \
                "jwt_public_key" not in mounted:
            problems.append(f"{name}: LF_JWT_PUBLIC_KEY_FILE must be the mounted secret "
                            f"/run/secrets/jwt_public_key")
        signs = name == "accounts"
        if ("jwt_signing_key" in mounted) != signs or \
                ("LF_JWT_SIGNING_KEY_FILE" in env) != signs:
            problems.append(f"{name}: the Ed25519 private key (secret jwt_signing_key, "
                            f"LF_JWT_SIGNING_KEY_FILE) belongs to accounts alone")
        if signs and env.get("LF_JWT_SIGNING_KEY_FILE") != "/run/secrets/jwt_signing_key":
            problems.append(f"{name}: LF_JWT_SIGNING_KEY_FILE must be "
                            f"/run/secrets/jwt_signing_key")
        if env.get("LF_ACCOUNTS_ADDR") != "accounts:7105":
            problems.append(f"{name}: LF_ACCOUNTS_ADDR must be accounts:7105")
        if env.get("LF_METRICS_LISTEN") != f"0.0.0.0:{METRICS_PORT}":
            problems.append(f"{name}: LF_METRICS_LISTEN must be 0.0.0.0:{METRICS_PORT}")
        if "command" not in svc or svc["command"][0] != f"lf-{name}":
            problems.append(f"{name}: the command must select lf-{name}")

    for secret in ("jwt_key", "jwt_public_key", "jwt_signing_key", "pii_key", "db_password"):
        if secret not in (config.get("secrets") or {}):
            problems.append(f"secret {secret} is not declared")

    redis = services.get("redis", {})
    redis_cmd = " ".join(map(str, redis.get("command") or []))
    if "--appendonly yes" not in redis_cmd:
        problems.append("redis: the append-only file is not on (--appendonly yes)")
    if not any(str(v).split(":")[1:2] == ["/data"] for v in redis.get("volumes", [])):
        problems.append("redis: /data is not on a volume")
    pg = services.get("postgres", {})
    pg_env = env_dict(pg.get("environment"))
    if pg_env.get("POSTGRES_PASSWORD_FILE") != "/run/secrets/db_password":
        problems.append("postgres: POSTGRES_PASSWORD_FILE must be /run/secrets/db_password")
    pg_volumes = [str(v) for v in pg.get("volumes", [])]
    if not any(":/var/lib/postgresql/data" in v for v in pg_volumes):
        problems.append("postgres: the data folder is not on a volume")
    if not any("/deploy/postgres/" in v and "docker-entrypoint-initdb.d" in v
               for v in pg_volumes):
        problems.append("postgres: no init script from deploy/postgres/ creates the databases")
    wanted_dbs = {f"lianfang_{s}" for s in LIANFANG_SERVICES}
    used_dbs = {str(env_dict(services[s].get("environment")).get("LF_DB", "")).rsplit("/", 1)[-1]
                for s in LIANFANG_SERVICES if s in services}
    if used_dbs != wanted_dbs:
        problems.append(f"each service needs its own database: {sorted(used_dbs)}")
    if not set(pg_env.get("LIANFANG_DATABASES", "").split()) >= wanted_dbs:
        problems.append("postgres: LIANFANG_DATABASES does not list every service's database")
    ports = services.get("gateway", {}).get("ports", [])
    if not any((p.get("target") if isinstance(p, dict)
                else str(p).split("/")[0].rsplit(":", 1)[-1]) in (8080, "8080") for p in ports):
        problems.append("gateway: the HTTP port 8080 is not published")
    if re.search(r"(?im)password[ \t]*[:=][ \t]*[^\s/$]", raw.replace("PASSWORD_FILE", "")):
        problems.append("the compose file seems to contain a password value")

    problems += check_prometheus(root, services.get("prometheus", {}))
    problems += check_entrypoint(root)

    for p in problems:
        print(f"FAIL: {p}")
    if problems:
        return 1
    print(f"OK: {len(services)} services; settings checked against {len(settings)} LF_ names "
          f"of docs/API.md; lfctl health flags {sorted(health_flags)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
