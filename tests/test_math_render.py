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


def test_a_page_is_typeset_with_its_numbers_links_glyph_store_and_mathml() -> None:
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
    assert out.count('<svg id="mjx-glyphs"') == 1 and out.index('<svg id="mjx-glyphs"') < out.index("<mjx-container")
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


@pytest.mark.parametrize("tex, display", [
    (r"\boldsymbol h_t = \tanh(U \boldsymbol h_{t-1} + W \boldsymbol x_t + \boldsymbol b)", False),
    (r"\begin{equation}\begin{aligned} \delta_{t,k} &= \frac{\partial \mathcal L}{\partial z_k}"
     r" \href{EQREF:eq-x}{\text{(B1)}} \\ \Big\| \sum_{k=1}^{t} \sqrt{x_k} \Big\| &= \text{ü}"
     r"\end{aligned}\tag{B3}\label{y}\end{equation}", True),
    (r"\begin{pmatrix} a & b \\ c & d \end{pmatrix}^{\top} \overset{!}{=} \underbrace{x+y}_{n}", True),
    (r"\left(\begin{array}{c|c} \Big( a \Big) & b \\ \hline c & d \end{array}\right)", True),
])
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
