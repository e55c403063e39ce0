"""MkDocs hook: every formula typeset at build time by MathJax 3, so a page shows its math on arrival.

MathJax 3.2.2 (the ``es5`` components of PyPI's ``django-static-mathjax``) runs inside V8 through
PyPI's ``mini-racer``: no Node, no browser, no network. Each formula of the built HTML
(``<span class="arithmatex">\\(…\\)</span>`` and ``<div class="arithmatex">\\[…\\]</div>`` from
pymdownx.arithmatex, and the TeX that headings carry into the table of contents and the menu)
is replaced by MathJax's SVG output, with its MathML beside it for screen readers
(``mjx-assistive-mml``, MathJax's own assistive-MathML extension). No MathJax script is loaded
by the pages. The search index is made from the pages' TeX before this runs, so no MathML text
reaches it (hooks/search_index.py turns the TeX into plain text).

Numbering (``\\label``/``\\eqref``, as MathJax's AMS numbering does in the browser): on a page,
the n-th ``equation`` environment is numbered prefix + n — (B3) on the BPTT page, the prefix
from ``solutions/publish/pages.toml`` (``<meta name="eq-prefix">``, hooks/page_extras.py) — unless it
holds ``\\tag``, ``\\notag`` or ``\\nonumber``. The print edition numbers each page it includes
as that page does. The tag keeps MathJax's id ``mjx-eqn:LABEL``; ``\\eqref{LABEL}`` becomes a
link to the static anchor ``#eq-LABEL`` (hooks/equation_anchors.py). A ``\\eqref`` without its
``\\label``, a TeX error, or an environment this numbering does not know (``align``, ``gather``,
``multline``: use ``equation`` with ``aligned``/``gathered``) stops the build.

Numbers a demo printed in Python's e-notation (``2.401e-48``, inserted into a formula by
``{{ value(…) }}``) would read as 2.401·e − 48: inside math they are written 2.401×10^{-48}.

Cheap: a formula is typeset once per build, whatever the number of pages and editions holding
it (cached by its final TeX). On the pages each formula draws its glyphs as one path per run (see
"one path per run of glyphs" below): few elements for a phone to style and lay out. The print
editions (read on paper, not on a phone, and holding every page: bytes matter more there) keep
MathJax's glyph references: outlines written once per page in one hidden ``<svg>`` that every
formula references with ``<use>`` (as MathJax's ``fontCache: 'global'`` does in a browser).
"""

from __future__ import annotations

import atexit
import html
import json
import re
import threading
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

# The MathJax components the build uses (TeX in, SVG out, the lite DOM, assistive MathML), and the
# TeX extensions MathJax would otherwise autoload in a browser.
COMPONENTS = ("core", "adaptors/liteDOM", "input/tex-base", "output/svg", "a11y/assistive-mml")
TEX_PACKAGES = ("base", "ams", "newcommand", "noundefined", "boldsymbol", "html")

SETUP = r"""
var MathJax = {
  loader: {load: %(load)s, paths: {mathjax: 'es5'},
           require: function (file) {
             var key = file.replace(/^es5\//, '');
             if (!(key in SOURCES)) throw new Error('MathJax component not bundled: ' + file);
             (0, eval)(SOURCES[key]);
           }},
  startup: {typeset: false},
  tex: {packages: %(packages)s, tags: 'ams'},
  svg: {fontCache: 'local'},
};
function typeset(tex, display) {
  MathJax.texReset();
  var doc = MathJax.startup.document;
  var math = new doc.options.MathItem(tex, doc.inputJax[0], display);
  math.setMetrics(16, 8, 1000000, 1000000, 1);
  math.convert(doc);
  math.assistiveMml(doc, true);
  return MathJax.startup.adaptor.outerHTML(math.typesetRoot);
}
function stylesheet() { return MathJax.startup.adaptor.textContent(MathJax.svgStylesheet()); }
"""


