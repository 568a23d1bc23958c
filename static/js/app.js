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

  // A filter panel starts folded on phones, so the rows come first (unless it has errors).
  function foldFilters() {
    if (WIDE.matches) { return; }
    document.querySelectorAll("details.filters[data-fold-on-phones]").forEach(function (panel) {
      if (!panel.querySelector("[data-error-summary]")) { panel.open = false; }
    });
  }

  // Error summaries (nhsuk-frontend's ErrorSummary, MIT, as its behaviour is there): when a
  // form comes back with errors, focus goes to the summary, which is brought to the top of the
  // window; a link in it focuses its field with the field's label (or legend) in view.
  function focusErrorSummary(summary) {
    if (!summary.hasAttribute("tabindex")) { summary.setAttribute("tabindex", "-1"); }
    var panel = summary.closest("details");
    if (panel) { panel.open = true; }
    summary.scrollIntoView({ block: "start" });
    summary.focus({ preventScroll: true });
  }
  function labelOf(input) {
    var fieldset = input.closest("fieldset");
    var legend = fieldset && fieldset.querySelector("legend");
    if (legend && (input.type === "checkbox" || input.type === "radio")) { return legend; }
    return document.querySelector("label[for='" + input.id + "']") || input.closest("label") || legend;
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-error-summary] a[href^='#']");
    if (!link) { return; }
    var input = document.getElementById(link.hash.slice(1));
    if (!input) { return; }
    event.preventDefault();
    var label = labelOf(input);
    (label || input).scrollIntoView({ block: "start" });
    input.focus({ preventScroll: true });
  });

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

  // A risk review's ratings as its scores are chosen: each pair of scores is looked up in the
  // table the server gives (severity x likelihood and its band, defined once there).
  function liveRatings(root) {
    (root || document).querySelectorAll("[data-live-ratings]").forEach(function (box) {
      var source = document.getElementById(box.dataset.liveRatings);
      if (!source) { return; }
      var table = JSON.parse(source.textContent);
      box.querySelectorAll("[data-severity][data-likelihood]").forEach(function (line) {
        var severity = document.getElementById(line.dataset.severity);
        var likelihood = document.getElementById(line.dataset.likelihood);
        if (!severity || !likelihood) { return; }
        function show() {
          var found = table[severity.value + "x" + likelihood.value];
          var band = line.querySelector(".rating-band");
          if (!found) {
            // A score not chosen yet (a new risk): no rating, rather than one of other scores.
            if (severity.value === "" || likelihood.value === "") {
              line.querySelector(".rating-value").textContent = "—";
              band.textContent = "";
              band.className = "badge rating-band";
            }
            return;
          }
          line.querySelector(".rating-value").textContent = found.rating;
          band.textContent = found.label;
          band.className = "badge rating-band band-" + found.band;
        }
        severity.addEventListener("change", show);
        likelihood.addEventListener("change", show);
        show();
      });
    });
  }

  // The Django admin's change forms (templates/admin/base_site.html loads this file there): name
  // the controls its widgets and scripts leave without a name (axe: label, select-name,
  // aria-input-field-name, aria-prohibited-attr, scrollable-region-focusable). Run when the
  // admin's own scripts have built their widgets (on load), and for each row an inline adds.
  function textOf(el) { return el ? el.textContent.replace(/[:*]\s*$/, "").replace(/\s+/g, " ").trim() : ""; }
  function nameIfUnnamed(control, name) {
    if (!name || control.getAttribute("aria-label") || control.getAttribute("aria-labelledby")) { return; }
    if (control.id && document.querySelector("label[for='" + control.id + "']")) { return; }
    if (control.closest("label")) { return; }
    control.setAttribute("aria-label", name);
  }
  function adminA11y(root) {
    if (!document.body.classList.contains("change-form")) { return; }
    root = root || document;
    // A date and a time of one field (AdminSplitDateTime): "Archived at: date", "...: time".
    root.querySelectorAll("p.datetime").forEach(function (line) {
      var row = line.closest(".form-row, .fieldBox");
      var name = textOf(row && row.querySelector("label"));
      var inputs = line.querySelectorAll("input");
      if (inputs[0]) { nameIfUnnamed(inputs[0], name + ": date"); }
      if (inputs[1]) { nameIfUnnamed(inputs[1], name + ": time"); }
    });
    // The rows of a tabular inline: each control named by its column and its row.
    root.querySelectorAll(".tabular table").forEach(function (table) {
      var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) { return textOf(th); });
      table.querySelectorAll("tbody tr").forEach(function (row, index) {
        Array.prototype.forEach.call(row.cells, function (cell) {
          var column = heads[cell.cellIndex] || (cell.classList.contains("delete") ? "Delete" : "");
          cell.querySelectorAll("input:not([type=hidden]), select, textarea").forEach(function (control) {
            nameIfUnnamed(control, column + " (row " + (index + 1) + ")");
          });
        });
      });
    });
    // Autocomplete fields (select2): the combobox and its text named by the field's label.
    root.querySelectorAll(".select2-selection[role=combobox]").forEach(function (box) {
      var rendered = box.querySelector(".select2-selection__rendered");
      var id = rendered && rendered.id.replace(/^select2-/, "").replace(/-container$/, "");
      var name = textOf(id && document.querySelector("label[for='" + id + "']"));
      if (!name) { return; }
      box.setAttribute("aria-label", name);
      rendered.setAttribute("aria-label", name);
    });
    // The search icons of a two-box selector (filter_horizontal) carry a label: give them a role.
    root.querySelectorAll(".help-tooltip[aria-label]:not([role])").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
    markInlineScrollers(root);
  }
  // An inline that scrolls sideways can be scrolled from the keyboard, and says what it is; one
  // that fits again (a phone turned, a window widened) leaves the tab order.
  function markInlineScrollers(root) {
    root.querySelectorAll(".inline-group").forEach(function (group) {
      if (group.scrollWidth > group.clientWidth + 1) {
        if (group.hasAttribute("tabindex")) { return; }
        group.tabIndex = 0;
        group.setAttribute("role", "region");
        group.setAttribute("aria-label", textOf(group.querySelector("h2")) || "Related rows");
        group.setAttribute("data-scrolls", "");
      } else if (group.hasAttribute("data-scrolls")) {
        ["tabindex", "role", "aria-label", "data-scrolls"].forEach(function (name) { group.removeAttribute(name); });
      }
    });
  }
  window.addEventListener("resize", function () {
    if (document.body.classList.contains("change-form")) { markInlineScrollers(document); }
  });
  window.addEventListener("load", function () {
    adminA11y(document);
    if (!document.body.classList.contains("change-form") || !window.MutationObserver) { return; }
    // Widgets built later (an autocomplete opened, a row added) are named as they appear.
    var pending = false;
    new MutationObserver(function () {
      if (pending) { return; }
      pending = true;
      window.requestAnimationFrame(function () { pending = false; adminA11y(document); });
    }).observe(document.body, { childList: true, subtree: true });
  });

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

  // A card list's column headers are hidden on a phone (read by screen readers, not seen), and
  // with them their sort links: out of the Tab order there, so that the keyboard does not stop
  // on links no one can see ("Sort by" above the cards sorts instead); back in on wide screens.
  // CARDS: the breakpoint of static/css/app.css's cards (nhsuk-frontend's).
  var CARDS = window.matchMedia("screen and (max-width: 48.0525em)");
  function syncHiddenSortLinks() {
    document.querySelectorAll("table.nhsuk-table--responsive > thead a[href]").forEach(function (link) {
      if (CARDS.matches) { link.setAttribute("tabindex", "-1"); } else { link.removeAttribute("tabindex"); }
    });
  }
  if (CARDS.addEventListener) { CARDS.addEventListener("change", syncHiddenSortLinks); }

  document.addEventListener("DOMContentLoaded", function () {
    syncMenu();
    syncHiddenSortLinks();
    foldFilters();
    var summary = document.querySelector("[data-error-summary]");
    if (summary) { focusErrorSummary(summary); }
    paperCards(document);
    foldAppendix(document);
    liveRatings(document);
    drawCharts(document);
    markScrollers(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    syncHiddenSortLinks();
    drawCharts(event.target);
    markScrollers(document);
  });
  // After an in-place change, focus goes where the answer says (data-focus: the row after a
  // save, the error summary after an error), not back to the top of the page. A table whose
  // rows carry other ids (My work) gets the row the control sits in.
  document.addEventListener("htmx:afterSettle", function () {
    var marker = document.querySelector("[data-focus]");
    if (!marker) { return; }
    var target = document.getElementById(marker.dataset.focus) || marker.closest("tr");
    marker.removeAttribute("data-focus");
    if (!target) { return; }
    if (target.hasAttribute("data-error-summary")) { focusErrorSummary(target); return; }
    if (!target.matches("a, button, input, select, textarea")) { target.tabIndex = -1; }
    target.focus();
  });
})();
