// Progressive enhancement only: the page works without this file.

// The passenger form previews live: typing in an input asks for a preview about 150 ms after
// the last key (the delay is in the fields' hx-trigger), a select at once. Telling the two
// apart here, rather than with htmx trigger filters, keeps htmx from evaluating code, which
// the page's Content-Security-Policy forbids. A select fires "input" too, so only "change"
// counts for it.
document.addEventListener("input", (event) => {
  const fields = event.target.closest("#passenger-fields");
  if (!fields || event.target.tagName !== "INPUT") return;
  if (event.target.name === "fare") {
    // The visitor typed a fare: from now on it is theirs and no longer follows the class.
    event.target.dataset.typed = "yes";
  }
  fields.dispatchEvent(new CustomEvent("passenger-typed"));
});
document.addEventListener("change", (event) => {
  const fields = event.target.closest("#passenger-fields");
  if (!fields || event.target.tagName !== "SELECT") return;
  if (event.target.name === "pclass") followClassWithFare(fields, event.target.value);
  fields.dispatchEvent(new CustomEvent("passenger-picked"));
});

// Until the visitor types a fare, the fare is the typical (median) fare of the chosen class
// in the model's training data; the server sends those in data-typical-fares ("1:60,2:15.05")
// and says in the fare's hint what the value is, with the preview that follows.
function followClassWithFare(fields, pclass) {
  const fare = fields.querySelector("input[name=fare]");
  if (!fare || fare.dataset.typed === "yes" || !fare.dataset.typicalFares) return;
  const typical = new Map(fare.dataset.typicalFares.split(",").map((pair) => pair.split(":")));
  if (typical.has(pclass)) fare.value = typical.get(pclass);
}

// Submitting right after typing: the typing's preview, due 150 ms after the last key, would
// cancel the submission's answer (every request of the form replaces the one in flight). A
// preview of exactly the passenger being submitted is skipped; a change made since is not.
let submitted = null;
function passengerQuery(fields) {
  return [...fields.querySelectorAll("input, select")]
    .map((control) => `${control.name}=${control.value}`)
    .join("&");
}
document.addEventListener("htmx:confirm", (event) => {
  const elt = event.detail.elt;
  const fields = elt.querySelector ? elt.querySelector("#passenger-fields") : null;
  if (elt.id === "passenger-form" && fields) {
    submitted = passengerQuery(fields);
  } else if (elt.id === "passenger-fields" && submitted === passengerQuery(elt)) {
    event.preventDefault();
  }
});
document.addEventListener("htmx:afterRequest", (event) => {
  if (event.detail.elt.id === "passenger-form") submitted = null;
});

// A newer change cancels the request still in flight (hx-sync "replace"): that is expected,
// but htmx reports every cancelled request with console.error. Only those reports, made
// while htmx handles the cancellation, are left out; any other error is still reported.
document.addEventListener("htmx:beforeSend", (event) => {
  const xhr = event.detail.xhr;
  const handleAbort = xhr.onabort;
  if (!handleAbort) return;
  xhr.onabort = function (...args) {
    const report = console.error;
    console.error = (message, ...rest) => {
      if (typeof message === "string" && message.startsWith("htmx:")) return;
      report(message, ...rest);
    };
    try {
      return handleAbort.apply(this, args);
    } finally {
      console.error = report;
    }
  };
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
// Once per answer, after all its parts are in: htmx fires htmx:afterSwap on the request's
// target after the out-of-band parts (then again on each of those), and htmx:oobAfterSwap
// many times over (on every part swapped so far, after each part).
document.addEventListener("htmx:afterSwap", (event) => {
  if (event.target === event.detail.target) syncFieldStates();
});

// The address bar follows every answer: the server names the answer's address in
// HX-Replace-Url ("false" when there is none to show). Chromium spends several milliseconds
// on a replaced address (a same-document navigation, then the page's icon fetched and
// decoded anew), and htmx would spend them before it swaps the answer in, so its own
// history is off (templates/base.html) and the address is replaced here, once the answer is
// painted: after the next frame (at once in a hidden tab, which draws no frames). The entry
// is marked as htmx's, so that coming back to it (from a #link) reloads it from the server
// as htmx would.
let addressToShow = null;
function showAddress() {
  if (addressToShow === null) return;
  history.replaceState({ htmx: true }, "", addressToShow);
  addressToShow = null;
}
document.addEventListener("htmx:afterRequest", (event) => {
  const xhr = event.detail.xhr;
  const address = event.detail.successful && xhr ? xhr.getResponseHeader("HX-Replace-Url") : null;
  if (!address || address === "false") return;
  const scheduled = addressToShow !== null;
  addressToShow = address; // a newer answer's address replaces one not yet shown
  if (document.visibilityState === "hidden") {
    showAddress();
  } else if (!scheduled) {
    requestAnimationFrame(() => setTimeout(showAddress));
  }
});

// When a request fails outright (network down, server error), say so where the result is
// instead of leaving an old answer as if nothing happened.
function showFailure() {
  const card = document.getElementById("result-card");
  if (!card) return;
  card.innerHTML =
    '<div class="alert alert-warning mb-0">' +
    "The prediction could not be fetched. Please check your connection and try again." +
    "</div>";
  const summary = document.getElementById("answer-summary");
  if (summary) summary.innerHTML = "";
}
document.addEventListener("htmx:responseError", showFailure);
document.addEventListener("htmx:sendError", showFailure);
