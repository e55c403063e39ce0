// MathJax 3 configuration, read before assets/mathjax/tex-svg.js (served from this site).
// AMS numbering: every \label{x} gets a number and \eqref{x} links to it.
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
    tags: "ams",
  },
  options: {
    ignoreHtmlClass: ".*|",
    processHtmlClass: "arithmatex",
  },
};
