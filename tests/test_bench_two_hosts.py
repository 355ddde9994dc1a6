"""bench/two_hosts.py's report: each endpoint's two layouts and the ratio a second host buys
(the load itself needs `make cluster`'s PostgreSQL and Redis: `bench/two_hosts.py`)."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent.parent / "bench"
sys.path[:0] = [str(BENCH_DIR)]

from two_hosts import TwoHostRow, two_hosts_section  # noqa: E402


def test_the_section_has_every_row_and_the_ratio_of_two_hosts_to_one():
    rows = [
        TwoHostRow("JSON predict", "one host", 16, 400.0, 80.0, 0),
        TwoHostRow("JSON predict", "two hosts", 16, 500.0, 70.0, 0),
        TwoHostRow("htmx preview", "one host", 16, 100.0, 300.0, 0),
        TwoHostRow("htmx preview", "two hosts", 16, 150.0, 250.0, 1),
    ]
    section = two_hosts_section(rows, workers=2, load_before=(1.0, 2.0, 3.0))
    assert "| JSON predict | one host | 16 | 400 | 80.0 | 0 |" in section
    assert "| htmx preview | two hosts | 16 | 150 | 250.0 | 1 |" in section
    assert "JSON predict: two hosts answer 1.25× one host's requests." in section
    assert "htmx preview: two hosts answer 1.50× one host's requests." in section
    assert "same cores" in section
    assert "1.00, 2.00, 3.00" in section
