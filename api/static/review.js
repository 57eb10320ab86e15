// Keyboard shortcuts for the review pages (no inline script: the pages' CSP forbids it).
// Queue: "/" search, "j"/"k" next/previous order, Enter opens it.
// Order: "a" approve, "c" cancel (focus the reason first), "n" next held order,
// "q" back to the queue.
(function () {
  "use strict";
  function typing(e) {
    var t = e.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }
  var links = Array.prototype.slice.call(document.querySelectorAll("a.order-link"));
  var current = -1;
  function move(step) {
    if (!links.length) { return; }
    current = Math.max(0, Math.min(links.length - 1, current + step));
    links.forEach(function (a, i) { a.closest("tr").classList.toggle("current", i === current); });
    links[current].focus();
  }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e)) { return; }
    var reason = document.getElementById("reason");
    if (e.key === "/" && document.getElementById("search")) {
      e.preventDefault(); document.getElementById("search").focus();
    } else if (e.key === "j") { move(1); }
    else if (e.key === "k") { move(-1); }
    else if (e.key === "a" && document.getElementById("approve")) {
      e.preventDefault(); document.getElementById("approve").focus();
    } else if (e.key === "c" && document.getElementById("cancel") && reason) {
      // a cancel needs a reason: type it, then Enter submits with the cancel button
      e.preventDefault(); reason.focus(); reason.dataset.submitWith = "cancel";
    } else if (e.key === "n" && document.getElementById("next")) {
      window.location.href = document.getElementById("next").getAttribute("href");
    } else if (e.key === "q" && document.getElementById("back")) {
      window.location.href = "/review";
    }
  });
  var area = document.getElementById("reason");
  if (area) {
    area.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && area.dataset.submitWith) {
        e.preventDefault();
        document.getElementById(area.dataset.submitWith).click();
      }
    });
  }
}());