def _es5() -> Path:
    import mathjax

    path = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    if not (path / "startup.js").is_file():
        raise PluginError(f"MathJax es5 build not found at {path}; pip install django-static-mathjax==3.2.2.1")
    return path


class Engine:
    """MathJax in a V8 context (one per build process), with a cache of typeset formulas."""

    def __init__(self) -> None:
        from py_mini_racer import MiniRacer

        es5 = _es5()
        sources = {f"{c}.js": (es5 / f"{c}.js").read_text(encoding="utf-8") for c in COMPONENTS}
        sources["output/svg/fonts/tex.js"] = (es5 / "output/svg/fonts/tex.js").read_text(encoding="utf-8")
        for pkg in TEX_PACKAGES[1:]:
            sources[f"input/tex/extensions/{pkg}.js"] = (es5 / f"input/tex/extensions/{pkg}.js").read_text(encoding="utf-8")
        load = list(COMPONENTS) + [f"[tex]/{p}" for p in TEX_PACKAGES[1:]]
        self.ctx = MiniRacer()
        atexit.register(self.ctx.close)  # else V8's thread keeps the interpreter from exiting
        self.ctx.eval("var SOURCES = " + json.dumps(sources) + ";")
        self.ctx.eval(SETUP % {"load": json.dumps(load), "packages": json.dumps(list(TEX_PACKAGES))})
        self.ctx.eval((es5 / "startup.js").read_text(encoding="utf-8"))
        self.cache: dict[tuple[str, bool], tuple[str, dict[str, str]]] = {}
        self.merged: dict[tuple[str, bool], str] = {}
        self.lock = threading.Lock()

    def typeset(self, tex: str, display: bool) -> tuple[str, dict[str, str]]:
        """``(html, glyphs)``: the slimmed ``mjx-container`` of ``tex`` with its glyph outlines
        taken out (``glyphs``: id → path data, referenced as ``#MJX-TEX-…``)."""
        key = (tex, display)
        hit = self.cache.get(key)
        if hit is None:
            with self.lock:
                out = self.ctx.call("typeset", tex, display)
            error = re.search(r'data-mjx-error="([^"]*)"', out)
            if error:
                raise PluginError(f"MathJax cannot typeset {tex!r}: {html.unescape(error.group(1))}")
            undefined = re.search(r'<mtext mathcolor="red">(\\[^<]*)</mtext>', out)
            if undefined:
                raise PluginError(f"undefined TeX command {undefined.group(1)} in {tex!r}")
            glyphs = {m.group(1): m.group(2) for m in GLYPH_DEF.finditer(out)}
            out = DEFS.sub("", out)
            out = GLYPH_REF.sub(r'xlink:href="#MJX-TEX-\1"', out)
            if re.search(r"MJX-\d+-", out):
                raise PluginError(f"hooks/math_render.py: a glyph id of an unknown form in {tex!r}")
            hit = self.cache[key] = (slim(out), glyphs)
        return hit

    def typeset_merged(self, tex: str, display: bool) -> str:
        """The ``mjx-container`` of ``tex`` with its glyphs drawn as paths (``merge_glyphs``)."""
        key = (tex, display)
        hit = self.merged.get(key)
        if hit is None:
            hit = self.merged[key] = merge_glyphs(*self.typeset(tex, display), tex)
        return hit

    def stylesheet(self) -> str:
        return self.ctx.call("stylesheet")


GLYPH_DEF = re.compile(r'<path id="MJX-\d+-TEX-([A-Z0-9]+-[0-9A-F]+)" d="([^"]*)"></path>')
GLYPH_REF = re.compile(r'xlink:href="#MJX-\d+-TEX-([A-Z0-9]+-[0-9A-F]+)"')
DEFS = re.compile(r"<defs>.*?</defs>", re.S)
_engine: Engine | None = None


def engine() -> Engine:
    global _engine
    if _engine is None:
        _engine = Engine()
    return _engine


