// Autosave of the proposal form: a few seconds after typing stops, and on every change, the form
// is posted to its data-autosave-url; the status line shows "已自动保存 HH:MM" or the problem.
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
          if (result.ok) { show("已自动保存 " + result.body.saved_at); }
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
