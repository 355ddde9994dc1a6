"""What a visitor waits for in a real browser: Chromium (Playwright) on our page, on loopback.

(a) A select of the form changed (class or sex, in turn) → the new answer painted: from the
    select's change event to the first animation frame after htmx settled the answer, both
    taken in the page with performance.now().
(b) A value typed key by key in the age field → the answer painted, from the last key's
    input event (the form asks for a preview 150 ms after the last key; that wait counts).

The same moments with htmx's swap instead of its settle are kept beside (the site sets no
settle delay, so the two differ by the swap's own work).

Usage: .venv/bin/python bench/browser_timing.py URL [--changes N] [--typings N]
"""

from __future__ import annotations

import argparse
import os
import statistics

from targets import percentile

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]

# Listens in the page: the moment a select changes or a key reaches an input of the form,
# and the first frame after htmx swapped and settled the answer card (htmx fires both events
# on the card, the request's target, and on each out-of-band part of the answer).
PROBE = """() => {
  const fields = document.getElementById("passenger-fields");
  const bench = window.__bench = {started: null, swapped: null, painted: null};
  const mark = (key) => requestAnimationFrame(() => { bench[key] ??= performance.now(); });
  fields.addEventListener("change", () => { bench.started = performance.now(); }, true);
  fields.addEventListener("input", (event) => {
    if (event.target.tagName === "INPUT") bench.started = performance.now();
  }, true);
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.target.id === "result-card") mark("swapped");
  });
  document.addEventListener("htmx:afterSettle", (event) => {
    if (event.target.id === "result-card") mark("painted");
  });
}"""

RESET = "() => { Object.assign(window.__bench, {started: null, swapped: null, painted: null}); }"

PAINTED = "() => window.__bench.painted !== null && window.__bench.swapped !== null"

ELAPSED = """() => {
  const bench = window.__bench;
  return [bench.swapped - bench.started, bench.painted - bench.started];
}"""

# Each select in turn, each time to another value than it has.
SELECTS = (("pclass", ("1", "2", "3")), ("sex", ("female", "male")))
AGES = ("34", "42", "27", "61", "8")
# Between two keys, quicker than the form's 150 ms wait, as a visitor types.
KEY_DELAY_MS = 80
WAIT_MS = 10_000


def bench_browser(base_url: str, *, changes: int = 20, typings: int = 5) -> dict[str, float]:
    """Median and p90, in ms, of (a) and (b) above, on a fresh page of `base_url`."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
            args=CHROMIUM_ARGS,
        )
        try:
            page = browser.new_page()
            page.goto(base_url.rstrip("/") + "/")
            # django-htmx loads htmx with `defer`: it is ready once the document is parsed.
            page.wait_for_function("() => window.htmx !== undefined")
            page.evaluate(PROBE)
            selected = [
                _timed(page, lambda n=number: _change_select(page, n)) for number in range(changes)
            ]
            typed = [_timed(page, lambda n=number: _type_age(page, n)) for number in range(typings)]
        finally:
            browser.close()
    return {
        "changes": len(selected),
        "typings": len(typed),
        "select_median_ms": statistics.median(painted for _, painted in selected),
        "select_p90_ms": percentile([painted for _, painted in selected], 0.9),
        "select_swap_median_ms": statistics.median(swapped for swapped, _ in selected),
        "typing_median_ms": statistics.median(painted for _, painted in typed),
        "typing_p90_ms": percentile([painted for _, painted in typed], 0.9),
        "typing_swap_median_ms": statistics.median(swapped for swapped, _ in typed),
    }


def _timed(page, act) -> tuple[float, float]:
    page.evaluate(RESET)
    act()
    page.wait_for_function(PAINTED, timeout=WAIT_MS)
    swapped, painted = page.evaluate(ELAPSED)
    return swapped, painted


def _change_select(page, number: int) -> None:
    name, values = SELECTS[number % len(SELECTS)]
    select = page.locator(f"#passenger-fields select[name={name}]")
    current = select.input_value()
    select.select_option(next(value for value in values if value != current))


def _type_age(page, number: int) -> None:
    age = page.locator("#passenger-fields input[name=age]")
    # Selecting the old value fires no input event; the first key replaces it.
    age.select_text()
    page.keyboard.type(AGES[number % len(AGES)], delay=KEY_DELAY_MS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="our app's address, e.g. http://127.0.0.1:8000")
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--typings", type=int, default=5)
    options = parser.parse_args()
    timings = bench_browser(options.url, changes=options.changes, typings=options.typings)
    for key, value in timings.items():
        print(f"{key}: {value:.1f}")


if __name__ == "__main__":
    main()
