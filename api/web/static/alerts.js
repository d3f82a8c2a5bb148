// The inbox's live list. htmx and its SSE extension do the swapping; this only
// - marks the list with its connection's state (data-live: open, or closed after an error while the
//   extension reconnects), which the page's style and its tests read;
// - keeps one copy of each alert: a stream that resumes may repeat an alert (delivery is at least
//   once), and the copy that arrived last, put first, replaces the older one.
(function () {
  "use strict";

  function listOf(event) {
    var target = event.target;
    return target && target.closest ? target.closest(".alert-list") : null;
  }

  function dedupe(list) {
    var seen = {};
    Array.prototype.slice.call(list.querySelectorAll("[data-alert-id]")).forEach(function (el) {
      var id = el.dataset.alertId;
      if (seen[id]) {
        el.remove();
      } else {
        seen[id] = true;
      }
    });
  }

  document.addEventListener("htmx:sseOpen", function (event) {
    var list = listOf(event);
    if (list) list.dataset.live = "open";
  });
  document.addEventListener("htmx:sseError", function (event) {
    var list = listOf(event);
    if (list) list.dataset.live = "closed";
  });
  document.addEventListener("htmx:sseMessage", function (event) {
    var list = listOf(event);
    if (list) dedupe(list);
  });
})();
