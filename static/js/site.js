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

// Small screens fold the site menu and the catalog filters behind buttons. The buttons are
// rendered hidden, so without JavaScript everything stays open; here they are shown and keep
// aria-expanded, which the CSS reads (only below its breakpoint; wider screens ignore them).
(function () {
  "use strict";

  function activeFilters(panel) {
    var count = 0;
    panel.querySelectorAll("select").forEach(function (select) {
      if (select.name !== "sort" && select.value !== "") {
        count += 1;
      }
    });
    return count;
  }

  function showCount(button) {
    var label = button.querySelector("[data-filter-count]");
    var panel = document.getElementById(button.getAttribute("aria-controls"));
    if (label && panel) {
      var count = activeFilters(panel);
      label.textContent = count ? "（已选 " + count + " 项）" : "";
    }
  }

  function setUp(button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") === "true";
      button.setAttribute("aria-expanded", open ? "false" : "true");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".menu-toggle, .filters-toggle").forEach(setUp);
    var menuButton = document.querySelector(".menu-toggle");
    var menu = document.getElementById("site-menu");
    if (menuButton && menu) {
      // Escape closes the open menu and gives focus back to its button.
      menu.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && menuButton.getAttribute("aria-expanded") === "true") {
          menuButton.setAttribute("aria-expanded", "false");
          menuButton.focus();
        }
      });
    }
  });
  // Keep "已选 N 项" true as filters change (htmx swaps the fields with fresh facet counts).
  function recount() {
    document.querySelectorAll(".filters-toggle").forEach(showCount);
  }
  document.addEventListener("change", recount);
  document.addEventListener("htmx:afterSwap", recount);
})();
