"""The site's figures: drawn once per language and colour scheme, readable inline on a phone.

The rules every figure follows (the save-time check :func:`check_svg` enforces the first three):

1. **Readable at 390 px.** On a 390 px phone the content column is :data:`PHONE_COLUMN_PX` CSS
   px wide and a figure wider than that is scaled down to fit. A glyph drawn at ``f`` pt in a
   figure ``W`` inches wide then renders at ``f · 96/72 · min(1, 358 / (96 W))`` CSS px, which must
   be at least :data:`MIN_LABEL_PX` (9 px) for *every* glyph, sub- and superscripts included
   (mathtext draws them at 0.7 of the label's size). :func:`min_font_pt` gives the smallest size
   allowed for a width: 8.7 pt at the default :data:`PHONE_WIDTH` of 4.8 in. So draw for the
   phone: one or two panels per row (stack the rest), the default width, the style's font sizes,
   math labels at ≥ 1/0.7 of the minimum, and short texts. Log axes get :class:`PlainLogFormatter`
   tick labels (``1e-6``, no superscripts) automatically. A figure that breaks the rule raises
   :class:`FigureTooSmall` when saved.
2. **Text as paths**, in fonts shipped with the code (``svg.fonttype = "path"``): DejaVu Sans from
   matplotlib, and for Chinese the Noto Sans SC subset in ``solutions/publish/fonts/`` loaded by
   file path (``font_manager.addfont``), so the bytes of a figure never depend on the fonts of
   the machine that draws it. A glyph missing from both fonts raises.
3. **Deterministic bytes**: no date, data rounded before plotting (``report.round_sig``), and
   element ids numbered in order of appearance (:func:`stable_ids`): matplotlib names a clip path
   or marker by a hash of its coordinates at full precision, so an axes box that differs in its
   last bit on another CPU would otherwise change every ``clip-path`` reference. Coordinates
   are written to :data:`COORD_DECIMALS` decimals (:func:`coarse_coordinates`): the layout
   engine and the transforms run in floating point through NumPy and BLAS, whose last bits
   differ between CPUs, and matplotlib's six decimals let such a difference show (an axes edge at
   194.994438 pt under one CPU setting, 194.994437 under another); 0.01 pt is invisible at any
   zoom and makes such a flip ten thousand times rarer. The same code then gives the same bytes
   on any CPU.
4. **Two languages, two colour schemes, one drawing function.** A demo returns, per file name, a
   function ``draw(style) -> Figure``; :func:`render` calls it once per :data:`VARIANTS` entry
   and :func:`variant_name` names the files: ``name.svg`` (English, light), ``name.zh.svg``
   (Chinese, light), ``name.dark.svg`` and ``name.dark.zh.svg`` (for the dark scheme). Labels
   are written ``style.t("Loss", "损失")``; colours are named ``style.c("red")`` (each scheme
   has its own value, bright enough for its background); colour maps come from
   ``style.cmap`` (a sequential map dark-to-bright on the dark scheme, light-to-dark on the light
   one, so "more" is always "further from the page"). The figure is drawn for its background,
   never inverted by CSS. The mkdocs-static-i18n plugin serves ``name.zh.svg`` as ``name.svg``
   on the Chinese pages, so a page and its ``.zh.md`` twin write the same image lines.
5. **On the page**: the light and dark files side by side, ``![alt](figures/x.svg#only-light)``
   and ``![alt](figures/x.dark.svg#only-dark)`` (Material shows the one of the reader's scheme),
   inside ``<figure markdown="span">`` with a ``<figcaption>`` that says what to look at and that
   a tap opens the figure full size; ``tests/test_site.py`` checks all three at 390 px.
"""

from __future__ import annotations

import functools
import io
import logging
import re
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager, mathtext, textpath, ticker  # noqa: E402
from matplotlib.cbook import _setattr_cm as _setattr  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

PHONE_COLUMN_PX = 358.0
"""Width in CSS px of the content column at a 390 px viewport (Material's 0.8rem padding each side)."""
MIN_LABEL_PX = 9.0
"""Smallest font size, in CSS px as rendered in that column, of any glyph of any figure."""
PHONE_WIDTH = 4.8
"""Default figure width in inches: 460 px natural, so labels keep 78 % of their size on a phone."""
CSS_PX_PER_PT = 96 / 72
MATH_PT = 12.5
"""Font size for a label with sub- or superscripts at the default width (0.7 × 12.5 ≥ 8.7 pt)."""