# ---- smaller markup ---------------------------------------------------------------------------
# A phone spends its time on a page of formulas styling and laying out elements (every element is
# matched against every rule of the theme's stylesheet, several times while a page starts), not on
# bytes: so each formula's SVG keeps only the elements that draw something. MathJax's SVG output
# wraps every MathML node in a <g> (most with no attribute but data-mml-node) and names each
# glyph's character twice (data-c and the glyph id); what it needs is kept: the <g> of a table
# (its rules and tags are laid out by svg.css through data-mml-node="mtable", data-table,
# data-labels), a node with an id (the equation tags, mjx-eqn:…), links and their hit boxes.

TOKEN = re.compile(r'<(/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"]*")*)\s*(/?)>|([^<]+)')
ATTR = re.compile(r'([\w:-]+)="([^"]*)"')
KEPT_NODES = {"mtable", "merror", "maction"}   # data-mml-node values svg.css selects on
DROPPED_ATTRS = {"data-c", "data-mjx-texclass", "focusable", "role"}
MERGEABLE = {"g", "use", "rect", "path", "text"}  # take a parent <g>'s transform as their own


class Node:
    __slots__ = ("tag", "attrs", "children")

    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag, self.attrs, self.children = tag, attrs, []


def _parse(markup: str) -> list:
    root = Node("", {})
    stack = [root]
    for m in TOKEN.finditer(markup):
        closing, tag, attrs, selfclosing, text = m.groups()
        if text is not None:
            stack[-1].children.append(text)
        elif closing:
            if stack[-1].tag != tag:
                raise PluginError(f"hooks/math_render.py: unbalanced </{tag}> in MathJax's output")
            stack.pop()
        else:
            node = Node(tag, dict(ATTR.findall(attrs)))
            stack[-1].children.append(node)
            if not selfclosing:
                stack.append(node)
    if len(stack) != 1 or "".join(TOKEN.sub("", markup).split()):
        raise PluginError("hooks/math_render.py: MathJax's output did not parse")
    return root.children


def _slim_svg(node: Node, keep: int = 0) -> list:
    """``node`` with MathJax's bookkeeping removed: the list of nodes that replace it. A ``<g>``
    within ``keep`` levels below a table's ``<g>`` or an ``<svg>`` stays where it is, so that
    svg.css's "g[data-mml-node=mtable] > g > svg" and "svg[data-table] > g > line" select what
    they did."""
    attrs = {k: v for k, v in node.attrs.items() if k not in DROPPED_ATTRS
             and not (k == "data-mml-node" and v not in KEPT_NODES)}
    if "xlink:href" in attrs:
        attrs["href"] = attrs.pop("xlink:href")
    attrs.pop("xmlns:xlink", None)
    if "transform" in attrs:
        attrs["transform"] = re.sub(r"translate\(([-\d.]+),0\)", r"translate(\1)", attrs["transform"])
    node.attrs = attrs
    below = 2 if attrs.get("data-mml-node") == "mtable" else 1 if node.tag == "svg" else keep - 1
    children = []
    for child in node.children:
        children += _slim_svg(child, below) if isinstance(child, Node) else [child]
    node.children = children
    if node.tag != "g" or keep > 0:
        return [node]
    if not attrs or not children and "id" not in attrs:  # a bare or an empty group: its children
        return children
    elements = [c for c in children if isinstance(c, Node)]
    if set(attrs) == {"transform"} and len(children) == 1 and elements and elements[0].tag in MERGEABLE:
        child = elements[0]                          # a group that only moves its one child
        child.attrs["transform"] = " ".join(filter(None, (attrs["transform"], child.attrs.get("transform"))))
        return [child]
    return [node]


def _serialize(nodes: list) -> str:
    out = []
    for n in nodes:
        if isinstance(n, str):
            out.append(n)
            continue
        attrs = "".join(f' {k}="{v}"' for k, v in n.attrs.items())
        out.append(f"<{n.tag}{attrs}>{_serialize(n.children)}</{n.tag}>" if n.children
                   else f"<{n.tag}{attrs}/>" if n.tag in SVG_EMPTY else f"<{n.tag}{attrs}></{n.tag}>")
    return "".join(out)


