// The composer's one job the browser does alone: say when the live check could not be reached (htmx keeps the
// last preview and swaps nothing on an error), and clear that once a check answers again. No rule lives here.
(function () {
  "use strict";
  function errorBox() { return document.getElementById("preview-error"); }
  document.addEventListener("htmx:responseError", function () { var box = errorBox(); if (box) { box.hidden = false; } });
  document.addEventListener("htmx:sendError", function () { var box = errorBox(); if (box) { box.hidden = false; } });
  document.addEventListener("htmx:afterSwap", function () { var box = errorBox(); if (box) { box.hidden = true; } });
})();
