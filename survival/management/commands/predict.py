"""`python manage.py predict INPUT.csv`: score a CSV of passengers from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from survival.batch.services import passengers_score_csv, scored_table_to_csv
from survival.management.base import PredictorCommand

NO_SUCH_FILE = "{path}: no such file."
ROWS_REJECTED = "{rejected} of {total} rows rejected (listed above); the other rows were scored."


class Command(PredictorCommand):
    help = (
        "Score a CSV of passengers (titanic3 or Kaggle layout, with or without the target) "
        "and write PassengerId (when present), Survived and Probability for each valid row. "
        "Rejected rows are listed by line with the reason, and the exit status is then 1."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # `--version N` picks a model version here; "resolve" lets it replace the option
        # every Django command has for printing Django's own version.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("input", metavar="INPUT.csv", help="the passengers to score")
        parser.add_argument(
            "--version",
            type=int,
            metavar="N",
            dest="version_number",
            help="the model version to use (default: the active one)",
        )
        parser.add_argument(
            "--output",
            metavar="OUT.csv",
            help="where to write the scores (default: standard output)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["input"])
        if not path.is_file():
            raise CommandError(NO_SUCH_FILE.format(path=path))
        table = passengers_score_csv(
            raw=path.read_bytes(), source=str(path), version_number=options["version_number"]
        )

        csv_text = scored_table_to_csv(table=table).decode()
        if options["output"]:
            Path(options["output"]).write_text(csv_text, encoding="utf-8")
        else:
            self.stdout.write(csv_text, ending="")
        for line, reasons in table.rejected.items():
            self.stderr.write(f"line {line}: {'; '.join(reasons)}")
        # The summary goes to stderr, so that standard output stays a clean CSV.
        self.stderr.write(
            f"Scored {len(table.scored)} of {table.total_rows} rows with model version "
            f"{table.version.version}"
            + (f"; wrote {options['output']}." if options["output"] else "."),
            style_func=None,
        )
        if table.rejected:
            raise CommandError(
                ROWS_REJECTED.format(rejected=len(table.rejected), total=table.total_rows)
            )
