// As-you-type suggestions under a search box: the ARIA 1.2 combobox pattern (list autocomplete).
//
// Progressive enhancement: a search input with data-suggest-url (the suggestion API) and
// data-suggest-scope (scenarios | companies) gets a list box of suggestions while the user
// types; without JavaScript the form works as before. Keyboard: Down/Up move through the
// suggestions, Enter takes the highlighted one (fills the box and submits the search), Escape
// closes the list, Tab leaves it. A polite live region says how many suggestions there are.
// Suggestions are inserted as text (never HTML). Loaded deferred; no inline script (the CSP).
(function () {
  "use strict";

  var DELAY_MS = 150;
  var counter = 0;

  function enhance(input) {
    counter += 1;
    var listId = "suggest-list-" + counter;
    var wrap = document.createElement("span");
    wrap.className = "suggest-wrap";
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);

    var list = document.createElement("ul");
    list.id = listId;
    list.className = "suggest-listbox";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "搜索提示");
    list.hidden = true;
    wrap.appendChild(list);

    var status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    wrap.appendChild(status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);

    var items = [];
    var active = -1;
    var timer = null;
    var pending = null;
    var lastAsked = null;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var options = list.querySelectorAll("[role=option]");
      for (var i = 0; i < options.length; i++) {
        options[i].setAttribute("aria-selected", i === index ? "true" : "false");
      }
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(index) {
      var item = items[index];
      if (!item) {
        return;
      }
      input.value = item.text;
      close();
      lastAsked = item.text;
      var form = input.form;
      if (form) {
        if (form.requestSubmit) {
          form.requestSubmit();
        } else {
          form.submit();
        }
      }
    }

    function render(data) {
      items = data.items || [];
      list.textContent = "";
      items.forEach(function (item, i) {
        var option = document.createElement("li");
        option.id = listId + "-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.className = "suggest-option";
        var text = document.createElement("span");
        text.className = "suggest-text";
        text.textContent = item.text;
        var kind = document.createElement("span");
        kind.className = "suggest-kind";
        kind.textContent = item.kind_label;
        option.appendChild(text);
        option.appendChild(kind);
        // mousedown, not click: the input keeps focus, so blur does not close the list first.
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(i);
        });
        list.appendChild(option);
      });
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (items.length && document.activeElement === input) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        status.textContent = "有 " + items.length + " 条搜索提示，用上下方向键选择。";
      } else {
        close();
        status.textContent = "";
      }
    }

    function ask() {
      var q = input.value.trim();
      if (q === lastAsked) {
        return;
      }
      lastAsked = q;
      if (pending) {
        pending.abort();
        pending = null;
      }
      if (!q) {
        render({ items: [] });
        return;
      }
      var url = new URL(input.dataset.suggestUrl, window.location.href);
      url.searchParams.set("q", q);
      url.searchParams.set("scope", input.dataset.suggestScope || "scenarios");
      var controller = window.AbortController ? new AbortController() : null;
      pending = controller;
      fetch(url.toString(), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: controller ? controller.signal : undefined,
      })
        .then(function (response) {
          return response.ok ? response.json() : { items: [] };
        })
        .then(function (data) {
          if (input.value.trim() === q) {
            render(data);
          }
        })
        .catch(function () {
          /* aborted or offline: the search itself still works */
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, DELAY_MS);
    });

    input.addEventListener("keydown", function (event) {
      var open = !list.hidden && items.length > 0;
      if (event.key === "ArrowDown") {
        if (!open) {
          lastAsked = null;
          ask();
          return;
        }
        event.preventDefault();
        highlight(active + 1 >= items.length ? 0 : active + 1);
      } else if (event.key === "ArrowUp" && open) {
        event.preventDefault();
        highlight(active <= 0 ? items.length - 1 : active - 1);
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault();
        choose(active);
      } else if (event.key === "Enter") {
        close(); // the form searches for what was typed
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        close();
      } else if (event.key === "Tab") {
        close();
      }
    });

    input.addEventListener("blur", function () {
      close();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var inputs = document.querySelectorAll("input[data-suggest-url]");
    for (var i = 0; i < inputs.length; i++) {
      enhance(inputs[i]);
    }
  });
})();