MATH_CACHE = 4096
"""How many parsed math labels matplotlib keeps (its own default: 50)."""
CJK_FONT = Path(__file__).with_name("fonts") / "NotoSansSC-subset.otf"
CJK_FAMILY = "Noto Sans SC Subset rnn-bptt"
font_manager.fontManager.addfont(str(CJK_FONT))

# matplotlib keeps the last 50 parsed math labels (an lru_cache on a private method); a demo run
# draws each label in four variants, across about 30 figures, and parsed most of them again
# (profiled: a tenth of the drawing time in pyparsing). The same cache, larger: results unchanged.
_parse = mathtext.MathTextParser._parse_cached
if getattr(_parse, "cache_info", None) and _parse.cache_info().maxsize < MATH_CACHE:
    mathtext.MathTextParser._parse_cached = functools.lru_cache(MATH_CACHE)(_parse.__wrapped__)

# The size of a label with text as paths (what the constrained layout asks for most): matplotlib
# caches it per renderer, that is per figure, and every variant of every figure measured the same
# tick labels again (profiled: an eighth of the drawing time). It depends only on the text, the
# font properties and the font files they resolve to (which rcParams choose, so they are in the
# key): the same numbers from one process-wide cache.
_text_size = textpath.TextToPath.get_text_width_height_descent


@functools.lru_cache(MATH_CACHE)
def _cached_text_size(s: str, prop: font_manager.FontProperties, ismath, fonts: tuple) -> tuple:
    return _text_size(textpath.text_to_path, s, prop, ismath)


def _text_size_cached(self, s, prop, ismath):
    fonts = tuple(font_manager.fontManager._find_fonts_by_props(prop))
    return _cached_text_size(s, prop.copy(), ismath, fonts)


if getattr(_text_size, "__name__", "") == "get_text_width_height_descent":
    textpath.TextToPath.get_text_width_height_descent = _text_size_cached

LANGUAGES = ("en", "zh")


def min_font_pt(width_in: float) -> float:
    """Smallest font size (pt) whose glyphs render at ≥ :data:`MIN_LABEL_PX` on a 390 px phone.

    A figure ``width_in`` inches wide is ``96 · width_in`` CSS px at its own size and is scaled
    by ``s = min(1, PHONE_COLUMN_PX / (96 · width_in))`` into the column, so ``f`` pt renders at
    ``f · (96/72) · s`` px: the minimum is ``MIN_LABEL_PX / ((96/72) · s)``.
    """
    if not width_in > 0:
        raise ValueError(f"width_in: a figure width in inches > 0, got {width_in!r}")
    scale = min(1.0, PHONE_COLUMN_PX / (96 * width_in))
    return MIN_LABEL_PX / (CSS_PX_PER_PT * scale)


_PALETTES = {
    # tab10 on the white page; on the dark page (Material's slate, about #1e2129) lighter tints
    # of the same hues, each with a contrast of at least 4.5:1 against it.
    False: {"blue": "#1f77b4", "orange": "#ff7f0e", "green": "#2ca02c", "red": "#d62728",
            "purple": "#9467bd", "brown": "#8c564b", "pink": "#e377c2", "grey": "#7f7f7f",
            "olive": "#bcbd22", "cyan": "#17becf",
            "ink": "#1a1a1a", "paper": "#ffffff", "faint": "#e6e6e6"},
    True: {"blue": "#6cb4f0", "orange": "#ffa552", "green": "#6fd36f", "red": "#ff7b7b",
           "purple": "#c6a6ec", "brown": "#d2a898", "pink": "#f5a3d7", "grey": "#a9adb8",
           "olive": "#d8d86a", "cyan": "#6fdceb",
           "ink": "#e8e9ed", "paper": "#1e2129", "faint": "#3a3f4d"},
}
CYCLE = ("blue", "orange", "green", "red", "purple", "brown", "pink", "grey", "olive", "cyan")


