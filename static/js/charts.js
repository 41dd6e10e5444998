/* Draws every <canvas data-chart="ID"> with Chart.js from the JSON in <script type="application/json" id="ID">.
   The JSON: {type: "bar" | "doughnut", labels: [...], datasets: [{label, data}], horizontal: bool}.
   The same figures are in a table beside each chart, so nothing depends on this script. */
(function () {
  "use strict";
  var PALETTE = ["#1f6feb", "#2da44e", "#d4a72c", "#cf222e", "#8250df", "#1b7c83", "#bc4c00", "#57606a",
                 "#0969da", "#4ac26b", "#e16f24", "#a475f9"];

  function config(spec) {
    var doughnut = spec.type === "doughnut";
    var datasets = spec.datasets.map(function (ds, i) {
      return {
        label: ds.label,
        data: ds.data,
        backgroundColor: doughnut ? spec.labels.map(function (_, j) { return PALETTE[j % PALETTE.length]; })
                                  : PALETTE[i % PALETTE.length],
        borderWidth: doughnut ? 1 : 0
      };
    });
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { display: doughnut || datasets.length > 1, position: "bottom" } }
    };
    if (!doughnut) {
      options.indexAxis = spec.horizontal ? "y" : "x";
      var valueAxis = { beginAtZero: true, ticks: { precision: 0 } };
      options.scales = spec.horizontal ? { x: valueAxis } : { y: valueAxis };
    }
    return { type: spec.type, data: { labels: spec.labels, datasets: datasets }, options: options };
  }

  function draw() {
    if (typeof window.Chart === "undefined") { return; }
    var canvases = document.querySelectorAll("canvas[data-chart]");
    Array.prototype.forEach.call(canvases, function (canvas) {
      var source = document.getElementById(canvas.getAttribute("data-chart"));
      if (!source) { return; }
      var spec;
      try { spec = JSON.parse(source.textContent); } catch (e) { return; }
      if (!spec.labels || spec.labels.length === 0) { return; }
      canvas.setAttribute("data-drawn", "true");
      new window.Chart(canvas, config(spec));
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
