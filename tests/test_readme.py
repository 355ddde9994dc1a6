"""The README's command blocks, run as written, in the state `make run` leaves: a secret key
in the env file (written by the same script), the database migrated, a model active, the
server listening.

Not run here, and why: `make …` lines (the set-up commands themselves, which CI and the
newcomer check run on a fresh clone) and lines with `…` (templates for the reader's own
values). The server answers on a free port instead of 8000, the only change made.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_serving import start_server, stop_server

PROJECT_DIR = Path(__file__).resolve().parent.parent
PYTHON = str(Path(sys.executable))
BLOCK = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)


def readme_blocks() -> list[list[str]]:
    """Every ```sh block of the README, as its lines."""
    text = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    return [block.splitlines() for block in BLOCK.findall(text)]


def runnable(line: str) -> bool:
    """Commands and their continuation lines; not `make …`, templates or output examples."""
    return bool(line) and not line.startswith(("make ", "#")) and "…" not in line


def json_answers(output: str) -> list[object]:
    """The JSON documents curl printed one after another (without newlines between)."""
    decoder, answers, position = json.JSONDecoder(), [], 0
    while position < len(output):
        answer, position = decoder.raw_decode(output, position)
        answers.append(answer)
        while position < len(output) and output[position].isspace():
            position += 1
    return answers


@pytest.fixture(scope="module")
def after_make_run(tmp_path_factory):
    """What `make run` leaves, in a folder of its own: the env file with a generated key,
    the database migrated and a first model active; and a server of the app."""
    folder = tmp_path_factory.mktemp("readme")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SECRET_KEY", "DJANGO_DEBUG", "DJANGO_CACHE_BACKEND"}
    }
    env.update(
        DJANGO_ENV_FILE=str(folder / ".env"),
        DATABASE_URL=f"sqlite:///{folder / 'db.sqlite3'}",
        ARTIFACTS_DIR=str(folder / "artifacts"),
        DJANGO_CACHE_LOCATION=str(folder / "cache"),
        LOG_LEVEL="WARNING",
        OMP_NUM_THREADS="1",
    )
    subprocess.run(
        ["scripts/ensure_env_file.sh", PYTHON, env["DJANGO_ENV_FILE"]],
        cwd=PROJECT_DIR,
        env=env,
        check=True,
    )
    manage = [PYTHON, "manage.py"]
    for command in (["migrate", "--noinput"], ["train", "--algorithm", "logreg", "--activate"]):
        subprocess.run([*manage, *command], cwd=PROJECT_DIR, env=env, check=True)
    server, base = start_server(env, workers=1)
    yield env, base
    stop_server(server)


def test_the_readme_has_the_blocks_this_test_runs():
    blocks = readme_blocks()
    assert any("make run" in line for block in blocks for line in block)
    assert sum(any(runnable(line) for line in block) for block in blocks) >= 8


def test_every_readme_command_works_as_written(after_make_run):
    env, base = after_make_run
    port = base.rsplit(":", 1)[1]
    for block in readme_blocks():
        script = "\n".join(line for line in block if runnable(line))
        if not script:
            continue
        pasted = script.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
        run = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", pasted],
            cwd=PROJECT_DIR,
            env=env,
            capture_output=True,
            text=True,
        )
        assert run.returncode == 0, f"{script}\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}"
        if script.startswith("curl"):
            for answer in json_answers(run.stdout):
                # An error answer is {"detail": …}; the README shows none.
                assert not (isinstance(answer, dict) and "detail" in answer), (script, answer)
    (PROJECT_DIR / "scored.csv").unlink(missing_ok=True)