@dataclass(frozen=True)
class Style:
    """One variant of a figure: its language (``"en"`` or ``"zh"``) and colour scheme.

    ``t(en, zh)`` picks the label, ``c(name)`` the colour (``"blue"``, ``"red"``, …, ``"ink"``
    for text and lines in the text colour, ``"paper"`` for fills that must look like the page,
    ``"faint"`` for an empty cell), ``cmap`` the sequential colour map.
    """

    lang: str = "en"
    dark: bool = False

    def __post_init__(self) -> None:
        if self.lang not in LANGUAGES:
            raise ValueError(f"lang: one of {LANGUAGES}, got {self.lang!r}")

    def t(self, en: str, zh: str) -> str:
        """The label in this style's language."""
        return zh if self.lang == "zh" else en

    def c(self, name: str) -> str:
        """The named colour for this scheme (hex)."""
        try:
            return _PALETTES[self.dark][name]
        except KeyError:
            raise ValueError(f"name: one of {sorted(_PALETTES[False])}, got {name!r}") from None

    @property
    def cmap(self) -> str:
        """Sequential colour map whose high end lies furthest from the page colour."""
        return "viridis" if self.dark else "viridis_r"

    @property
    def suffix(self) -> str:
        """File-name suffix before ``.svg``: ``""``, ``".zh"``, ``".dark"`` or ``".dark.zh"``."""
        return (".dark" if self.dark else "") + (".zh" if self.lang == "zh" else "")

    def rc(self) -> dict:
        """matplotlib rcParams of this style (active while the figure is drawn and saved)."""
        ink = self.c("ink")
        return {
            "svg.hashsalt": "nndl-rnn-bptt",
            "svg.fonttype": "path",
            "font.family": ["DejaVu Sans", CJK_FAMILY],
            "mathtext.fontset": "dejavusans",
            "font.size": 11,
            "axes.titlesize": 11,
            "axes.labelsize": 11,
            "xtick.labelsize": 10,
            "ytick.labelsize": 10,
            "legend.fontsize": 10,
            "legend.title_fontsize": 10,
            "figure.titlesize": 12,
            "axes.grid": True,
            "grid.alpha": 0.35,
            "figure.dpi": 100,
            "savefig.transparent": True,
            "text.color": ink,
            "axes.labelcolor": ink,
            "axes.edgecolor": ink,
            "xtick.color": ink,
            "ytick.color": ink,
            "grid.color": self.c("grey"),
            "axes.facecolor": self.c("paper"),
            "legend.facecolor": self.c("paper"),
            "legend.edgecolor": self.c("grey"),
            "legend.framealpha": 0.85,
            "axes.prop_cycle": matplotlib.cycler(color=[self.c(n) for n in CYCLE]),
            "image.cmap": self.cmap,
        }


VARIANTS = (Style("en"), Style("zh"), Style("en", dark=True), Style("zh", dark=True))
Draw = Callable[[Style], Figure]


def variant_name(file_name: str, style: Style) -> str:
    """``"x.svg"`` → ``"x.svg"``, ``"x.zh.svg"``, ``"x.dark.svg"`` or ``"x.dark.zh.svg"``."""
    if not file_name.endswith(".svg") or file_name.count(".") != 1:
        raise ValueError(f"file_name: a name like 'name.svg' (one dot), got {file_name!r}")
    return file_name.removesuffix(".svg") + style.suffix + ".svg"


def figure(nrows: int = 1, ncols: int = 1, *, width: float = PHONE_WIDTH, height: float = 3.4, **kw):
    """``plt.subplots`` in constrained layout; returns ``(fig, axes)``. Call it inside ``draw(style)``
    (``render`` activates the style); keep ``ncols`` ≤ 2 and ``width`` ≤ about 5 in (rule 1)."""
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), layout="constrained", **kw)
    return fig, axes


