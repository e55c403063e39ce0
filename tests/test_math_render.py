"""hooks/math_render.py: formulas typeset at build time, numbered as MathJax's AMS numbering does.

The built pages are checked in a browser by tests/test_site.py; these are the cheap parts that a
page may not happen to exercise: the numbering rules, \\eqref links, e-notation in math, errors.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from mkdocs.exceptions import PluginError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hooks"))
import math_render  # noqa: E402


def test_equations_are_numbered_per_prefix_and_skip_starred_tagged_and_notag() -> None:
    blocks = [
        r"\begin{equation} a \label{one} \end{equation}",
        r"\begin{equation*} b \end{equation*}",
        r"\begin{equation} c \notag \end{equation}",
        r"\begin{equation} d \tag{$\ast$} \label{star} \end{equation}",
        r"\begin{equation} e \end{equation}",
        r"\begin{equation} f \label{other} \end{equation}",
    ]
    out, tags = math_render.number_equations(blocks, ["B"] * 5 + ["L"])
    assert tags == {"one": "B1", "star": r"$\ast$", "other": "L1"}
    assert r"\tag{B1}" in out[0] and r"\tag{B2}" in out[4] and r"\tag{L1}" in out[5]
    assert out[1] == blocks[1] and out[2] == blocks[2] and out[3] == blocks[3]


@pytest.mark.parametrize("tex", [r"\begin{align} a &= b \end{align}", r"\begin{gather*} a \end{gather*}"])
def test_environments_the_numbering_does_not_know_stop_the_build(tex: str) -> None:
    with pytest.raises(PluginError, match="equation"):
        math_render.number_equations([tex], [""])


def test_a_label_on_an_unnumbered_formula_stops_the_build() -> None:
    with pytest.raises(PluginError, match="unnumbered"):
        math_render.number_equations([r"\begin{equation*} a \label{x} \end{equation*}"], [""])


def test_eqref_links_to_the_static_anchor_and_a_missing_label_stops_the_build() -> None:
    tex = math_render.resolve_refs(r"\eqref{bptt:W} + \eqref{b}", {"bptt:W": "B3", "b": "B4"}, "p.md")
    assert tex == (r"\href{EQREF:eq-bptt-W}{\text{(B3)}} + \href{EQREF:eq-b}{\text{(B4)}}")
    with pytest.raises(PluginError, match=r"p\.md.*nolabel"):
        math_render.resolve_refs(r"\eqref{nolabel}", {}, "p.md")


@pytest.mark.parametrize("tex, want", [
    ("2.401e-48", r"2.401\times 10^{-48}"),
    ("x = 2.027e+02", r"x = 2.027\times 10^{2}"),
    ("1E5", r"1\times 10^{5}"),
    ("W_2e3", "W_2e3"),          # a subscript, not a number
    (r"\mathrm{e}-1", r"\mathrm{e}-1"),
])
def test_e_notation_in_math_is_written_times_ten_to_the(tex: str, want: str) -> None:
    assert math_render.scientific(tex) == want


def test_a_page_is_typeset_with_its_numbers_links_paths_and_mathml() -> None:
    page = ('<html><head><meta name="eq-prefix" content="B"></head><body class="x">'
            '<div class="arithmatex">\\[\\begin{equation} \\boldsymbol h_t = \\operatorname{diag}(x) \\Big[\\big\\| \\int x \\big\\|\\Big] \\label{h}'
            '\\end{equation}\\]</div><p>by <span class="arithmatex">\\(\\eqref{h}, a &lt; 2.5e-3\\)</span></p>'
            '<span class="md-ellipsis">Step 2: from \\(\\boldsymbol h_t\\) on</span></body></html>')
    out = math_render.render_page(page, "p.md")
    assert "\\(" not in out and "\\[" not in out
    assert 'id="mjx-eqn:h"' in out and 'href="#eq-h"' in out
    # no static anchor yet (the print edition): one is added; a page that has it keeps just one
    assert out.count('id="eq-h"') == 1
    anchored = page.replace('<div class="arithmatex">', '<a id="eq-h" class="eq-anchor"></a><div class="arithmatex">')
    assert math_render.render_page(anchored, "p.md").count('id="eq-h"') == 1
    # a page draws its glyphs as paths; the print edition keeps one glyph store that <use> refers to
    assert "<use" not in out and 'id="mjx-glyphs"' not in out
    printed = math_render.render_page(page, "print.md", [])
    assert printed.count('<svg id="mjx-glyphs"') == 1 and printed.index('<svg id="mjx-glyphs"') < printed.index("<mjx-container")
    assert "<use" in printed
    assert "<mjx-assistive-mml" in out and "<mi>diag</mi>" in out and "<mo>&lt;</mo>" in out
    assert "<mn>10</mn>" in out  # 2.5e-3 written as 2.5×10^{-3}
    # the table of contents and the menu get plain HTML, no second copy of the formula
    assert '<span class="md-ellipsis">Step 2: from <b>h</b><sub>t</sub> on</span>' in out


def test_tex_errors_stop_the_build() -> None:
    with pytest.raises(PluginError, match="undefined|cannot typeset"):
        math_render.render_page('<span class="arithmatex">\\(\\nosuchmacro x\\)</span>', "p.md")
    with pytest.raises(PluginError, match="cannot typeset"):
        math_render.render_page('<span class="arithmatex">\\(x^{\\)</span>', "p.md")


def drawn(markup: str) -> list[tuple[str, str, str]]:
    """What an ``mjx-container``'s SVG draws: for each element that draws (a glyph, a rule, text,
    an inner ``svg``), its tag, its attributes but the transform, and the transforms of it and its
    ancestors in order (MathJax's ``translate(x,0)`` written ``translate(x)``)."""
    out = []

    def walk(node, chain: tuple[str, ...]) -> None:
        if isinstance(node, str):
            return
        t = node.attrs.get("transform")
        if t:
            chain += (re.sub(r"translate\(([-\d.]+),0\)", r"translate(\1)", t),)
        if node.tag in ("use", "rect", "text", "svg", "line", "path", "a"):
            attrs = {("href" if k == "xlink:href" else k): re.sub(r"#MJX-\d+-", "#MJX-", v)
                     for k, v in node.attrs.items()
                     if k != "transform" and not k.startswith(("data-mml", "data-c", "data-mjx", "xmlns"))
                     and k not in ("role", "focusable")}
            out.append((node.tag, str(sorted(attrs.items())), " ".join(chain)))
        for child in node.children:
            walk(child, chain)

    for node in math_render._parse(markup):
        walk(node, ())
    return out


# Formulas that exercise every markup path (inline, numbered aligned with a link, matrices, arrays).
FORMULAS = [
    (r"\boldsymbol h_t = \tanh(U \boldsymbol h_{t-1} + W \boldsymbol x_t + \boldsymbol b)", False),
    (r"\begin{equation}\begin{aligned} \delta_{t,k} &= \frac{\partial \mathcal L}{\partial z_k}"
     r" \href{EQREF:eq-x}{\text{(B1)}} \\ \Big\| \sum_{k=1}^{t} \sqrt{x_k} \Big\| &= \text{ü}"
     r"\end{aligned}\tag{B3}\label{y}\end{equation}", True),
    (r"\begin{pmatrix} a & b \\ c & d \end{pmatrix}^{\top} \overset{!}{=} \underbrace{x+y}_{n}", True),
    (r"\left(\begin{array}{c|c} \Big( a \Big) & b \\ \hline c & d \end{array}\right)", True),
]


@pytest.mark.parametrize("tex, display", FORMULAS)
def test_smaller_markup_draws_the_same(tex: str, display: bool) -> None:
    """hooks/math_render.slim drops groups and attributes, never a drawing element or a move."""
    eng = math_render.engine()
    with eng.lock:
        raw = eng.ctx.call("typeset", tex, display)
    raw = math_render.DEFS.sub("", raw)
    slim = math_render.slim(raw)
    assert drawn(slim) == drawn(raw)
    assert slim.count("<") < 0.7 * raw.count("<")
    assert "data-c=" not in slim and "xlink:" not in slim and "data-mjx-texclass" not in slim
    assert table_selected(slim) == table_selected(raw)


def table_selected(markup: str) -> list[str]:
    """The elements MathJax's svg.css lays out as parts of a table: "g[data-mml-node=mtable] > g >
    svg" and "svg[data-table] > g > line" (their tags and viewBoxes, in order)."""
    out = []

    def walk(node, parent=None, grandparent=None) -> None:
        if isinstance(node, str):
            return
        if grandparent is not None and parent.tag == "g" and (
                (node.tag == "svg" and grandparent.tag == "g" and grandparent.attrs.get("data-mml-node") == "mtable")
                or (node.tag == "line" and grandparent.tag == "svg" and "data-table" in grandparent.attrs)):
            out.append(f"{node.tag} {node.attrs.get('viewBox')}")
        for child in node.children:
            walk(child, node, parent)

    for node in math_render._parse(markup):
        walk(node)
    return out


def test_headings_formulas_are_plain_html_in_the_table_of_contents() -> None:
    assert (math_render.nav_html(r"\boldsymbol z_t\odot\boldsymbol h_{t-1}", "p.md")
            == "<b>z</b><sub>t</sub>⊙<b>h</b><sub>t−1</sub>")
    assert math_render.nav_html(r"\boldsymbol{c}_t^{\top}", "p.md") == "<b>c</b><sub>t</sub><sup>T</sup>"
    with pytest.raises(PluginError, match=r"\\frac"):
        math_render.nav_html(r"\frac{a}{b}", "p.md")


def outline_points(markup: str, glyphs: dict[str, str] | None = None) -> tuple[list, list]:
    """The points every glyph outline and every plain rule of an ``mjx-container`` passes through,
    in the coordinates of its ``<svg>``s' outermost group, in drawing order: ``(glyph points, rule
    corners)``. Glyphs either as ``<use>`` of ``glyphs`` or as merged paths (relative commands)."""
    pts: tuple[list, list] = ([], [])

    def path_points(d: str, m: tuple) -> list:
        out, cur, start = [], (0.0, 0.0), (0.0, 0.0)
        for c, args in re.findall(r"([MmHhVvLlQqTtZz])([^MmHhVvLlQqTtZz]*)", d):
            v = [float(x) for x in re.findall(r"-?\d*\.?\d+", args)]
            rel = c.islower()
            C = c.upper()
            if C == "Z":
                cur = start
                continue
            if C in "HV":
                for a in v:
                    cur = ((cur[0] * rel + a, cur[1]) if C == "H" else (cur[0], cur[1] * rel + a))
                    out.append(cur)
                continue
            n = 4 if C == "Q" else 2
            for i in range(0, len(v), n):
                base = cur
                for j in range(i, i + n, 2):
                    p = (base[0] * rel + v[j], base[1] * rel + v[j + 1])
                    out.append(p)
                cur = out[-1]
                if C == "M" and j == i:
                    start = cur
        return [(m[0] * x + m[2], m[1] * y + m[3]) for x, y in out]

    def walk(node, m: tuple) -> None:
        if isinstance(node, str):
            return
        # "T1 T2" maps a point p to T1(T2(p)): compose left to right (written here independently of the hook)
        for kind, args in re.findall(r"(\w+)\(([^)]*)\)", node.attrs.get("transform", "")):
            v = [float(a) for a in re.split(r"[\s,]+", args.strip())]
            a, b, c, d, e, f = {"translate": lambda: (1, 0, 0, 1, v[0], (v + [0])[1]),
                                "scale": lambda: (v[0], 0, 0, (v + v)[1], 0, 0),
                                "matrix": lambda: tuple(v)}[kind]()
            assert b == c == 0
            m = (m[0] * a, m[1] * d, m[0] * e + m[2], m[1] * f + m[3])
        if node.tag == "use":
            pts[0].extend(path_points(glyphs[node.attrs["href"][len("#MJX-TEX-"):]], m))
        elif node.tag == "path":
            pts[0 if node.attrs.get("stroke-width") == "3" else 1].extend(path_points(node.attrs["d"], m))
        elif node.tag == "rect" and set(node.attrs) <= {"width", "height", "x", "y", "transform"}:
            a = {k: float(v) for k, v in node.attrs.items() if k != "transform"}
            x, y = a.get("x", 0.0), a.get("y", 0.0)
            for p in [(x, y), (x + a["width"], y), (x + a["width"], y + a["height"]), (x, y + a["height"])]:
                pts[1].append((m[0] * p[0] + m[2], m[1] * p[1] + m[3]))
        elif node.tag == "svg":
            m = (1.0, 1.0, 0.0, 0.0)  # an inner svg has coordinates of its own (its viewBox)
        for child in node.children:
            walk(child, m)

    for node in math_render._parse(markup):
        walk(node, (1.0, 1.0, 0.0, 0.0))
    return pts


@pytest.mark.parametrize("tex, display", FORMULAS + [
    (r"\prod_{\tau} \operatorname{diag}(f_\tau) \approx e^{-\sum_\tau (1-f_\tau)} \ll \frac{1}{2^{20}}", False),
])
def test_glyphs_merged_into_paths_draw_the_same_outlines(tex: str, display: bool) -> None:
    """hooks/math_render.merge_glyphs: the merged paths pass through every point of every glyph
    outline and rule, in order, within MathJax's unit (1/1000 em) times the group's scale; what it
    keeps as elements (links, tags, tables, inner svgs) it keeps."""
    slim, glyphs = math_render.engine().typeset(tex, display)
    merged = math_render.merge_glyphs(slim, glyphs, tex)
    assert "<use" not in merged and "<path" in merged
    before, after = outline_points(slim, glyphs), outline_points(merged)
    for was, now in zip(before, after):
        assert len(was) == len(now) and len(was) > 0 or not was and not now
        assert max((abs(a[0] - b[0]) + abs(a[1] - b[1]) for a, b in zip(was, now)), default=0) <= 2.0
    assert table_selected(merged) == table_selected(slim)
    keep = re.compile(r'<(a|svg|text|line)\b[^>]*>|id="[^"]+"|data-hitbox')
    assert keep.findall(merged) == keep.findall(slim)
    drawing = lambda markup: markup.split("<mjx-assistive-mml")[0].count("<")  # noqa: E731
    assert drawing(merged) < 0.8 * drawing(slim)