SVG_EMPTY = {"use", "rect", "path", "line", "g"}   # written <use …/> (valid in HTML's SVG content)


def slim(markup: str) -> str:
    """MathJax's ``mjx-container`` with smaller markup, drawing the same (see above); its
    assistive MathML loses only MathJax's internal ``data-mjx-texclass``."""
    nodes = _parse(markup)
    for container in nodes:
        if isinstance(container, Node):
            container.children = [c for child in container.children
                                   for c in (_slim_svg(child) if isinstance(child, Node) and child.tag == "svg"
                                             else [child])]
            _strip_mathml(container)
    return _serialize(nodes)


def _strip_mathml(node: Node) -> None:
    for child in node.children:
        if isinstance(child, Node):
            child.attrs.pop("data-mjx-texclass", None)
            _strip_mathml(child)


# ---- one path per run of glyphs ---------------------------------------------------------------
# Each glyph drawn as its own <use> costs the browser an element and a shadow tree of its own (the
# referenced outline cloned under it), each styled and laid out: most of a formula page's work on a
# phone. So the glyphs (and plain rules: fraction bars, roots) of a formula are drawn as one <path>
# per run, their outlines moved into the coordinates of the group that holds them. MathJax places
# glyphs with translations and axis-aligned scalings only (the build stops on anything else), so an
# outline moves exactly; coordinates are rounded to MathJax's units (1/1000 em: 0.016 px at 16 px). Each
# outline after its first point is written in relative coordinates, so that a glyph repeated at the
# same size is the same text (what gzip compresses). What stays an element of its own: links and
# their hit boxes, the equation tags (their ids), tables, inner <svg>s, text, coloured groups.
# Glyphs are stroked 3 units wide (MathJax's "use[data-c] { stroke-width: 3 }", in the glyph's own
# units: 3 × its scale; here 3 in the group's units, a difference below 1/1000 em).

PATH_TOKEN = re.compile(r"([MHVLQTZ])|(-?\d*\.?\d+)")
TRANSFORM = re.compile(r"(translate|scale|matrix)\(([^)]*)\)")
PLAIN_RECT = {"width", "height", "x", "y"}


def _affine(transform: str, where: str) -> tuple[float, float, float, float]:
    """``transform`` as ``(sx, sy, tx, ty)``: the point (x, y) goes to (sx·x + tx, sy·y + ty)."""
    sx, sy, tx, ty = 1.0, 1.0, 0.0, 0.0
    rest = TRANSFORM.sub("", transform).strip()
    if rest:
        raise PluginError(f"hooks/math_render.py: transform {transform!r} in {where!r}")
    for kind, args in TRANSFORM.findall(transform):
        v = [float(a) for a in re.split(r"[\s,]+", args.strip())]
        if kind == "translate":
            a, b = (v + [0.0])[:2]
            m = (1.0, 1.0, a, b)
        elif kind == "scale":
            a, b = (v + v)[:2] if len(v) == 1 else v
            m = (a, b, 0.0, 0.0)
        elif v[1] == 0 and v[2] == 0:  # matrix(a 0 0 d e f)
            m = (v[0], v[3], v[4], v[5])
        else:
            raise PluginError(f"hooks/math_render.py: a rotation or skew {transform!r} in {where!r}")
        sx, sy, tx, ty = sx * m[0], sy * m[1], sx * m[2] + tx, sy * m[3] + ty
    return sx, sy, tx, ty


def _compose(outer: tuple, inner: tuple) -> tuple:
    return (outer[0] * inner[0], outer[1] * inner[1], outer[0] * inner[2] + outer[2], outer[1] * inner[3] + outer[3])