class _MissingGlyphs(logging.Handler):
    """Collects mathtext's "does not have a glyph" log records (it draws a box and only logs)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.missing: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "does not have a glyph" in record.getMessage():
            self.missing.append(record.getMessage())


def edge_points(a: Patch, b: Patch, rad: float = 0.0) -> tuple[tuple[float, float], tuple[float, float]]:
    """Where an arrow from the centre of patch ``a`` to the centre of ``b`` leaves ``a`` and enters
    ``b``: a straight line, or with ``rad`` the curve of ``connectionstyle=f"arc3,rad={rad}"``
    (a quadratic Bézier whose control point lies ``rad`` times the chord off its middle), cut by
    bisection in data coordinates. Pass them as ``FancyArrowPatch(*edge_points(a, b, rad), …)``
    with the same ``rad``: the arrow then joins the two outlines. (``patchA=a, patchB=b`` does the
    same at every draw, in display coordinates through the whole transform stack: a third of a
    diagram's drawing time, profiled.)"""
    outline = [p.get_patch_transform().transform_path(p.get_path()) for p in (a, b)]
    ends = [np.array(centre(p), dtype=float) for p in (a, b)]
    (x1, y1), (x2, y2) = ends
    control = np.array([(x1 + x2) / 2 + rad * (y2 - y1), (y1 + y2) / 2 - rad * (x2 - x1)])

    def at(t: float) -> np.ndarray:
        return (1 - t) ** 2 * ends[0] + 2 * t * (1 - t) * control + t ** 2 * ends[1]

    def cut(inside_at_0: Callable[[float], bool]) -> float:
        lo, hi = 0.0, 1.0               # inside_at_0(lo) holds, inside_at_0(hi) does not
        for _ in range(40):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if inside_at_0(mid) else (lo, mid)
        return lo

    leave = cut(lambda t: outline[0].contains_point(at(t)))
    enter = 1 - cut(lambda t: outline[1].contains_point(at(1 - t)))
    if not leave < enter:
        raise ValueError("a, b: the patches overlap along the arrow; an arrow needs a gap between them")
    return tuple(float(v) for v in at(leave)), tuple(float(v) for v in at(enter))


def centre(patch: Patch) -> tuple[float, float]:
    """The centre of a circle or of a box patch, in data coordinates."""
    if hasattr(patch, "get_center"):
        return tuple(patch.get_center())
    return patch.get_x() + patch.get_width() / 2, patch.get_y() + patch.get_height() / 2


def accuracy_over_lengths(ax, style: Style, lengths: Sequence[int], xlabel: str) -> None:
    """Finish a test-accuracy-against-length plot (lines: means, dots: seeds): 0–100 %, a tick at
    each length, the legend. The digit-sum demos' shared axes."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(style.t("test accuracy, % (dots: seeds)", "测试准确率 %（点：各种子）"))
    ax.set_xticks(lengths)
    ax.set_xlim(min(lengths) - 5, max(lengths) + 5)
    ax.set_ylim(0, 100)
    ax.legend(fontsize=9)


@contextmanager
def drawing(style: Style) -> Iterator[None]:
    """The style's rcParams, with a glyph missing from every font an error (not a tofu box).

    Plain text falls back from DejaVu Sans to the CJK font glyph by glyph; mathtext (a string
    with ``$…$``) does not, so Chinese and math go in separate texts (or the math alone: it
    reads the same in both languages).
    """
    handler, log = _MissingGlyphs(), logging.getLogger("matplotlib.mathtext")
    log.addHandler(handler)
    with plt.rc_context(style.rc()), warnings.catch_warnings():
        warnings.filterwarnings("error", message=r"Glyph \d+ .*missing from font")
        try:
            yield
        finally:
            log.removeHandler(handler)
    if handler.missing:
        raise UserWarning(f"mathtext glyphs missing from font (Chinese inside $…$?): {handler.missing[:3]}")


class FigureTooSmall(ValueError):
    """A figure's text would render below :data:`MIN_LABEL_PX` on a 390 px phone, or is not drawn as paths."""


_SCALE = re.compile(r"scale\(([-\d.e]+)(?:[ ,]+([-\d.e]+))?\)")


def _scale(transform: str) -> float:
    m = _SCALE.search(transform or "")
    return abs(float(m.group(1))) if m else 1.0


def svg_glyph_sizes(svg: str) -> list[tuple[str, float]]:
    """``(text, font size in pt)`` for every glyph of every text of a matplotlib path-text SVG.

    matplotlib draws a text as ``<!-- text --><g transform="translate(…) scale(f/100 -f/100)">``
    holding one ``<use>`` per glyph; mathtext sub- and superscripts carry their own
    ``scale(0.7)``. The size of a glyph is 100 × the product of the two scales, in the SVG's
    units (pt: matplotlib's viewBox is the figure size in points).
    """
    root = ET.fromstring(svg, parser=ET.XMLParser(target=ET.TreeBuilder(insert_comments=True)))
    out = []
    for parent in root.iter():
        children = list(parent)
        for i, g in enumerate(children):
            transform = g.get("transform", "")
            if g.tag != "{http://www.w3.org/2000/svg}g" or not re.search(r"scale\([-\d.e]+ -[-\d.e]+\)$", transform):
                continue
            label = (children[i - 1].text or "").strip() if i and children[i - 1].tag is ET.Comment else "?"
            outer = _scale(transform) * 100
            for use in g.iter("{http://www.w3.org/2000/svg}use"):
                out.append((label, round(outer * _scale(use.get("transform", "")), 3)))
    return out


def svg_width_pt(svg: str) -> float:
    """The figure's width in pt (the SVG's viewBox width)."""
    return float(ET.fromstring(svg).get("viewBox").split()[2])


def check_svg(svg: str, name: str = "figure") -> float:
    """Enforce rule 1 on an SVG: every glyph at least :func:`min_font_pt` of the figure's width.

    Returns the smallest glyph size as rendered at 390 px, in CSS px; raises
    :class:`FigureTooSmall` naming the offending texts, or when text is not drawn as paths.
    """
    if "<text" in svg:
        raise FigureTooSmall(f"{name}: text drawn as <text>, not as paths (svg.fonttype must be 'path')")
    width_in = svg_width_pt(svg) / 72
    floor = min_font_pt(width_in)
    sizes = svg_glyph_sizes(svg)
    small = sorted({(size, label) for label, size in sizes if size < floor - 1e-6})
    if small:
        shown = "; ".join(f"{label!r} at {size:g} pt" for size, label in small[:8])
        raise FigureTooSmall(
            f"{name}: {len(small)} text(s) below {floor:.2f} pt, the smallest size that renders at "
            f"{MIN_LABEL_PX:g} px on a 390 px phone for a {width_in:.2f} in wide figure: {shown}. "
            f"Use larger fonts, a narrower figure, or fewer panels per row (solutions/publish/plotting.py).")
    smallest = min((size for _, size in sizes), default=floor)
    return smallest * CSS_PX_PER_PT * min(1.0, PHONE_COLUMN_PX / (96 * width_in))


class PlainLogFormatter(ticker.LogFormatter):
    """Log-axis tick labels without superscripts: ``0.01``, ``1``, ``1000``, ``1e-6``, ``1e8``.

    matplotlib's default writes ``10^{-6}`` in mathtext, whose exponent is drawn at 0.7 of the
    tick size, below the phone minimum; :func:`render` swaps this formatter in on every log axis.
    """

    def _num_to_string(self, x, vmin, vmax):
        if x == 0:
            return "0"
        if 1e-3 <= abs(x) < 1e4:
            return f"{x:.6g}"
        mantissa, exponent = f"{x:.0e}".split("e")
        return f"{mantissa}e{int(exponent)}"


def _plain_log_ticks(fig: Figure) -> None:
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if axis.get_scale() == "log" and isinstance(axis.get_major_formatter(), ticker.LogFormatterMathtext):
                axis.set_major_formatter(PlainLogFormatter())
                axis.set_minor_formatter(PlainLogFormatter(labelOnlyBase=False))


_HASHED_ID = re.compile(r'id="((?:p|m|h|image|C[0-9a-f]+_[0-9a-f]+_)[0-9a-f]{10})"')
_HASH_TOKEN = re.compile(r"\b(p|m|h|image|C[0-9a-f]+_[0-9a-f]+_)([0-9a-f]{10})\b")


def stable_ids(svg: str) -> str:
    """``svg`` with matplotlib's hashed element ids (clip paths ``p…``, markers ``m…``, hatches
    ``h…``, images, path collections ``C…_…_…``; each prefix + 10 hex digits of a hash of the
    element's full-precision coordinates) renamed ``p1``, ``m1``, ``p2`` … in order of first
    appearance, definitions and references alike; every other byte is unchanged."""
    defined = set(_HASHED_ID.findall(svg))
    names: dict[str, str] = {}

    def rename(match: re.Match) -> str:
        token = match.group(0)
        if token not in defined:
            return token
        if token not in names:
            names[token] = f"{match.group(1)}{len(names) + 1}"
        return names[token]

    return _HASH_TOKEN.sub(rename, svg)


COORD_DECIMALS = 2
"""Decimals of every coordinate in a saved figure (points; 0.01 pt is 0.0035 mm)."""
_COORD_ATTR = re.compile(r'(\s(?:d|x|y|width|height)=")([^"]*)"|(translate\()([^)]*)\)')
_DECIMAL = re.compile(r"-?\d+\.\d+")


def _coarse(match: re.Match) -> str:
    text = f"{round(float(match.group(0)), COORD_DECIMALS):.{COORD_DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def coarse_coordinates(svg: str) -> str:
    """``svg`` with every decimal number in path data (``d``), in ``x``, ``y``, ``width`` and
    ``height`` attributes and in ``translate(…)`` rounded to :data:`COORD_DECIMALS` decimals
    (trailing zeros dropped, ``-0`` written ``0``); scales, colours, styles and every other byte
    unchanged."""
    def attribute(match: re.Match) -> str:
        if match.group(1):
            return f'{match.group(1)}{_DECIMAL.sub(_coarse, match.group(2))}"'
        return f"{match.group(3)}{_DECIMAL.sub(_coarse, match.group(4))})"

    return _COORD_ATTR.sub(attribute, svg)


def _layout_once(fig: Figure) -> None:
    """Run the figure's layout engine as ``savefig`` would for an SVG, then switch it off.

    With a layout engine, ``savefig`` draws the figure twice: once with drawing disabled, only to
    run the layout (which measures every label), then for real. The first pass also walks every
    artist after the layout, work the second pass repeats (profiled: a sixth of the drawing time).
    Running the layout alone under the same SVG canvas and dpi gives the same positions: the
    saved bytes of every figure are unchanged (the stored figures are the check)."""
    engine = fig.get_layout_engine()
    if engine is None or not fig.axes:
        return
    dpi = getattr(fig, "_original_dpi", fig.dpi)
    with fig.canvas._switch_canvas_and_return_print_method("svg"), _setattr(fig, dpi=dpi):
        engine.execute(fig)
    fig.set_layout_engine("none")


def render(draw: Draw, style: Style) -> str:
    """``draw(style)`` drawn and saved as SVG text under the style's rcParams, checked by
    :func:`check_svg`; the figure is closed."""
    with drawing(style):
        fig = draw(style)
        if not isinstance(fig, Figure):
            raise TypeError(f"draw: must return a matplotlib Figure, returned {type(fig).__name__}")
        try:
            _plain_log_ticks(fig)
            _layout_once(fig)
            buf = io.StringIO()
            fig.savefig(buf, format="svg", metadata={"Date": None})
        finally:
            plt.close(fig)
    svg = coarse_coordinates(stable_ids(buf.getvalue()))
    check_svg(svg, f"{getattr(draw, '__qualname__', 'figure')} ({style.lang}{', dark' if style.dark else ''})")
    return svg


def variant_id(style: Style) -> str:
    """The short name of a variant: ``"en"``, ``"zh"``, ``"dark"`` or ``"dark.zh"`` (its file-name
    suffix, ``"en"`` for the plain one); what ``python -m solutions run --variants`` takes."""
    return style.suffix.lstrip(".") or "en"


def variants(ids: Sequence[str]) -> tuple[Style, ...]:
    """The :data:`VARIANTS` named by ``ids`` (see :func:`variant_id`), in their :data:`VARIANTS` order."""
    known = [variant_id(s) for s in VARIANTS]
    unknown = [i for i in ids if i not in known]
    if unknown or not ids:
        raise ValueError(f"ids: one or more of {known}, got {list(ids)!r}")
    return tuple(s for s in VARIANTS if variant_id(s) in ids)


def save_svg(draw: Draw, path: Path, styles: Sequence[Style] = VARIANTS) -> list[Path]:
    """Write every variant of ``draw`` next to ``path`` (``x.svg`` → ``x.svg``, ``x.zh.svg``,
    ``x.dark.svg``, ``x.dark.zh.svg``), or only those of ``styles``; return the files written."""
    if isinstance(draw, Figure) or not callable(draw):
        raise TypeError(f"draw: a function style -> Figure that draws {Path(path).name} in each language and "
                        f"colour scheme (rules: solutions/publish/plotting.py), got {type(draw).__name__}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for style in styles:
        target = path.with_name(variant_name(path.name, style))
        target.write_text(render(draw, style), encoding="utf-8", newline="\n")
        written.append(target)
    return written


def svg_text(draw: Draw, style: Style = VARIANTS[0]) -> str:
    """One variant of ``draw`` as SVG text (English, light by default): what notebooks display."""
    return render(draw, style)
