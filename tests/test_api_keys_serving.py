"""API keys on real servers: two gunicorn servers (two workers each) sharing one database
and one cache, as on two hosts. A key issued by the command works on every worker, its rate
is counted across all of them, and its revocation holds on every one from the next request."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from http import HTTPStatus

from tests.test_serving import (  # noqa: F401 (fixtures)
    PASSENGER,
    PROJECT_DIR,
    PYTHON,
    deployment,
    two_servers,
)


def manage(env: dict[str, str], *arguments: str) -> str:
    run = [PYTHON, "manage.py", "api_key", *arguments]
    done = subprocess.run(run, cwd=PROJECT_DIR, env=env, check=True, capture_output=True)
    return done.stdout.decode().strip()


def call(base: str, key: str) -> tuple[int, dict[str, str], dict]:
    request = urllib.request.Request(
        f"{base}/api/v1/predict",
        data=json.dumps(PASSENGER).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as refused:
        return refused.code, dict(refused.headers), json.loads(refused.read())


def test_a_revoked_key_is_refused_by_every_worker(deployment, two_servers):  # noqa: F811
    key = manage(deployment, "create", "everywhere", "--rate", "1000/min")
    # Enough calls that every worker of both servers has seen the key valid.
    assert {call(base, key)[0] for base in two_servers for _ in range(8)} == {HTTPStatus.OK}

    manage(deployment, "revoke", "everywhere")

    answers = [call(base, key) for base in two_servers for _ in range(8)]
    assert {status for status, _, _ in answers} == {HTTPStatus.UNAUTHORIZED}
    for _, headers, body in answers:
        assert headers["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'
        assert body == {"detail": "The API key has been revoked."}


def test_a_keys_rate_is_counted_across_servers(deployment, two_servers):  # noqa: F811
    key = manage(deployment, "create", "counted", "--rate", "4/min")
    statuses = [call(two_servers[number % 2], key)[0] for number in range(6)]
    assert statuses == [HTTPStatus.OK] * 4 + [HTTPStatus.TOO_MANY_REQUESTS] * 2
