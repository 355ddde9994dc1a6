"""Settings of the empty Django view floor: the project's own settings (DEBUG off, the same
middleware, templates, database and cache), with one URL that renders a tiny template.

gunicorn serves it exactly as `make serve` serves the app (site_config.wsgi, the project's
gunicorn.conf.py), with DJANGO_SETTINGS_MODULE=django_floor_settings and bench/ on the
path: what Django, our middleware stack and a template render cost with no work of ours.
"""

from __future__ import annotations

from pathlib import Path

from site_config.settings import *  # noqa: F403
from site_config.settings import TEMPLATES

ROOT_URLCONF = "django_floor"

# The floor's template lives in bench/, beside the project's own templates.
TEMPLATES = [
    {**TEMPLATES[0], "DIRS": [*TEMPLATES[0]["DIRS"], Path(__file__).resolve().parent / "templates"]}
]
