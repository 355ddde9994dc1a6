// Progressive enhancement only: the /batch page works without this file.
// While htmx uploads a file, the progress bar shows how much has been sent; once the upload
// is complete it becomes an indeterminate bar while the server scores the rows.
document.addEventListener("htmx:xhr:progress", (event) => {
  const bar = document.getElementById("batch-upload-progress");
  if (!bar || !event.detail.lengthComputable) return;
  if (event.detail.loaded >= event.detail.total) {
    bar.removeAttribute("value");
  } else {
    bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
  }
});
document.addEventListener("htmx:beforeRequest", () => {
  const bar = document.getElementById("batch-upload-progress");
  if (bar) bar.value = 0;
});
// The submit button is disabled during the request, which drops keyboard focus; put it on
// the new summary (or the problem) so the next Tab reaches the download link.
document.addEventListener("htmx:afterSwap", (event) => {
  if (event.detail.target.id !== "batch-result") return;
  const landing = document.querySelector("#batch-summary-title, #batch-problem");
  if (landing) landing.focus();
});
document.addEventListener("htmx:responseError", showBatchFailure);
document.addEventListener("htmx:sendError", showBatchFailure);

function showBatchFailure() {
  const result = document.getElementById("batch-result");
  if (!result) return;
  result.innerHTML =
    '<div class="alert alert-warning mb-0" role="alert">' +
    "The file could not be scored: the upload failed. Please check your connection and try again." +
    "</div>";
}
