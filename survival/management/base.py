"""What the project's commands share: the one place where the command line maps the error
hierarchy. An error the project reports to people ends the command with its message and exit
status 1 (Django's CommandError), never a traceback."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ml_pipeline.errors import PredictorError


class PredictorCommand(BaseCommand):
    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)
        except PredictorError as exc:
            raise CommandError(exc.message) from exc


def after(done: str, error: PredictorError) -> PredictorError:
    """`error` again, its message prefixed by what was done before it happened (e.g. a
    version registered but not activated), so the person knows what state they are in."""
    return type(error)(f"{done}: {error.message}", field=error.field, rule=error.rule)
