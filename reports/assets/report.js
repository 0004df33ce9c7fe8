// lbcheck report: status filter and expand/collapse. No network, no libraries.
(function () {
  "use strict";
  var buttons = document.querySelectorAll("[data-filter]");
  var items = document.querySelectorAll(".item[data-status]");
  var empty = document.getElementById("no-match");

  function apply(filter) {
    var shown = 0;
    items.forEach(function (el) {
      var show = filter === "all" || el.getAttribute("data-status") === filter;
      el.hidden = !show;
      if (show) shown++;
    });
    buttons.forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.getAttribute("data-filter") === filter));
    });
    if (empty) empty.hidden = shown > 0;
    document.body.setAttribute("data-filter", filter);
  }

  buttons.forEach(function (b) {
    b.addEventListener("click", function () { apply(b.getAttribute("data-filter")); });
  });
  document.querySelectorAll("[data-expand]").forEach(function (b) {
    b.addEventListener("click", function () {
      var open = b.getAttribute("data-expand") === "open";
      items.forEach(function (el) { if (el.tagName === "DETAILS" && !el.hidden) el.open = open; });
    });
  });
  apply("all");
})();
