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
        var scale = Math.floor((avail / need) * 1000) / 1000;
        c.style.fontSize = (scale * 100).toFixed(1) + "%";
        c.classList.add("eq-shrunk");
        // one correction step: rounding inside MathJax's em-based sizes
        if (c.scrollWidth > avail + 1) {
          scale = scale * avail / c.scrollWidth;
          c.style.fontSize = (scale * 100).toFixed(1) + "%";
        }
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
})();
