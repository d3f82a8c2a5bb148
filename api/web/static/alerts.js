// The inbox's live list: an alert that arrives over the stream while the page already shows it (a
// stream that resumes may repeat an alert: delivery is at least once) replaces the older copy instead of
// appearing twice. Nothing else: htmx and its SSE extension do the rest.
(function () {
  "use strict";

  function dedupe(list) {
    var seen = {};
    Array.prototype.slice.call(list.querySelectorAll("[data-alert-id]")).forEach(function (el) {
      var id = el.dataset.alertId;
      if (seen[id]) {
        el.remove(); // the later one is the older copy: newer arrivals are put first
      } else {
        seen[id] = true;
      }
    });
  }

  document.addEventListener("htmx:sseMessage", function (event) {
    var list = event.target && event.target.closest ? event.target.closest(".alert-list") : null;
    if (list) dedupe(list);
  });
})();
