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

  // 3. The Cite page cites the address the reader is reading: each [data-site-path] element
  //    (hooks/citation.py) gets the site's root, found from this page's own URL, plus its path.
  //    Over http(s) only: a file:// address is no address to cite; there the static text stays
  //    (site_url when the publisher configured it, else nothing).
  if (/^https?:$/.test(location.protocol)) {
    document.querySelectorAll("[data-site-root]").forEach(function (box) {
      var root = new URL(box.getAttribute("data-site-root"), location.href);
      root.search = "";
      root.hash = "";
      box.querySelectorAll("[data-site-path]").forEach(function (el) {
        var url = root.href + el.getAttribute("data-site-path");
        el.textContent = el.getAttribute("data-site-form") === "bibtex"
          ? "  url          = {" + url + "},\n" : url;
      });
    });
  }
})();