def _num(x: float) -> str:
    return str(round(x) + 0)  # + 0: no "-0"


def _outline(d: str, m: tuple) -> str:
    """Glyph outline ``d`` (absolute M H V L Q T Z, as MathJax's fonts write them) moved by
    ``m``: its first point absolute, every other relative to the point before it, both from
    coordinates rounded once (no drift along the outline)."""
    sx, sy, tx, ty = m
    out, cur, start, cmd, nums = [], None, None, None, []

    def emit(c: str, args: list[float]) -> None:
        nonlocal cur, start
        pts = []
        if c in "MLQT":
            pts = [(round(sx * args[i]), round(sy * args[i + 1])) for i in range(0, len(args), 2)]
        if c == "M" and cur is None:
            x, y = pts[0]
            out.append(f"M{_num(x + tx)} {_num(y + ty)}")
            cur = start = pts[0]
            rest = pts[1:]
            if rest:
                out.append("l" + " ".join(f"{_num(a - b)} {_num(c2 - d)}" for (a, c2), (b, d) in zip(rest, [cur] + rest[:-1])))
                cur = rest[-1]
            return
        if c in "ML":
            rel = []
            for p in pts:
                rel.append(f"{_num(p[0] - cur[0])} {_num(p[1] - cur[1])}")
                cur = p
            if c == "M":
                start = pts[0]
            out.append(c.lower() + " ".join(rel))
        elif c in "QT":
            rel, n = [], 2 if c == "Q" else 1
            for i in range(0, len(pts), n):
                group = pts[i:i + n]
                rel.append(" ".join(f"{_num(p[0] - cur[0])} {_num(p[1] - cur[1])}" for p in group))
                cur = group[-1]
            out.append(c.lower() + " ".join(rel))
        elif c == "H":
            rel = []
            for a in args:
                x = round(sx * a)
                rel.append(_num(x - cur[0]))
                cur = (x, cur[1])
            out.append("h" + " ".join(rel))
        elif c == "V":
            rel = []
            for a in args:
                y = round(sy * a)
                rel.append(_num(y - cur[1]))
                cur = (cur[0], y)
            out.append("v" + " ".join(rel))
        else:  # Z
            out.append("z")
            cur = start

    for c, num in PATH_TOKEN.findall(d):
        if c:
            if cmd is not None:
                emit(cmd, nums)
            cmd, nums = c, []
        else:
            nums.append(float(num))
    if cmd is not None:
        emit(cmd, nums)
    return re.sub(r" (?=-)", "", "".join(out))


def _mergeable(node: Node) -> bool:
    if node.tag == "use":
        return set(node.attrs) <= {"href", "transform"}
    if node.tag == "rect":
        return set(node.attrs) <= PLAIN_RECT | {"transform"}
    if node.tag == "g":
        return set(node.attrs) <= {"transform"} and all(isinstance(c, Node) and _mergeable(c) for c in node.children)
    return False


def _collect(node: Node, m: tuple, glyphs: dict[str, str], into: tuple[list, list], where: str) -> None:
    m = _compose(m, _affine(node.attrs.get("transform", ""), where))
    if node.tag == "use":
        key = node.attrs["href"][len("#MJX-TEX-"):]
        if key not in glyphs:
            raise PluginError(f"hooks/math_render.py: glyph {key} of {where!r} not in MathJax's output")
        into[0].append(_outline(glyphs[key], m))
    elif node.tag == "rect":
        a = {k: float(v) for k, v in node.attrs.items() if k in PLAIN_RECT}
        x0, y0 = m[0] * a.get("x", 0.0) + m[2], m[1] * a.get("y", 0.0) + m[3]
        w, h = m[0] * a["width"], m[1] * a["height"]
        into[1].append(f"M{_num(x0)} {_num(y0)}h{_num(w)}v{_num(h)}h{_num(-w)}z")
    else:
        for child in node.children:
            _collect(child, m, glyphs, into, where)


