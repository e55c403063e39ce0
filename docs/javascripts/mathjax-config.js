// MathJax 3 configuration, read before assets/mathjax/tex-svg.js (served from this site).
// AMS numbering: every \label{x} gets a number and \eqref{x} links to it.
// Our numbers carry the page's prefix — (B3) on the BPTT page — so that they cannot be
// mistaken for the book's (6.39): hooks/page_extras.py puts the prefix (from
// solutions/publish/pages.toml) in <meta name="eq-prefix">. Ids stay label-based (mjx-eqn:LABEL).
(function () {
  var meta = document.querySelector('meta[name="eq-prefix"]');
  var prefix = meta ? meta.getAttribute("content") : "";
  window.MathJax = {
    loader: { load: ["[tex]/tagformat"] },
    tex: {
      inlineMath: [["\\(", "\\)"]],
      displayMath: [["\\[", "\\]"]],
      processEscapes: true,
      processEnvironments: true,
      tags: "ams",
      packages: { "[+]": ["tagformat"] },
      tagformat: {
        number: function (n) { return prefix + n; },
      },
    },
    options: {
      ignoreHtmlClass: ".*|",
      processHtmlClass: "arithmatex",
      // a click on an equation shows it enlarged (equations scaled down to fit a phone)
      menuOptions: { settings: { zoom: "Click", zscale: "200%" } },
    },
  };
})();
