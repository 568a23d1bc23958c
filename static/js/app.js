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

  // The board paper's list tables (its appendix, the changes since the last paper, the risks)
  // become cards on a phone as the other lists do (nhsuk-frontend's responsive table, laid out
  // by app.css): each cell gets its column's heading. Done here, not in the template, because an
  // issued paper is HTML kept as it was issued; without this file they stay tables that scroll.
  var PAPER_LISTS = "table.appendix-table, table.changes-table, table.risk-table";
  function paperCards(root) {
    (root || document).querySelectorAll(PAPER_LISTS).forEach(function (table) {
      if (table.classList.contains("nhsuk-table--responsive") || !table.tHead) { return; }
      var headings = [];
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
        for (var i = 0; i < (th.colSpan || 1); i++) { headings.push(th.textContent.trim()); }
        th.setAttribute("role", "columnheader");
      });
      table.classList.add("nhsuk-table--responsive");
      table.setAttribute("role", "table");
      table.tHead.classList.add("nhsuk-table__head");
      table.tHead.setAttribute("role", "rowgroup");
      table.tHead.rows[0].setAttribute("role", "row");
      Array.prototype.forEach.call(table.tBodies, function (body) {
        body.classList.add("nhsuk-table__body");
        body.setAttribute("role", "rowgroup");
        Array.prototype.forEach.call(body.rows, function (row) {
          row.classList.add("nhsuk-table__row");
          row.setAttribute("role", "row");
          var column = 0;
          Array.prototype.forEach.call(row.cells, function (cell) {
            cell.classList.add("nhsuk-table__cell");
            cell.setAttribute("role", cell.tagName === "TH" ? (cell.scope === "row" ? "rowheader" : "columnheader") : "cell");
            if (cell.colSpan > 1 || cell.tagName === "TH") { column += cell.colSpan || 1; return; }
            var value = document.createElement("div");
            value.className = "cell-value";
            while (cell.firstChild) { value.appendChild(cell.firstChild); }
            var heading = document.createElement("span");
            heading.className = "nhsuk-table__heading";
            heading.setAttribute("aria-hidden", "true");
            heading.textContent = headings[column] || "";
            cell.appendChild(heading);
            cell.appendChild(value);
            if (!value.textContent.trim()) { cell.classList.add("card-blank"); }
            column += 1;
          });
        });
      });
    });
  }

  // On a phone the paper's appendix opens folded, one line per theme (a button that shows or
  // hides its deliverables), so the paper is read as its board would, the appendix when wanted.
  // Printed, or without this file, every theme is shown.
  function foldAppendix(root) {
    if (WIDE.matches) { return; }
    (root || document).querySelectorAll(".report-appendix .appendix-theme").forEach(function (theme, i) {
      var heading = theme.querySelector("h3");
      if (!heading || heading.querySelector("button")) { return; }
      var rows = theme.querySelectorAll("tr.deliverable-row").length;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "fold-button";
      button.setAttribute("aria-expanded", "false");
      if (!theme.id) { theme.id = "appendix-theme-" + (i + 1); }
      button.setAttribute("aria-controls", theme.id);
      while (heading.firstChild) { button.appendChild(heading.firstChild); }
      var count = document.createElement("span");
      count.className = "fold-count";
      count.textContent = " (" + rows + " deliverable" + (rows === 1 ? "" : "s") + ")";
      button.appendChild(count);
      heading.appendChild(button);
      theme.classList.add("folded");
      button.addEventListener("click", function () {
        var open = theme.classList.toggle("folded") === false;
        button.setAttribute("aria-expanded", open ? "true" : "false");
      });
    });
  }

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
    paperCards(document);
    foldAppendix(document);
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
