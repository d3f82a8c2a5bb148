// Earful's own script: render every chart (`<div class="chart" data-spec='…'>`, a Vega-Lite spec built
// in Python) with vega-embed as SVG, on load and again in whatever htmx swaps in. Nothing else.
// The Content-Security-Policy allows no inline style and no eval: vega-embed runs with its own
// stylesheet off (earful.css styles charts and tooltips) and Vega's expression interpreter (ast).
(function () {
  "use strict";

  function renderCharts(root) {
    if (typeof window.vegaEmbed !== "function") return;
    var scope = root && root.querySelectorAll ? root : document;
    var charts = Array.prototype.slice.call(scope.querySelectorAll(".chart[data-spec]"));
    if (scope.matches && scope.matches(".chart[data-spec]")) charts.push(scope);
    charts.forEach(function (el) {
      if (el.dataset.rendered === el.dataset.spec) return; // already drawn from this very spec
      var spec;
      try {
        spec = JSON.parse(el.dataset.spec);
      } catch (err) {
        console.error("earful: chart spec is not JSON", err);
        return;
      }
      window
        .vegaEmbed(el, spec, {
          renderer: "svg",
          actions: false,
          defaultStyle: false,
          ast: true,
          tooltip: { disableDefaultStyle: true },
        })
        .then(function () {
          el.dataset.rendered = el.dataset.spec;
          el.dispatchEvent(new CustomEvent("earful:chart-rendered", { bubbles: true }));
        })
        .catch(function (err) {
          console.error("earful: chart failed to render", err);
        });
    });
  }

  window.earful = { renderCharts: renderCharts };
  document.addEventListener("DOMContentLoaded", function () {
    renderCharts(document);
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    renderCharts(event.target);
  });
})();
