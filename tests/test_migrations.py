"""The migrations describe the models exactly: nothing is left for makemigrations to write."""

from __future__ import annotations

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_the_models_need_no_new_migration():
    # --check exits with an error when a model differs from what the migrations build.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