def _merge(node: Node, glyphs: dict[str, str], where: str) -> None:
    """Replace each run of mergeable children of ``node`` by at most two paths (glyphs, rules)."""
    children, run = [], ([], [])

    def flush() -> None:
        if run[0]:
            children.append(Node("path", {"stroke-width": "3", "d": re.sub(r" (?=-)", "", "".join(run[0]))}))
        if run[1]:
            children.append(Node("path", {"d": "".join(run[1])}))
        run[0].clear()
        run[1].clear()

    for child in node.children:
        if isinstance(child, Node) and _mergeable(child):
            _collect(child, (1.0, 1.0, 0.0, 0.0), glyphs, run, where)
            continue
        flush()
        if isinstance(child, Node):
            _merge(child, glyphs, where)
        children.append(child)
    flush()
    node.children = children


def merge_glyphs(markup: str, glyphs: dict[str, str], where: str = "") -> str:
    """``markup`` (a slimmed ``mjx-container``) with its glyphs drawn as paths (see above):
    ``glyphs`` maps the glyph ids it references to their outlines."""
    nodes = _parse(markup)
    for container in nodes:
        if isinstance(container, Node):
            for child in container.children:
                if isinstance(child, Node) and child.tag == "svg":
                    _merge(child, glyphs, where)
    out = _serialize(nodes)
    if "<use" in out:
        raise PluginError(f"hooks/math_render.py: a glyph of {where!r} was left a <use> (in a group of a kind "
                          "merge_glyphs does not know)")
    return out


# ---- numbering -------------------------------------------------------------------------------

DISPLAY = re.compile(r'<div class="arithmatex">\\\[(.*?)\\\]</div>', re.S)
INLINE = re.compile(r'<span class="arithmatex">\\\((.*?)\\\)</span>', re.S)
LABEL = re.compile(r"\\label\{([^}]*)\}")
EQREF = re.compile(r"\\eqref\{([^}]*)\}")
UNSUPPORTED = re.compile(r"\\begin\{(align|alignat|flalign|gather|multline|eqnarray)\*?\}")
NUMBERED = re.compile(r"\\begin\{equation\}")
UNNUMBERED = re.compile(r"\\(tag|notag|nonumber)\b")
H1 = re.compile(r"<h1\b")
EQREF_LINK = "EQREF:"  # placeholder URL inside TeX (a bare # is TeX's parameter character)


def number_equations(blocks: list[str], prefixes: list[str]) -> tuple[list[str], dict[str, str]]:
    """Give each numbered ``equation`` its tag. ``blocks``: the TeX of the page's displayed
    formulas in order; ``prefixes``: the prefix for each. Returns the blocks with ``\\tag{B3}``
    inserted and the map label → tag text."""
    counts: dict[str, int] = {}
    tags: dict[str, str] = {}
    out = []
    for tex, prefix in zip(blocks, prefixes):
        bad = UNSUPPORTED.search(tex)
        if bad:
            raise PluginError(f"\\begin{{{bad.group(1)}}} is not numbered by hooks/math_render.py: "
                              "use \\begin{equation} with aligned or gathered inside")
        labels = LABEL.findall(tex)
        if NUMBERED.search(tex) and not UNNUMBERED.search(tex):
            counts[prefix] = counts.get(prefix, 0) + 1
            tag = f"{prefix}{counts[prefix]}"
            tex = tex.replace("\\end{equation}", f"\\tag{{{tag}}}\n\\end{{equation}}", 1)
            tags.update({label: tag for label in labels})
        else:
            explicit = re.search(r"\\tag\{([^}]*)\}", tex)
            if explicit:
                tags.update({label: explicit.group(1) for label in labels})
            elif labels:
                raise PluginError(f"\\label{{{labels[0]}}} on an unnumbered formula")
        out.append(tex)
    return out, tags


SCIENTIFIC = re.compile(r"(?<![\w.\\])(\d+(?:\.\d+)?)[eE]([+-]?)0*(\d+)(?![\w.])")


