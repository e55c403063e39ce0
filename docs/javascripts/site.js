// Reading aids that need the browser. (Math needs none: hooks/math_render.py typesets it at build time.)
(function () {
  "use strict";

  // The language switch keeps the #anchor: equation anchors are the same in both editions.
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("a[hreflang]");
    if (a && location.hash) {
      a.href = a.href.split("#")[0] + location.hash;
    }
  }, true);
})();
