// Autosave of the proposal form: a few seconds after typing stops, and on every change, the form
// is posted to its data-autosave-url; the status line shows "已自动保存 HH:MM" or the problem.
// The server saves every valid field; a field it could not save (say a cost of "150万块") is
// marked beside itself with the server's message until a later autosave accepts it.
(function () {
  "use strict";
  function start() {
    var form = document.querySelector("form[data-autosave-url]");
    if (!form) { return; }
    var status = document.getElementById("autosave-status");
    var timer = null;
    var busy = false;
    var again = false;
    function show(text) { if (status) { status.textContent = text; } }
    function unmark() {
      form.querySelectorAll("[data-autosave-error]").forEach(function (msg) {
        var input = document.getElementById(msg.dataset.autosaveError);
        if (input) {
          input.removeAttribute("aria-invalid");
          var described = (input.getAttribute("aria-describedby") || "").replace(msg.id, "").trim();
          if (described) { input.setAttribute("aria-describedby", described); }
          else { input.removeAttribute("aria-describedby"); }
          var box = input.closest(".field");
          if (box) { box.classList.remove("field-error"); }
        }
        msg.remove();
      });
    }
    function mark(errors) {
      unmark();
      Object.keys(errors || {}).forEach(function (name) {
        var input = document.getElementById("f-" + name);
        if (!input) { return; }
        var msg = document.createElement("p");
        msg.className = "field-msg";
        msg.id = "f-" + name + "-autosave-error";
        msg.dataset.autosaveError = input.id;
        msg.textContent = errors[name];
        input.insertAdjacentElement("afterend", msg);
        input.setAttribute("aria-invalid", "true");
        var described = input.getAttribute("aria-describedby");
        input.setAttribute("aria-describedby", (described ? described + " " : "") + msg.id);
        var box = input.closest(".field");
        if (box) { box.classList.add("field-error"); }
      });
    }
    function save() {
      timer = null;
      if (busy) { again = true; return; }
      busy = true;
      var data = new FormData(form);
      data.delete("action");
      fetch(form.dataset.autosaveUrl, { method: "POST", body: data, credentials: "same-origin",
                                        headers: { "Accept": "application/json" } })
        .then(function (response) {
          return response.json().then(function (body) { return { ok: response.ok, body: body }; });
        })
        .then(function (result) {
          if (result.ok) {
            mark(result.body.errors);
            show("已自动保存 " + result.body.saved_at + (result.body.detail ? "。" + result.body.detail : ""));
          }
          else { show("未能自动保存：" + (result.body.detail || "请稍后再试。")); }
        })
        .catch(function () { show("未能自动保存：网络连接中断，请稍后再试。"); })
        .then(function () {
          busy = false;
          if (again) { again = false; schedule(500); }
        });
    }
    function schedule(delay) {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(save, delay);
    }
    form.addEventListener("input", function () { show("正在编辑…"); schedule(3000); });
    form.addEventListener("change", function () { schedule(300); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();
