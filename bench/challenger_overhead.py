"""What shadowing costs a request: the median time of the challenger step (find the
challenger, score the passengers' own rows with it) for one passenger, with a logistic
regression and with a random forest as the challenger, beside a whole prediction's time with
and without a challenger.

    .venv/bin/python bench/challenger_overhead.py [--calls 1000]

It trains both models on the bundled data in a throw-away SQLite database and artifact folder,
so it touches nothing of the project's own state (a few minutes on two busy cores).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def median_microseconds(call: Callable[[], object], count: int) -> float:
    call()  # the first call may load the model file
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000, help="timed calls per measure")
    options = parser.parse_args()

    state = Path(tempfile.mkdtemp(prefix="challenger-bench-"))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="site_config.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="challenger-bench-only",
        DATABASE_URL=f"sqlite:///{state / 'bench.sqlite3'}",
        ARTIFACTS_DIR=str(state / "artifacts"),
        LOG_LEVEL="WARNING",
        OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"),
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from ml_pipeline.data import load_dataset
    from ml_pipeline.schema import default_passenger
    from ml_pipeline.training import train
    from survival.models import Prediction
    from survival.predictions import services as predictions
    from survival.registry import services as registry

    call_command("migrate", verbosity=0)
    dataset = load_dataset()
    versions = {
        algorithm: registry.model_version_register(result=train(dataset, algorithm=algorithm))
        for algorithm in ("logreg", "random_forest")
    }
    passenger = [default_passenger()]

    print(f"median of {options.calls} calls, one passenger, microseconds")
    print("challenger      champion        challenger step  prediction without  with")
    pairs = (("logreg", "random_forest"), ("random_forest", "logreg"))
    for challenger_name, champion_name in pairs:
        champion, challenger = versions[champion_name], versions[challenger_name]
        registry.model_version_clear_challenger()
        registry.model_version_activate(version=champion)

        def predict() -> object:
            return predictions.predict_survival(passenger=passenger[0])

        without = median_microseconds(predict, options.calls)
        registry.model_version_make_challenger(version=challenger)
        step = median_microseconds(
            lambda champion=champion, challenger=challenger: predictions._challenger_probabilities(
                champion=champion, challenger=challenger, inputs=passenger
            ),
            options.calls,
        )
        with_challenger = median_microseconds(predict, options.calls)
        print(
            f"{challenger_name:<15} {champion_name:<15} {step:>15.0f}  "
            f"{without:>18.0f}  {with_challenger:>4.0f}"
        )
    assert Prediction.objects.filter(challenger__isnull=False).exists()
    return 0


if __name__ == "__main__":
    sys.exit(main())
