// Follow the visitor's light or dark preference with Bootstrap 5.3's colour modes, and
// switch when the preference changes. Without JavaScript the page stays light.
(function () {
  const dark = window.matchMedia("(prefers-color-scheme: dark)");
  const apply = () =>
    document.documentElement.setAttribute("data-bs-theme", dark.matches ? "dark" : "light");
  apply();
  dark.addEventListener("change", apply);
})();