def scientific(tex: str) -> str:
    """``2.401e-48`` → ``2.401\\times 10^{-48}`` (and ``e+02`` → ``10^{2}``)."""
    return SCIENTIFIC.sub(lambda m: f"{m.group(1)}\\times 10^{{{'-' if m.group(2) == '-' else ''}{m.group(3)}}}", tex)


def anchor_of(label: str) -> str:
    """The static anchor of ``\\label{label}`` (as hooks/equation_anchors.py names it)."""
    return "eq-" + label.replace(":", "-")


def resolve_refs(tex: str, tags: dict[str, str], where: str) -> str:
    def link(m: re.Match) -> str:
        label = m.group(1)
        if label not in tags:
            raise PluginError(f"{where}: \\eqref{{{label}}} has no \\label on this page")
        anchor = anchor_of(label)
        return f"\\href{{{EQREF_LINK}{anchor}}}{{\\text{{({tags[label]})}}}}"

    return EQREF.sub(link, tex)


# ---- the table of contents and the menu -------------------------------------------------------
# A heading's formula is typeset in the heading; in the table of contents and the menu, which
# every page repeats, it is written as plain HTML (bold, sub- and superscripts, symbols).

NAV_SYMBOLS = {"odot": "⊙", "cdot": "·", "times": "×", "top": "T", "partial": "∂", "delta": "δ",
               "sigma": "σ", "tanh": "tanh", "ell": "ℓ", "to": "→", "le": "≤", "ge": "≥", "lambda": "λ"}
NAV_TOKEN = re.compile(r"\\([A-Za-z]+)\s*|([_^])|(\{)|(\})|(-)|([^_^{}-])", re.S)


def nav_html(tex: str, where: str) -> str:
    """The formula of a heading as HTML for the table of contents and the menu:
    ``\\boldsymbol h_{t-1}`` → ``<b>h</b><sub>t−1</sub>``."""
    tokens = list(NAV_TOKEN.finditer(tex))
    pos = 0

    def group() -> str:  # one argument: {…} or a single token
        nonlocal pos
        if pos < len(tokens) and tokens[pos].group(3):
            pos += 1
            out = sequence(until_close=True)
            pos += 1
            return out
        return sequence(single=True)

    def sequence(until_close: bool = False, single: bool = False) -> str:
        nonlocal pos
        out = []
        while pos < len(tokens):
            command, script, open_, close, minus, char = tokens[pos].groups()
            if close:
                if until_close:
                    return "".join(out)
                raise PluginError(f"{where}: unbalanced }} in the heading formula {tex!r}")
            pos += 1
            if command == "boldsymbol":
                out.append(f"<b>{group()}</b>")
            elif command:
                if command not in NAV_SYMBOLS:
                    raise PluginError(f"{where}: \\{command} in a heading: add it to math_render.NAV_SYMBOLS")
                out.append(NAV_SYMBOLS[command])
            elif script:
                tag = "sub" if script == "_" else "sup"
                out.append(f"<{tag}>{group()}</{tag}>")
            elif open_:
                out.append(sequence(until_close=True))
                pos += 1
            else:
                out.append("−" if minus else html.escape(char).strip())
            if single:
                break
        return "".join(out)

    return sequence()


# ---- the page --------------------------------------------------------------------------------

META_PREFIX = re.compile(r'<meta name="eq-prefix" content="([^"]*)">')
NAV_MATH = re.compile(r"\\\((.*?)\\\)", re.S)
NAV_TEXT = re.compile(r'(<span class="md-ellipsis">)(.*?)(</span>)', re.S)


