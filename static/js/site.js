// Behaviour every page shares. Loaded deferred from base.html (no inline scripts: the CSP).
//
// After a refused form submission the page comes back with an error summary; move keyboard and
// screen-reader focus to it, as GOV.UK does, so the user hears what to fix instead of starting
// again from the top of the page.
(function () {
  "use strict";

  function focusErrorSummary(root) {
    var summary = (root || document).querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusErrorSummary(document);
  });
  // htmx swaps (as-you-type search, suggestions) may bring a summary in with the new content.
  document.addEventListener("htmx:afterSwap", function (event) {
    focusErrorSummary(event.target);
  });
})();
