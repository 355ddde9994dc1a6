"""How good the default model is on passengers it never saw: the Kaggle-layout check
(`ml_pipeline/kaggle_check.py`) over many orders of the file, so over many held-out splits.

For each order, the bundled passengers are written as a Kaggle train.csv in that order and
trained on as `manage.py train --data FILE` does (default options, seed 42); the run's
held-out fifth (262 passengers) is never seen by any choice it makes. One split says little
(its ROC AUC moves by about ±0.02 from one split to the next), so this reports, for each
algorithm asked for, every split's held-out ROC AUC and Brier score, their mean and standard
deviation, and on how many splits the project's bar (ROC AUC ≥ 0.86, Brier ≤ 0.14) is met.
The same orders are used for every algorithm, so the comparison is paired.

Usage: .venv/bin/python bench/model_quality.py [--orders N] [--algorithms auto,logreg]
       .venv/bin/python bench/model_quality.py --write-csv FILE [--order-seed 42]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
sys.path.insert(0, str(PROJECT_DIR))

from ml_pipeline.kaggle_check import (  # noqa: E402
    CHECK_SEED,
    MAX_HOLDOUT_BRIER,
    MIN_HOLDOUT_ROC_AUC,
    kaggle_check,
    kaggle_layout_csv,
    meets_the_bar,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=10, help="orders 0 … N-1 of the file")
    parser.add_argument("--algorithms", default="auto,logreg", help="comma-separated")
    parser.add_argument("--output", default=str(BENCH_DIR / "MODEL_QUALITY.md"))
    parser.add_argument(
        "--write-csv",
        metavar="FILE",
        help="only write the Kaggle-layout file of --order-seed (for `train --data FILE`)",
    )
    parser.add_argument("--order-seed", type=int, default=CHECK_SEED)
    options = parser.parse_args()
    if options.write_csv:
        Path(options.write_csv).write_bytes(kaggle_layout_csv(order_seed=options.order_seed))
        return 0

    algorithms = options.algorithms.split(",")
    lines = [
        "# Model quality on unseen Kaggle-layout data",
        "",
        f"Written by `bench/model_quality.py --orders {options.orders} "
        f"--algorithms {options.algorithms}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        "Each row: the bundled passengers written as a Kaggle train.csv in one seeded order, "
        "trained on as `manage.py train --data FILE --algorithm A` does (seed 42); the "
        "numbers are the run's held-out fifth (262 passengers no choice saw). "
        f"The bar: ROC AUC ≥ {MIN_HOLDOUT_ROC_AUC}, Brier ≤ {MAX_HOLDOUT_BRIER}.",
        "",
        "| order | "
        + " | ".join(f"{a}: ROC AUC | {a}: Brier | {a}: chose" for a in algorithms)
        + " |",
        "|---:|" + "---:|---:|---|" * len(algorithms),
    ]
    scores: dict[str, list[tuple[float, float, bool, float]]] = {a: [] for a in algorithms}
    for order in range(options.orders):
        cells = []
        for algorithm in algorithms:
            started = time.perf_counter()
            result = kaggle_check(order_seed=order, algorithm=algorithm)
            seconds = time.perf_counter() - started
            holdout = result.holdout_metrics
            scores[algorithm].append(
                (holdout["roc_auc"], holdout["brier"], meets_the_bar(result), seconds)
            )
            chose = result.algorithm + (
                " (calibrated)" if result.evaluation["calibration"]["used"] else ""
            )
            cells += [f"{holdout['roc_auc']:.3f}", f"{holdout['brier']:.3f}", chose]
            print(
                f"order {order}, {algorithm}: ROC AUC {holdout['roc_auc']:.3f}, "
                f"Brier {holdout['brier']:.3f}, {chose}, {seconds:.1f} s",
                flush=True,
            )
        lines.append(f"| {order} | " + " | ".join(cells) + " |")

    lines += [
        "",
        "| algorithm | ROC AUC mean ± std | Brier mean ± std | bar met | seconds per run |",
    ]
    lines.append("|---|---:|---:|---:|---:|")
    for algorithm, rows in scores.items():
        aucs, briers = [r[0] for r in rows], [r[1] for r in rows]
        met = sum(r[2] for r in rows)
        lines.append(
            f"| {algorithm} | {statistics.mean(aucs):.4f} ± {statistics.pstdev(aucs):.4f} "
            f"| {statistics.mean(briers):.4f} ± {statistics.pstdev(briers):.4f} "
            f"| {met} of {len(rows)} | {statistics.mean(r[3] for r in rows):.1f} |"
        )
    report = "\n".join(lines) + "\n"
    Path(options.output).write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
