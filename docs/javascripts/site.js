// Reading aids that need the browser (loaded after MathJax; see mkdocs.yml extra_javascript).
(function () {
  "use strict";

  // 1. Every displayed equation fits its column, number included: on a phone a wide equation
  //    is scaled down (font-size of its MathJax container) instead of scrolling sideways.
  //    Recomputed when the window changes size (rotating a phone, resizing a desktop window).
  function fitEquations() {
    document.querySelectorAll(".md-typeset mjx-container[display='true']").forEach(function (c) {
      c.style.fontSize = "";
      c.classList.remove("eq-shrunk");
      var box = c.parentElement;
      var avail = box.clientWidth;
      var need = c.scrollWidth;
      var svg = c.querySelector("svg");
      if (svg && svg.style.minWidth) {
        // a tagged equation: its svg is width 100% with a min-width holding formula + number
        need = Math.max(need, svg.getBoundingClientRect().width, parseFloat(getComputedStyle(svg).minWidth) || 0);
      }
      if (avail > 0 && need > avail + 1) {
        // scale down; part of the width (padding, the tag's gap) does not scale with the font,
        // so correct a few times until it fits
        var scale = avail / need;
        for (var i = 0; i < 6; i++) {
          c.style.fontSize = (Math.floor(scale * 1000) / 10) + "%";
          var w = c.scrollWidth;
          if (w <= avail) break;
          scale = scale * (avail - 2) / w;
        }
        c.classList.add("eq-shrunk");
      }
    });
    document.documentElement.setAttribute("data-eq-fitted", "1");
  }
  window.fitEquations = fitEquations;

  function whenTypeset() {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      MathJax.startup.promise.then(fitEquations);
    } else {
      setTimeout(whenTypeset, 50);
    }
  }
  whenTypeset();
  var pending;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(fitEquations, 100);
  });

  // 2. The language switch keeps the #anchor: equation anchors are the same in both editions.
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
