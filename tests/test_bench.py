"""Keeps `make bench` working: the whole benchmark on its smallest configuration (one model
family, one worker per app, about a second of load per app).

Nothing here is timed; the numbers only count when `make bench` runs at full length.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def test_the_benchmark_runs_every_app_and_writes_its_table(tmp_path, small_titanic_csv):
    output = tmp_path / "RESULTS.md"
    command = [
        sys.executable,
        "bench/run.py",
        "--duration=1",
        "--warmup=0",
        "--algorithms=logreg",
        "--workers=1",
        f"--train-data={small_titanic_csv}",
        "--batch-rows=2000",
        "--model-calls=8",
        f"--state={tmp_path / 'state'}",
        f"--output={output}",
    ]
    run = subprocess.run(command, cwd=PROJECT_DIR, timeout=900, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]

    report = output.read_text(encoding="utf-8")
    # One round per model family asked for, each app serving a model of that family.
    for family in ("logreg",):
        for app in ("ours: htmx predict (with explanation)", "ours: JSON predict"):
            assert f"| {app} | {family} |" in report
        for reference in ("classic Django", "Flask"):
            assert f"| {reference} | {family} |" in report
        assert f"| `{family}`: htmx predict ≥ 1.0× classic Django |" in report
        assert f"- Ours in the `{family}` round: version 1, " in report
    for row in (
        "| ours: htmx predict, a challenger shadowing | logreg |",
        "| floor (bare WSGI) | — |",
        # The model calls are timed for every family, whatever rounds ran.
        "| logreg |",
        "| random_forest |",
        "| hist_gradient_boosting |",
        "| no errors (ours) | 0 | yes |",
        # The explanation's cost, for every family and the calibrated default.
        "| logreg | 24 |",
        "| random_forest | 24 |",
        "| calibrated ensemble | 24 |",
    ):
        assert row in report
