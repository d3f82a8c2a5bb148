// The dashboard keeps no htmx history snapshot (hx-history="false" in its page): a snapshot holds the
// charts' SVG with its style attributes, which the Content-Security-Policy refuses when htmx parses the
// snapshot back. Going back to a dashboard URL reloads it instead, and the charts are drawn afresh.
(function () {
  "use strict";
  if (window.htmx) window.htmx.config.refreshOnHistoryMiss = true;
})();
