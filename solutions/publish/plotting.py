"""Deterministic SVG figures: the same code and versions give the same bytes.

matplotlib writes random element ids and a date into SVGs by default; a fixed
``svg.hashsalt`` and ``metadata={"Date": None}`` remove both, so the tests can compare
regenerated figures byte for byte.

Figures are saved with a transparent background (``savefig.transparent``): on the site's light
scheme they sit on the white page, and the dark scheme shows them inverted with their hues kept
(docs/stylesheets/extra.css), so no figure is a white box on a dark page.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

STYLE = {
    "svg.hashsalt": "nndl-rnn-bptt",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "figure.dpi": 100,
    "savefig.transparent": True,
}


def figure(nrows: int = 1, ncols: int = 1, *, width: float = 7.0, height: float = 4.0, **kw):
    """``plt.subplots`` with the site's style; returns ``(fig, axes)``."""
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), layout="constrained", **kw)
    return fig, axes


def save_svg(fig: Figure, path: Path) -> Path:
    """Write ``fig`` as SVG with no date and fixed ids; close it; return ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with plt.rc_context(STYLE):
        fig.savefig(path, format="svg", metadata={"Date": None})
    plt.close(fig)
    return path


def svg_text(fig: Figure) -> str:
    """``fig`` as SVG text, exactly what :func:`save_svg` writes; closes ``fig``."""
    buf = io.StringIO()
    with plt.rc_context(STYLE):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    plt.close(fig)
    return buf.getvalue()
