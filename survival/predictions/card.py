"""The answer card and the phone's answer summary as HTML, built by plain functions.

Every preview of the live form draws them, and through the template engine they were about
a quarter of a preview's CPU time: each `{{ … }}` is looked up, converted and escaped by
the engine's general machinery (bench/profile_preview.py showed it). Here each dynamic text
is escaped once with `escape`, and the HTML given already safe (the version's own lines,
worked out once per version in `version_page`) is inserted as it is.

home.html draws both through its `result-card` and `answer-summary` partials, for the whole
page and for htmx alike, so there is one markup for every answer.
"""

from __future__ import annotations

from html import escape

from django.utils.safestring import SafeString, mark_safe

from survival.predictions.answers import Likeness, Verdict, half_up_text
from survival.predictions.explanation import ShownExplanation
from survival.predictions.services import PredictionOutcome
from survival.predictions.version_page import VersionPage


def result_card(
    *,
    outcome: PredictionOutcome,
    verdict: Verdict,
    page: VersionPage | None,
    likeness: Likeness | None,
    fare_used: float | None,
    share_url: str,
) -> SafeString:
    """The card of an answered passenger: verdict, probability, context, explanation, the
    version that answered and a link that reproduces the answer."""
    percentage = escape(outcome.percentage_text)
    parts = [
        f'<div class="card result-card verdict-{escape(verdict.key)}" '
        f'data-version="{outcome.model_version.version}" data-verdict="{escape(verdict.key)}">\n'
        '<div class="card-body">\n'
        '<p class="verdict-line h3 card-title mb-1"><span class="verdict-symbol" '
        f'aria-hidden="true">{escape(verdict.symbol)}</span> <span class="verdict">'
        f"{escape(verdict.words)}</span> "
        '<span class="badge text-bg-secondary align-middle stale-badge">Out of date</span></p>\n'
        '<p class="mb-2">Probability of survival: '
        f'<strong class="probability">{percentage}%</strong></p>\n'
        '<progress class="w-100 probability-bar" max="100" '
        f'value="{percentage}" aria-label="Probability of survival">{percentage}%</progress>\n'
    ]
    facts = page.facts if page else None
    if facts or likeness:
        parts.append('<ul class="list-unstyled context-facts small mt-2 mb-0">\n')
        if page:
            parts.append(page.base_rate_line)
        if likeness:
            parts.append(_likeness_item(likeness))
        parts.append("</ul>\n")
    if fare_used is not None:
        parts.append(
            '<p class="small text-body-secondary mt-2 mb-0 fare-used">Fare left empty: the '
            f"typical fare of the class, £{half_up_text(fare_used, places=2)}, was used.</p>\n"
        )
    if outcome.explanation:
        parts.append(_explanation_section(outcome.explanation))
    if page:
        parts.append(page.answered_by)
    parts.append(
        f'<p class="small mb-0"><a class="share-link" href="{escape(share_url)}">'
        "Link to this answer</a></p>\n</div>\n</div>"
    )
    return mark_safe("".join(parts))  # every dynamic text above is escaped


def answer_summary(*, outcome: PredictionOutcome, verdict: Verdict) -> SafeString:
    """The phone's one-line answer, kept at the bottom of the screen."""
    return mark_safe(  # every dynamic text is escaped
        '<a class="answer-summary-link" href="#result-heading"><span class="verdict-symbol" '
        f'aria-hidden="true">{escape(verdict.symbol)}</span> <span class="summary-verdict">'
        f'{escape(verdict.words)}</span> <strong class="summary-probability">'
        f"{escape(outcome.percentage_text)}%</strong> "
        '<span class="badge text-bg-secondary stale-badge">Out of date</span></a>'
    )


def _likeness_item(likeness: Likeness) -> str:
    description = escape(likeness.description)
    if likeness.passengers:
        text = (
            f"Passengers like this one ({description}): <strong>{likeness.survived} of "
            f"{likeness.passengers}</strong> survived ({escape(likeness.percentage_text)}%)."
        )
    else:
        text = (
            f"Passengers like this one: there were no {description} on the list, so the "
            "model judges from other passengers."
        )
    return f'<li class="passengers-like">{text}</li>\n'


def _explanation_section(explanation: ShownExplanation) -> str:
    """The card's "why": from the baseline, the largest pushes and the other inputs lumped,
    to the probability; the printed numbers add up (survival/predictions/explanation.py).
    The sign says which way each line pushes, the hidden sentence says it in words: colour
    is never the only signal."""
    parts = [
        '<section class="explanation mt-3" aria-labelledby="why-heading">\n'
        '<h3 id="why-heading" class="h6 mb-2">Why</h3>\n'
        '<p class="mb-1 explanation-baseline d-flex justify-content-between gap-2">'
        f"<span>{escape(explanation.baseline_label)}:</span> "
        f'<strong class="baseline">{escape(explanation.baseline_text)}%</strong></p>\n'
        '<ul class="list-unstyled mb-1 contributions">\n'
    ]
    for line in explanation.lines:
        inputs = (
            ' <span class="small text-body-secondary other-inputs">('
            + ", ".join(escape(label) for label in line.inputs)
            + ")</span>"
            if line.inputs
            else ""
        )
        parts.append(
            '<li class="contribution d-flex justify-content-between gap-2 '
            f'{escape(line.direction)}" data-feature="{escape(line.feature)}">\n'
            f"<span>{escape(line.label)}{inputs}</span>\n"
            f'<span class="points" aria-hidden="true">{escape(line.signed)} pts</span>\n'
            f'<span class="visually-hidden">{escape(line.sentence)}</span>\n'
            "</li>\n"
        )
    if explanation.background_size > 1:
        whose = (
            f"The model's mean probability over {explanation.background_size} training passengers"
        )
    else:
        whose = "The model's probability for the training data's typical passenger"
    parts.append(
        "</ul>\n"
        '<p class="mb-1 pt-1 border-top explanation-total d-flex justify-content-between '
        'gap-2"><span>This passenger:</span> <strong class="explained-probability">'
        f"{escape(explanation.probability_text)}%</strong></p>\n"
        f'<p class="small text-body-secondary mb-2">{whose}, then each input\'s share of the '
        "difference (its Shapley value), in percentage points. Rounded to one decimal; the "
        "other inputs' line takes up the rounding.</p>\n"
        "</section>\n"
    )
    return "".join(parts)


def live_answer(
    *, card: SafeString, summary: SafeString, verdict: Verdict, fare_hint_id: str, fare_hint: str
) -> SafeString:
    """The htmx answer to a valid passenger the visitor is editing in the form (a preview
    as they type, or the form submitted): the card, and out of band an empty status, the
    phone's summary, one element that empties every error slot, and the fare's hint.

    It is what home.html's `htmx-answer` partial renders for that case (a test compares the
    two), built without the template engine because it answers every keystroke and select
    change; the other cases (errors, a preset that refills the form, paused predictions)
    keep the partial.
    """
    return mark_safe(  # every dynamic text is escaped or already safe
        f"{card}\n"
        '<div id="result-status" class="result-status" hx-swap-oob="true"></div>\n'
        f'<div id="answer-summary" class="answer-summary d-lg-none verdict-{escape(verdict.key)}"'
        f' hx-swap-oob="true">{summary}</div>\n'
        '<div hx-swap-oob="innerHTML:#passenger-fields .field-error"></div>\n'
        f'<div id="{escape(fare_hint_id)}" class="form-text field-hint" hx-swap-oob="true">'
        f"{escape(fare_hint)}</div>\n"
    )
