"""Ours with the work each answer must do taken out: an experiment, never served to anyone.

The htmx preview answers without its explanation (the Shapley lines under the probability),
and the JSON predict without its log write and its rate limit. Everything else is ours as
`make serve` serves it: the same settings, middleware, form, model, templates and database.
bench/headroom.py serves this beside ours and loads both, to show how much of the distance
to the reference apps that work accounts for, and how much is the rest of the request.

gunicorn serves it from the project folder, as the empty Django view is served, with
`headroom_app:application` and bench/ on the path.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


def _without_explanations(passengers_predict: Callable[..., Any]) -> Callable[..., Any]:
    """The prediction service, asked never to explain a preview (an answer not logged)."""

    @functools.wraps(passengers_predict)
    def predict(*args: Any, **kwargs: Any) -> Any:
        if not kwargs.get("log", True):
            kwargs["with_explanations"] = False
        return passengers_predict(*args, **kwargs)

    return predict


def _without_logging(passengers_predict: Callable[..., Any]) -> Callable[..., Any]:
    """The prediction service, asked never to log."""

    @functools.wraps(passengers_predict)
    def predict(*args: Any, **kwargs: Any) -> Any:
        kwargs["log"] = False
        return passengers_predict(*args, **kwargs)

    return predict


def _always_allowed(self: Any, request: Any) -> bool:
    return True


def take_out_required_work() -> None:
    """Replaces, where the code looks them up at each request, the service the page calls
    (explaining no preview), the one the API calls (logging nothing) and the rate limit's
    check (always allowing). bench/apps.py checks both answers before any load."""
    from survival.api import endpoints, rate_window
    from survival.predictions import services

    original = services.passengers_predict
    # The page's predict_survival reads the services module's name at each call.
    services.passengers_predict = _without_explanations(original)
    endpoints.passengers_predict = _without_logging(original)
    rate_window.WindowThrottle.allow_request = _always_allowed


# Ours' own entry point first (it sets Django up): the replaced modules import models.
from site_config.wsgi import application  # noqa: E402

take_out_required_work()

__all__ = ["application"]
