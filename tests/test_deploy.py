"""The deployment files, read as their tools would: deploy/compose.yaml (two web servers, a
worker, PostgreSQL, Redis and a proxy, each with a health check), the proxy's configuration,
and the README's plain commands, which must be the ones `make cluster` runs."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEPLOY = PROJECT_DIR / "deploy"
SETTINGS = (PROJECT_DIR / "site_config" / "settings.py").read_text(encoding="utf-8")


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def settings_variables() -> set[str]:
    """Every environment variable the settings read (env.str("NAME", …) and the like)."""
    return set(re.findall(r'env\.\w+\(\s*"([A-Z0-9_]+)"', SETTINGS))


def test_compose_has_every_part_each_with_a_health_check():
    services = compose()["services"]
    assert {"postgres", "redis", "web-a", "web-b", "worker", "proxy", "migrate"} <= set(services)
    for name in ("postgres", "redis", "web-a", "web-b", "worker", "proxy"):
        assert services[name]["healthcheck"]["test"], name
    # The web servers are ready only when /readyz says so.
    for name in ("web-a", "web-b"):
        assert "/readyz" in " ".join(services[name]["healthcheck"]["test"])


def test_the_hosts_share_only_postgresql_and_redis():
    services = compose()["services"]
    hosts = [services[name] for name in ("web-a", "web-b", "worker")]
    environments = [host["environment"] for host in hosts]
    assert all(env == environments[0] for env in environments)
    assert environments[0]["DATABASE_URL"].startswith("postgres://")
    assert environments[0]["DATABASE_URL"].endswith("@postgres:5432/titanic")
    assert environments[0]["REDIS_URL"] == "redis://redis:6379/0"
    # Each host its own cache of model files.
    volumes = [host["volumes"][0].split(":")[0] for host in hosts]
    assert len(set(volumes)) == len(volumes)
    assert all(
        host["volumes"][0].endswith(":" + environments[0]["ARTIFACTS_DIR"]) for host in hosts
    )


def test_compose_sets_only_variables_the_settings_read():
    environment = compose()["services"]["web-a"]["environment"]
    assert set(environment) - settings_variables() == set()


def test_the_proxy_balances_both_web_servers_on_their_readiness():
    caddyfile = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    assert "reverse_proxy web-a:8000 web-b:8000" in caddyfile
    assert "health_uri /readyz" in caddyfile
    proxy = compose()["services"]["proxy"]
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]


def test_the_cluster_script_parses():
    subprocess.run(["bash", "-n", str(PROJECT_DIR / "scripts" / "cluster.sh")], check=True)


def test_the_readmes_several_hosts_commands_are_the_ones_make_cluster_runs():
    readme = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Several hosts", 1)[1].split("\n## ", 1)[0]
    procfile = (PROJECT_DIR / "Procfile.cluster").read_text(encoding="utf-8")
    commands = [
        line.split(": ", 1)[1].replace("exec ", "")
        for line in procfile.splitlines()
        if line and not line.startswith("#")
    ]
    assert len(commands) == 4
    for command in commands:
        assert command in section, command
    script = (PROJECT_DIR / "scripts" / "cluster.sh").read_text(encoding="utf-8")
    for step in ("manage.py migrate --noinput", "manage.py train --activate --skip-if-active"):
        assert step in script
        assert step in section
