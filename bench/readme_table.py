"""Copies the Targets table of a benchmark report into the README, between its markers, and
the report's date into the line above them.

Usage: .venv/bin/python bench/readme_table.py [--results bench/RESULTS.md] [--readme README.md]
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
START = "<!-- benchmark-targets: the Targets table of bench/RESULTS.md -->"
END = "<!-- /benchmark-targets -->"
WRITTEN = re.compile(r"on (\d{4}-\d{2}-\d{2}) \d{2}:\d{2} UTC")
SOURCE_LINE = re.compile(r"[Tt]he run it comes from:\n\d{4}-\d{2}-\d{2}")


def targets_table(report: str) -> list[str]:
    """The table lines of the report's Targets section."""
    section = report.split("\n## Targets\n", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("|")]


def with_table(readme: str, report: str) -> str:
    """`readme` with the report's Targets table between the markers and its date above."""
    before, rest = readme.split(START, 1)
    _, after = rest.split(END, 1)
    table = "\n".join(targets_table(report))
    written = WRITTEN.search(report)
    if written:
        before = SOURCE_LINE.sub(lambda m: m.group(0)[:-10] + written.group(1), before)
    return f"{before}{START}\n{table}\n{END}{after}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=PROJECT_DIR / "bench" / "RESULTS.md")
    parser.add_argument("--readme", type=Path, default=PROJECT_DIR / "README.md")
    options = parser.parse_args()
    report = options.results.read_text(encoding="utf-8")
    readme = options.readme.read_text(encoding="utf-8")
    options.readme.write_text(with_table(readme, report), encoding="utf-8")


if __name__ == "__main__":
    main()
