// Progressive enhancement only: the page works without this file.
// When a prediction request fails outright (network down, server error), say so in the
// result region instead of leaving the previous answer as if nothing happened.
document.addEventListener("htmx:responseError", showFailure);
document.addEventListener("htmx:sendError", showFailure);

function showFailure() {
  const result = document.getElementById("result");
  if (!result) return;
  result.innerHTML =
    '<div class="alert alert-warning mb-0" role="alert">' +
    "The prediction could not be fetched. Please check your connection and try again." +
    "</div>";
}
