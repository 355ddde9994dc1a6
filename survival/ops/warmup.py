"""A worker's one-time costs, paid before it takes its first request.

gunicorn calls `warm_up` in each worker after loading the app (see gunicorn.conf.py): the
active model is read, verified and prepared, scored once (nothing is logged), and the page is
rendered once, so the first visitor waits for none of that. Django start-up itself stays
light: nothing here runs on import.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DatabaseError

from survival.registry import selectors
from survival.registry.artifacts import ModelUnavailableError, load_pipeline

logger = logging.getLogger(__name__)


def warm_up() -> None:
    """Loads the active model and renders the page once; a failure is logged, never raised
    (the worker still serves, and answers "no model available" as it would anyway)."""
    from django.test import Client

    from ml_pipeline.explain import survival_probabilities

    try:
        version = selectors.model_version_get_active()
        if version is not None:
            survival_probabilities(load_pipeline(version), [version.reference_passenger])
        host = next((h for h in settings.ALLOWED_HOSTS if h and "*" not in h), "localhost")
        Client(HTTP_HOST=host.lstrip(".")).get("/")
    except (DatabaseError, ModelUnavailableError) as exc:
        logger.warning("worker warm-up incomplete: %s", exc)
