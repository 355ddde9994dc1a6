"""What the visitor's page says of the version that answers, worked out once per version and
process: its typical fares, its training facts, and the card's lines that name it.

A version's row never changes after registration, except whether it is active, the
challenger or broken, which none of this reads. Every preview would otherwise work the same
sentences out again; the card's fixed lines are rendered from their template partials once
and kept as HTML.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from survival.models import ModelVersion
from survival.pages import TemplateFields
from survival.predictions import answers

PAGE = "survival/home.html"


@dataclass(frozen=True)
class VersionPage(TemplateFields):
    """A version as the page tells of it.

    Attributes:
        typical_fares: {ticket class: median fare} in its training data (empty: unknown).
        facts: its training data's passengers, survivors and fitted rows (None: unknown).
        base_rate_line: the card's "N% of the … passengers survived" item ("" without facts).
        answered_by: the card's "Answered by model version N (algorithm)" line.
    """

    typical_fares: dict[int, float]
    facts: answers.TrainingFacts | None
    base_rate_line: SafeString
    answered_by: SafeString


# version pk → (the training_context object it was worked out from, the page).
_pages: dict[int, tuple[dict, VersionPage]] = {}


def version_page(*, version: ModelVersion) -> VersionPage:
    """The page's sentences about `version`, worked out on first use in this process.

    A kept page is used only for the very row object it was made from (the registry keeps
    one per version and process, `artifacts.registered_version`, and every request's copy
    shares its training context), so a row read anew, or another version under a reused
    key, is worked out again.
    """
    kept = _pages.get(version.pk)
    if kept is not None and kept[0] is version.training_context:
        return kept[1]
    page = _work_out(version)
    _pages[version.pk] = (version.training_context, page)
    return page


def _work_out(version: ModelVersion) -> VersionPage:
    facts = answers.training_facts(version=version)
    context = {"facts": facts, "version": version}
    return VersionPage(
        typical_fares=answers.version_typical_fares(version=version),
        facts=facts,
        base_rate_line=SafeString(render_to_string(f"{PAGE}#base-rate-line", context).strip()),
        answered_by=SafeString(render_to_string(f"{PAGE}#answered-by", context).strip()),
    )
