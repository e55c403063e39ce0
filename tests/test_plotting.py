"""The figure rules of solutions/publish/plotting.py: each check must catch the figure that breaks it."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solutions.publish import plotting
from solutions.publish.plotting import (
    VARIANTS,
    FigureTooSmall,
    Style,
    figure,
    min_font_pt,
    render,
)


def _line(label: str, *, fontsize: float | None = None, width: float = plotting.PHONE_WIDTH, log: bool = False):
    def draw(s: Style):
        fig, ax = figure(width=width, height=2.5)
        ax.plot([1, 2, 3], [1, 10, 100], color=s.c("blue"))
        if log:
            ax.set_yscale("log")
        ax.set_xlabel(s.t(label, "步数"), fontsize=fontsize)
        return fig
    return draw


@settings(max_examples=25, deadline=None)
@given(st.floats(0.5, 20))
def test_min_font_pt_renders_exactly_nine_px_at_390(width: float) -> None:
    """f pt in a W in figure: f·96/72 px at its own size, scaled to the 358 px column when wider."""
    f = min_font_pt(width)
    rendered = f * 96 / 72 * min(1.0, 358 / (96 * width))
    assert rendered == pytest.approx(9.0)
    assert min_font_pt(plotting.PHONE_WIDTH) == pytest.approx(9 * 72 * 4.8 / 358)


@pytest.mark.parametrize("bad", [0, -1.0, float("nan")])
def test_min_font_pt_rejects_a_width_that_is_not_positive(bad: float) -> None:
    with pytest.raises(ValueError, match="width_in"):
        min_font_pt(bad)


def test_glyph_sizes_are_read_from_the_svg_including_subscripts() -> None:
    """12 pt text reads as 12 pt; the subscript of a 20 pt math label as 14 pt (mathtext's 0.7)."""
    def draw(s: Style):
        fig, ax = figure(width=2.0, height=1.5)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("Ab", fontsize=12)
        ax.set_ylabel("$h_t$", fontsize=20)
        return fig
    sizes = plotting.svg_glyph_sizes(render(draw, Style()))
    assert sorted(sizes) == [("$h_t$", 14.0), ("$h_t$", 20.0), ("Ab", 12.0), ("Ab", 12.0)]


def test_a_label_too_small_for_the_phone_fails_when_saved() -> None:
    floor = min_font_pt(plotting.PHONE_WIDTH)
    render(_line("step", fontsize=floor + 0.01), Style())
    with pytest.raises(FigureTooSmall, match=r"'step' at 8\.6 pt"):
        render(_line("step", fontsize=8.6), Style())


def test_a_wide_figure_needs_larger_fonts() -> None:
    """The same 11 pt label passes at 4.8 in and fails at 7 in (scaled to 358 px it is 8.2 px)."""
    render(_line("step", fontsize=11), Style())
    with pytest.raises(FigureTooSmall, match="7.00 in wide"):
        render(_line("step", fontsize=11, width=7.0), Style())


def test_a_subscript_below_the_minimum_fails_though_its_label_is_large_enough() -> None:
    with pytest.raises(FigureTooSmall, match=r"h_t"):
        render(_line("$h_t$", fontsize=11), Style())
    render(_line("$h_t$", fontsize=12.5), Style())


def test_log_axes_get_tick_labels_without_superscripts() -> None:
    """matplotlib's 10^{-1} draws its exponent at 7 pt; the style swaps in plain labels."""
    svg = render(_line("step", log=True), Style())
    assert "<!-- 100 -->" in svg and "<!-- 10 -->" in svg and "mathdefault" not in svg


def test_text_not_drawn_as_paths_fails() -> None:
    svg = render(_line("step"), Style())
    with pytest.raises(FigureTooSmall, match="not as paths"):
        plotting.check_svg(svg.replace("<g id=\"figure_1\">", "<g id=\"figure_1\"><text>x</text>"))


def test_chinese_labels_are_drawn_with_the_shipped_cjk_font_and_english_with_dejavu() -> None:
    en, zh = render(_line("step"), Style("en")), render(_line("step"), Style("zh"))
    assert "DejaVuSans-" in en and plotting.CJK_FAMILY not in en and "NotoSansSCSubset" not in en
    label = zh[zh.index("<!-- 步数 -->"):]
    glyphs = label[:label.index("</g>")]  # the label's own group: two glyphs of the CJK subset
    assert glyphs.count('xlink:href="#NotoSansSCSubset-rnn-bptt-') == 2 and "DejaVu" not in glyphs


def test_a_character_missing_from_every_shipped_font_fails_instead_of_drawing_a_box() -> None:
    with pytest.raises(UserWarning, match="missing from font"):
        render(_line("한"), Style())  # Hangul: neither DejaVu Sans nor the SC subset has it
    with pytest.raises(UserWarning, match="mathtext"):
        render(_line("$步_t$"), Style())  # mathtext does not fall back to the CJK font


def test_dark_variant_draws_text_in_the_light_ink_and_is_deterministic() -> None:
    draw = _line("step")
    light, dark = render(draw, Style()), render(draw, Style(dark=True))
    assert Style().c("ink") in light and Style(dark=True).c("ink") in dark and Style().c("ink") not in dark
    assert render(draw, VARIANTS[-1]) == render(draw, VARIANTS[-1])


def _boxed(offset: float):
    """An axes box moved by ``offset`` (figure fraction): what another CPU's layout arithmetic may give."""
    def draw(s: Style):
        import matplotlib.pyplot as plt
        fig = plt.figure(figsize=(plotting.PHONE_WIDTH, 2.5))
        for row in range(2):
            ax = fig.add_axes((0.15, 0.2 + 0.4 * row + offset, 0.8, 0.3))
            ax.plot([1, 2, 3], [1, 3, 2], marker="o", color=s.c("blue"))
            ax.scatter([1, 2], [2, 1], color=s.c("red"))
        return fig
    return draw


def test_figure_bytes_do_not_depend_on_the_last_bits_of_a_coordinate() -> None:
    """matplotlib names clip paths by a hash of the full-precision axes box: a 1e-15 shift changes
    every id (the CI failure of gated-gradients.dark.svg under the baseline CPU setting), while the
    drawn coordinates, printed to 6 decimals, stay the same. ``stable_ids`` numbers them instead."""
    import io

    def raw(draw) -> str:
        with plotting.drawing(Style()):
            fig = draw(Style())
            buf = io.StringIO()
            fig.savefig(buf, format="svg", metadata={"Date": None})
            plotting.plt.close(fig)
        return buf.getvalue()

    a, b = raw(_boxed(0.0)), raw(_boxed(1e-15))
    assert a != b, "the hashed ids no longer depend on the box: this test lost its point"
    assert plotting.stable_ids(a) == plotting.stable_ids(b)
    assert render(_boxed(0.0), Style()) == render(_boxed(1e-15), Style())
    ids = plotting.stable_ids(a)
    assert re.search(r'clip-path="url\(#p\d+\)"', ids) and re.search(r'id="m\d+"', ids)
    assert not plotting._HASHED_ID.search(ids)
    assert render(_boxed(0.0), Style()) != render(_boxed(1e-3), Style())  # a real move still shows


def test_coordinates_are_written_to_two_decimals_so_a_last_bit_does_not_show() -> None:
    """The CI failure of gated-gradients.svg under the baseline CPU setting (an AVX-512 machine):
    the constrained layout put an axes edge at 194.994438 pt under one setting and 194.994437
    under the other. Both are written 194.99; scales, styles and colours keep their digits."""
    def svg(edge: str) -> str:
        return (f'<g transform="translate(108.665762 {edge}) scale(0.11 -0.11)"><use x="63.623047" y="-0.004"/>'
                f'<path d="M 60.248482 {edge} L 342.59976 {edge} z" style="stroke-width: 0.8; stroke-dasharray: 1.5,2.475"/>'
                f'<rect x="60.248482" y="{edge}" width="282.351278" height="150.164463"/></g>')

    a, b = plotting.coarse_coordinates(svg("194.994438")), plotting.coarse_coordinates(svg("194.994437"))
    assert a == b
    assert a == ('<g transform="translate(108.67 194.99) scale(0.11 -0.11)"><use x="63.62" y="0"/>'
                 '<path d="M 60.25 194.99 L 342.6 194.99 z" style="stroke-width: 0.8; stroke-dasharray: 1.5,2.475"/>'
                 '<rect x="60.25" y="194.99" width="282.35" height="150.16"/></g>')
    saved = render(_line("Step"), Style())
    assert not re.search(r'\s(?:d|x|y|width|height)="[^"]*\d\.\d{3}', saved), "a coordinate kept three decimals"
    assert "scale(0.11 -0.11)" in saved or "scale(0.1 -0.1)" in saved


@pytest.mark.parametrize("rad", [0.0, 0.3, -0.45])
def test_edge_points_join_the_outlines_where_matplotlibs_own_clipping_does(rad: float) -> None:
    """An arrow from edge_points(a, b, rad) (no patchA/patchB) starts and ends where matplotlib's
    clipping to patchA/patchB puts the same arrow: within 1 % of the circle's radius."""
    from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

    fig, ax = figure()
    ax.set_xlim(-1, 5), ax.set_ylim(-1, 5), ax.set_aspect("equal")
    a, b = ax.add_patch(Circle((0, 0), 0.5)), ax.add_patch(Circle((3, 4), 0.5))
    box = ax.add_patch(FancyBboxPatch((2.55, -0.3), 0.9, 0.6, boxstyle="round,pad=0.03"))
    fig.canvas.draw()
    for target in (b, box):
        ours = FancyArrowPatch(*plotting.edge_points(a, target, rad), connectionstyle=f"arc3,rad={rad}",
                               shrinkA=0, shrinkB=0)
        theirs = FancyArrowPatch(plotting.centre(a), plotting.centre(target), patchA=a, patchB=target,
                                 connectionstyle=f"arc3,rad={rad}", shrinkA=0, shrinkB=0)
        for arrow in (ours, theirs):
            ax.add_patch(arrow)
        to_data = ax.transData.inverted()
        ends = [to_data.transform(arrow.get_path().vertices[[0, -1]]) for arrow in (ours, theirs)]
        assert np.abs(ends[0] - ends[1]).max() < 0.005, ends
    start = np.array(plotting.edge_points(a, b)[0])
    assert abs(np.hypot(*start) - 0.5) < 0.005 and abs(start[1] / start[0] - 4 / 3) < 1e-9
    with pytest.raises(ValueError, match="overlap"):
        plotting.edge_points(a, ax.add_patch(Circle((0.6, 0), 0.5)))
    plotting.plt.close(fig)


def test_variant_names_and_the_i18n_suffix() -> None:
    assert [plotting.variant_name("a.svg", s) for s in VARIANTS] == ["a.svg", "a.zh.svg", "a.dark.svg",
                                                                      "a.dark.zh.svg"]
    for bad in ("a.png", "a.zh.svg", "a"):
        with pytest.raises(ValueError, match="file_name"):
            plotting.variant_name(bad, Style())


def test_variants_are_named_by_their_file_suffix_and_saved_alone(tmp_path) -> None:
    """``run --variants`` (what the cross-CPU test draws): ids in, styles in VARIANTS order out; only those saved."""
    assert [plotting.variant_id(s) for s in VARIANTS] == ["en", "zh", "dark", "dark.zh"]
    assert plotting.variants(["dark.zh", "en"]) == (VARIANTS[0], VARIANTS[3])
    for bad in (["light"], [], ["en", "zh.dark"]):
        with pytest.raises(ValueError, match="ids"):
            plotting.variants(bad)
    written = plotting.save_svg(_line("step"), tmp_path / "f.svg", plotting.variants(["zh", "dark"]))
    assert [p.name for p in written] == ["f.zh.svg", "f.dark.svg"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.dark.svg", "f.zh.svg"]


def test_style_rejects_an_unknown_language_or_colour() -> None:
    with pytest.raises(ValueError, match="lang"):
        Style("fr")
    with pytest.raises(ValueError, match="name"):
        Style().c("teal")


def test_draw_must_return_a_figure_and_a_demo_must_return_draw_functions(tmp_path) -> None:
    with pytest.raises(TypeError, match="draw"):
        render(lambda s: None, Style())
    fig, _ = figure()
    with pytest.raises(TypeError, match="a function style -> Figure that draws x.svg"):
        plotting.save_svg(fig, tmp_path / "x.svg")
    plotting.plt.close(fig)


@pytest.mark.parametrize("text, family, ismath", [
    ("梯度 0.5", ["DejaVu Sans", plotting.CJK_FAMILY], False), ("梯度", [plotting.CJK_FAMILY], False),
    ("step 0.5", ["DejaVu Sans"], False), (r"$\|g\|_2$", ["DejaVu Sans"], True)])
def test_the_process_wide_text_size_cache_returns_matplotlibs_own_sizes(text: str, family: list, ismath: bool) -> None:
    """The cache (plotting.py, beside the math-label cache) answers what matplotlib computes, and its key
    holds the font files the properties resolve to: a family that resolves elsewhere is measured anew."""
    from matplotlib import font_manager, textpath

    prop = font_manager.FontProperties(family=family, size=11)
    expected = plotting._text_size(textpath.text_to_path, text, prop, ismath)
    for _ in range(2):  # computed, then from the cache
        assert textpath.text_to_path.get_text_width_height_descent(text, prop, ismath) == expected
    serif = font_manager.FontProperties(family=["DejaVu Serif"], size=11)
    assert (textpath.text_to_path.get_text_width_height_descent("step", serif, False)
            == plotting._text_size(textpath.text_to_path, "step", serif, False)
            != textpath.text_to_path.get_text_width_height_descent("step", font_manager.FontProperties(
                family=["DejaVu Sans"], size=11), False))
