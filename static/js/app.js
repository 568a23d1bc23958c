// ccgtrack front-end glue. No inline scripts anywhere (Content-Security-Policy): behaviour
// hangs off data- attributes, and chart data comes from <script type="application/json">.
(function () {
  "use strict";

  // Print buttons.
  document.addEventListener("click", function (event) {
    var el = event.target.closest && event.target.closest("[data-print]");
    if (el) { event.preventDefault(); window.print(); }
  });

  // Charts: <canvas data-chart="id-of-json-script">; the JSON holds a Chart.js config.
  function drawCharts(root) {
    if (typeof window.Chart === "undefined") { return; }
    (root || document).querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.dataset.drawn) { return; }
      var source = document.getElementById(canvas.dataset.chart);
      if (!source) { return; }
      var config = JSON.parse(source.textContent);
      config.options = config.options || {};
      config.options.responsive = true;
      config.options.maintainAspectRatio = false;
      config.options.animation = false;
      new window.Chart(canvas, config);
      canvas.dataset.drawn = "1";
    });
  }
  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  document.addEventListener("htmx:afterSwap", function (event) { drawCharts(event.target); });
})();
