// Progressive enhancement only: the page works without this file.

// The passenger form answers live: typing in an input about 300 ms after the last key (the
// delay is in the form's hx-trigger), a select at once. Telling the two apart here, rather
// than with htmx trigger filters, keeps htmx from evaluating code, which the page's
// Content-Security-Policy forbids. A select fires "input" too, so only "change" counts for it.
document.addEventListener("input", (event) => {
  const form = event.target.closest("#passenger-form");
  if (form && event.target.tagName === "INPUT") {
    form.dispatchEvent(new CustomEvent("passenger-typed"));
  }
});
document.addEventListener("change", (event) => {
  const form = event.target.closest("#passenger-form");
  if (form && event.target.tagName === "SELECT") {
    form.dispatchEvent(new CustomEvent("passenger-picked"));
  }
});

// A live answer updates each field's error slot without replacing the inputs (the visitor
// may still be typing); mirror the slot into the input's invalid state for styling and for
// assistive technology.
function syncFieldStates() {
  document.querySelectorAll("#passenger-form .field-error").forEach((slot) => {
    const input = document.getElementById(slot.id.replace(/_error$/, ""));
    if (!input) return;
    const invalid = slot.textContent.trim() !== "";
    input.classList.toggle("is-invalid", invalid);
    if (invalid) {
      input.setAttribute("aria-invalid", "true");
    } else {
      input.removeAttribute("aria-invalid");
    }
  });
}
document.addEventListener("htmx:oobAfterSwap", syncFieldStates);
document.addEventListener("htmx:afterSwap", syncFieldStates);

// When a request fails outright (network down, server error), say so where the result is
// instead of leaving an old answer as if nothing happened.
function showFailure() {
  const card = document.getElementById("result-card");
  if (!card) return;
  card.innerHTML =
    '<div class="alert alert-warning mb-0">' +
    "The prediction could not be fetched. Please check your connection and try again." +
    "</div>";
}
document.addEventListener("htmx:responseError", showFailure);
document.addEventListener("htmx:sendError", showFailure);