def _print_prefixes(html_text: str, src_uri: str, config) -> list[tuple[int, str]]:
    """The print edition: (offset of each included page's h1, that page's prefix)."""
    from solutions.publish.notebooks import pages

    source = Path(config["docs_dir"]) / src_uri
    keys = re.findall(r'^--8<-- "docs/([\w-]+)(?:\.zh)?\.md"', source.read_text(encoding="utf-8"), re.M)
    starts = [m.start() for m in H1.finditer(html_text)][1:]  # the print page's own h1 first
    return [(start, pages().get(key, {}).get("prefix", "")) for start, key in zip(starts, keys)]


def render_page(output: str, where: str, print_edition: list[tuple[int, str]] | None = None) -> str:
    """Every formula of the page's HTML typeset (see the module's docstring)."""
    if "arithmatex" not in output and "\\(" not in output:
        return output
    eng = engine()
    m = META_PREFIX.search(output)
    prefix = m.group(1) if m else ""
    displays = list(DISPLAY.finditer(output))

    def prefix_at(pos: int) -> str:
        if not print_edition:
            return prefix
        current = ""
        for start, p in print_edition:
            if start <= pos:
                current = p
        return current

    numbered, tags = number_equations([html.unescape(d.group(1)) for d in displays],
                                      [prefix_at(d.start()) for d in displays])
    glyphs: dict[str, str] = {}

    def typeset(tex: str, display: bool) -> str:
        tex = scientific(resolve_refs(tex, tags, where))
        if print_edition is None:
            out = eng.typeset_merged(tex, display)
        else:
            out, used = eng.typeset(tex, display)
            glyphs.update(used)
        return out.replace(f'href="{EQREF_LINK}', 'href="#')

    pieces, last = [], 0
    for d, tex in zip(displays, numbered):
        # the print edition includes whole pages after hooks/equation_anchors.py ran: their
        # \eqref links need the static anchors there too
        anchors = "".join(f'<a id="{a}" class="eq-anchor"></a>' for a in map(anchor_of, LABEL.findall(tex))
                          if f'id="{a}"' not in output)
        pieces += [output[last:d.start()], anchors, '<div class="arithmatex">', typeset(tex, True), "</div>"]
        last = d.end()
    pieces.append(output[last:])
    output = "".join(pieces)
    output = INLINE.sub(lambda m: '<span class="arithmatex">' + typeset(html.unescape(m.group(1)), False)
                        + "</span>", output)
    # headings carry their TeX into the table of contents and the menu: plain HTML there
    output = NAV_TEXT.sub(lambda m: m.group(1) + NAV_MATH.sub(
        lambda t: nav_html(html.unescape(t.group(1)), where), m.group(2)) + m.group(3), output)
    if glyphs:
        store = "".join(f'<path id="MJX-TEX-{k}" d="{v}"/>' for k, v in sorted(glyphs.items()))
        svg = ('<svg id="mjx-glyphs" style="display:none" aria-hidden="true" xmlns="http://www.w3.org/2000/svg">'
               f"<defs>{store}</defs></svg>")
        output = re.sub(r"(<body\b[^>]*>)", lambda b: b.group(1) + svg, output, count=1)
    return output


@event_priority(-50)  # after hooks/page_extras.py has put the page's prefix in its head
def on_post_page(output: str, page, config, **kwargs) -> str:
    print_edition = None
    if page.file.src_uri in ("print.md", "print.zh.md"):
        print_edition = _print_prefixes(output, page.file.src_uri, config)
    return render_page(output, page.file.src_uri, print_edition)


def on_post_build(config, **kwargs) -> None:
    """MathJax's stylesheet for its SVG output, beside the site's own (mkdocs.yml extra_css)."""
    path = Path(config["site_dir"]) / "assets" / "mathjax" / "svg.css"
    path.parent.mkdir(parents=True, exist_ok=True)
    # its "use[data-c] { stroke-width: 3 }" draws the print edition's glyphs a little bolder (as
    # merge_glyphs does the pages'): the same without data-c
    glyphs = '\nmjx-container[jax="SVG"] use {\n  stroke-width: 3;\n}\n'
    path.write_text(engine().stylesheet() + glyphs, encoding="utf-8")
