// ccgtrack front-end glue. No inline scripts anywhere (Content-Security-Policy): behaviour
// hangs off data- attributes, and chart data comes from <script type="application/json">.
// Every page works without this file; it only makes things nicer.
(function () {
  "use strict";

  var WIDE = window.matchMedia("(min-width: 48rem)");

  // Print buttons.
  document.addEventListener("click", function (event) {
    var el = event.target.closest && event.target.closest("[data-print]");
    if (el) { event.preventDefault(); window.print(); }
  });

  // The header menu is a <details>: open (and laid out in a row) on wide screens, closed on
  // phones until "Menu" is pressed.
  function syncMenu() {
    var menu = document.getElementById("site-menu");
    if (menu) { menu.open = WIDE.matches; }
  }
  if (WIDE.addEventListener) { WIDE.addEventListener("change", syncMenu); }

  // A filter panel starts folded on phones, so the rows come first.
  function foldFilters() {
    if (WIDE.matches) { return; }
    document.querySelectorAll("details.filters[data-fold-on-phones]").forEach(function (panel) {
      panel.open = false;
    });
  }

  // A table box that scrolls sideways can be scrolled with the keyboard (tabindex) and is
  // announced as a region named after its table; one that fits stays out of the tab order.
  function tableName(box) {
    var table = box.querySelector("table");
    if (!table) { return "Table"; }
    if (table.caption && table.caption.textContent.trim()) { return table.caption.textContent.trim(); }
    if (table.getAttribute("aria-label")) { return table.getAttribute("aria-label"); }
    var section = box.closest("section, article, main");
    var heading = section && section.querySelector("h1, h2, h3");
    return heading ? heading.textContent.trim() : "Table";
  }
  function markScrollers(root) {
    (root || document).querySelectorAll(".table-container").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.tabIndex = 0;
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", tableName(box) + " (scrolls sideways)");
      } else {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }
  window.addEventListener("resize", function () { markScrollers(document); });

  // Charts: <canvas data-chart="id-of-json-script">; the JSON holds a Chart.js config. The
  // canvas fills its .chart-box (responsive, no fixed aspect ratio); count axes show whole
  // numbers only; long labels arrive as arrays of lines (apps/dashboards/charts.py).
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
      if (config.options.indexAxis === "y" && canvas.parentElement) {
        // A horizontal bar chart grows with its rows, so no label is squeezed out.
        var rows = (config.data && config.data.labels || []).length;
        canvas.parentElement.style.height = Math.max(16, rows * 2.8 + 5) + "rem";
      }
      new window.Chart(canvas, config);
      canvas.dataset.drawn = "1";
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    syncMenu();
    foldFilters();
    drawCharts(document);
    markScrollers(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    drawCharts(event.target);
    markScrollers(document);
  });
  // After an in-place change, focus goes where the answer says (data-focus: the row after a
  // save, the note after an error), not back to the top of the page. A table whose rows carry
  // other ids (My work) gets the row the control sits in.
  document.addEventListener("htmx:afterSettle", function () {
    var marker = document.querySelector("[data-focus]");
    if (!marker) { return; }
    var target = document.getElementById(marker.dataset.focus) || marker.closest("tr");
    marker.removeAttribute("data-focus");
    if (!target) { return; }
    if (!target.matches("a, button, input, select, textarea")) { target.tabIndex = -1; }
    target.focus();
  });
})();
