"""`python manage.py api_key create NAME [--rate R] | revoke NAME | list`: the API's keys
from the command line."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from survival.apikeys.services import api_key_create, api_key_list, api_key_rate, api_key_revoke
from survival.management.base import PredictorCommand

CREATED = (
    'Created API key "{name}" ({prefix}…, rate {rate}). The key is on standard output and '
    "is shown only this once: store it now. Send it as: Authorization: Bearer <key>"
)
REVOKED = 'Revoked API key "{name}": every host refuses it from its next request on.'
NO_KEYS = "No API keys yet; create one with: manage.py api_key create NAME"


class Command(PredictorCommand):
    help = (
        "Issue, revoke and list the keys programs send to the JSON API "
        "(Authorization: Bearer <key>)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        create = actions.add_parser(
            "create", help="issue a key and print it (once: only its hash is kept)"
        )
        create.add_argument("name", help="who or what uses the key (unique)")
        create.add_argument(
            "--rate",
            default="",
            metavar="R",
            help="its own rate, e.g. 600/min (default: the API_KEY_RATE setting's)",
        )
        revoke = actions.add_parser("revoke", help="refuse the key from now on, on every host")
        revoke.add_argument("name", help="the key's name")
        actions.add_parser("list", help="every key: name, prefix, rate, created, revoked")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            issued = api_key_create(name=options["name"], rate=options["rate"])
            # The key alone on standard output, so that `KEY=$(… api_key create …)` works;
            # the words about it go to standard error.
            self.stdout.write(issued.key)
            api_key = issued.api_key
            message = CREATED.format(
                name=api_key.name, prefix=api_key.prefix, rate=api_key_rate(api_key)
            )
            self.stderr.write(message, style_func=None)
        elif action == "revoke":
            api_key = api_key_revoke(name=options["name"])
            self.stdout.write(REVOKED.format(name=api_key.name))
        else:
            self._list()

    def _list(self) -> None:
        api_keys = list(api_key_list())
        if not api_keys:
            self.stdout.write(NO_KEYS)
            return
        rows = [("NAME", "PREFIX", "RATE", "CREATED (UTC)", "REVOKED (UTC)", "LAST USED (UTC)")]
        for api_key in api_keys:
            rate = api_key.rate or f"{api_key_rate(api_key)} (default)"
            rows.append(
                (
                    api_key.name,
                    f"{api_key.prefix}…",
                    rate,
                    _when(api_key.created_at),
                    _when(api_key.revoked_at),
                    _when(api_key.last_used_at),
                )
            )
        widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
        for row in rows:
            line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            self.stdout.write(line.rstrip())


def _when(moment: Any) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else "-"
