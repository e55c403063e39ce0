"""Plain-text tables and CPU-robust number formats for the demos' printed outputs.

The last bits of a float64 result depend on the machine: NumPy picks SIMD code for ``exp``,
``tanh``, ``log`` at run time (AVX-512, AVX2 or baseline), OpenBLAS picks a GEMM kernel per
CPU, PyTorch picks its own. So a demo never prints the measured size of a rounding error
(its power of ten flips between CPUs too); it prints a *claim* against a stated tolerance,
``claim(err, 1e-12)`` → ``"≤ 1e-12"``, which raises unless the error is far below the
tolerance (so it holds, with margin, on any CPU). Every other number goes through
``fmt(x, spec)``, which refuses a value that lies within a relative ``rel`` of a rounding
boundary of ``spec`` (a one-ulp change could flip its last digit): such a fragile number
fails where it is made, at generation, instead of on another machine.

A demo's ``main()`` returns its figures, or a ``Result(figures, values)`` whose ``values``
are the named strings its page inserts into prose (``{{ value("demo", "key") }}``).
"""

from __future__ import annotations

import math
import numbers
import platform
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np


class FragileNumber(ValueError):
    """A number whose printed digits could differ on another CPU (it lies next to a rounding
    boundary of its format, or it is rounding noise around zero)."""


def _tol_text(tol: float) -> str:
    """``1e-12`` for powers of ten, else the shortest ``g`` form (``2e-05``, ``0.001`` → ``1e-03``)."""
    exp = math.log10(tol)
    if exp == round(exp):
        return f"1e{round(exp):+03d}"
    return f"{tol:g}"


def claim(err: float, tol: float, margin: float = 100.0, what: str = "error") -> str:
    """``"≤ 1e-12"``: the claim that ``err`` is at most ``tol``, checked with a safety margin.

    Parameters
    ----------
    err : float
        The measured error (absolute or relative, ≥ 0), e.g. ``max|g - g_torch|``.
    tol : float
        The tolerance stated on the page (> 0), e.g. ``1e-12`` for float64 agreement.
    margin : float
        ``err`` must satisfy ``err * margin <= tol``: the claim must hold on any CPU, whose
        rounding errors differ by small factors from this one's.
    what : str
        Names the quantity in the error message.

    Returns
    -------
    str
        ``"0"`` when ``err`` is exactly zero and ``tol`` is 0, else ``"≤ <tol>"``.

    Raises
    ------
    ValueError
        If ``err`` is not finite, negative, or not ``margin`` times below ``tol``.
    """
    err, tol = float(err), float(tol)
    if not math.isfinite(err) or err < 0:
        raise ValueError(f"{what}: error must be finite and ≥ 0, got {err!r}")
    if tol == 0.0:
        if err != 0.0:
            raise ValueError(f"{what}: claimed exactly 0, measured {err:.3g}")
        return "0"
    if not (math.isfinite(tol) and tol > 0):
        raise ValueError(f"{what}: tolerance must be finite and > 0, got {tol!r}")
    if err * margin > tol:
        raise ValueError(f"{what}: measured {err:.3g} is not {margin:g}x below the stated tolerance "
                         f"{_tol_text(tol)}; state a larger tolerance or fix the code")
    return f"≤ {_tol_text(tol)}"


def fmt(x: float, spec: str, rel: float = 1e-9) -> str:
    """``format(x, spec)``, refusing a value whose digits a rounding error could change.

    Parameters
    ----------
    x : float
        The value (int or float; NumPy scalars too).
    spec : str
        A format spec, e.g. ``".3f"``, ``".2e"``, ``".0%"``, ``"d"``.
    rel : float
        The relative perturbation the printed text must survive: ``x * (1 - rel)`` and
        ``x * (1 + rel)`` must format to the same text. ``1e-9`` suits float64 values
        computed in a few steps; pass a larger ``rel`` for long (e.g. trained) computations.

    Raises
    ------
    FragileNumber
        If the perturbed values format differently, or a non-zero ``x`` prints as zero
        (its sign, e.g. ``-0.000``, would be noise).
    """
    if isinstance(x, numbers.Integral):
        return format(int(x), spec)
    x = float(x)
    text = format(x, spec)
    if not math.isfinite(x) or x == 0.0:
        return text
    lo, hi = format(x * (1 - rel), spec), format(x * (1 + rel), spec)
    if lo != text or hi != text:
        raise FragileNumber(f"{x!r} formatted as {spec!r} is {text!r}, but within a relative {rel:g} it "
                            f"reads {lo!r} / {hi!r}: another CPU may print either; print fewer digits "
                            f"or a different quantity (an exact count: pass an int)")
    if not any(c in "123456789" for c in text.split("e")[0].split("E")[0]):
        raise FragileNumber(f"{x!r} formatted as {spec!r} is {text!r}: a non-zero value printed as zero; "
                            f"its sign is noise (print a claim() instead)")
    return text


def pct(correct: int, total: int) -> str:
    """``correct / total`` as a per cent with one decimal, computed exactly from the integer counts.

    Integer arithmetic, rounding half up, leaves no rounding error to depend on the CPU: the
    text is the same on every machine, with no ``fmt`` check needed.

    Parameters
    ----------
    correct, total : int
        A count and the total it is part of (``total > 0``).

    Returns
    -------
    str
        The per cent without its sign: ``pct(1, 3) == "33.3"``, ``pct(1, 16) == "6.3"``.
    """
    tenths = (2000 * correct + total) // (2 * total)  # round half up, in integers
    return f"{tenths // 10}.{tenths % 10}"


def round_sig(values, digits: int = 4):
    """``values`` (array-like) rounded to ``digits`` significant digits, for plotting.

    A figure's SVG writes coordinates to a fixed precision, so a curve drawn from raw float64
    results can change a digit between CPUs. Rounded first, a value changes only if a rounding
    error moves it across a boundary of the ``digits``-digit grid: for a rounding error of
    ~1e-10 relative and 4 digits, a chance of about 1e-6 per point.
    """
    import numpy as np

    a = np.asarray(values, dtype=float)
    out = a.copy()
    finite = np.isfinite(a) & (a != 0)
    exp = np.floor(np.log10(np.abs(a[finite])))
    scale = 10.0 ** (digits - 1 - exp)
    out[finite] = np.round(a[finite] * scale) / scale
    return out


def count_class(lo: int, hi: int, n: int) -> str:
    """A count of chaotic training runs known only to lie in ``[lo, hi]`` of ``n`` (a run and its
    twin may differ; another CPU may move either end by a run), printed as what holds on every CPU:
    ``"0/n"`` or ``"n/n"`` when sure, ``"≤h/n"`` when ``hi ≤ h = n // 2``, ``"≥h/n"`` when
    ``lo ≥ h``, else ``"?"``."""
    if not 0 <= lo <= hi <= n:
        raise ValueError(f"lo, hi, n: counts with 0 <= lo <= hi <= n, got {lo}, {hi}, {n}")
    half = n // 2
    if hi == 0 or lo == n:
        return f"{lo}/{n}"
    return f"≤{half}/{n}" if hi <= half else f"≥{half}/{n}" if lo >= half else "?"


#: The chaos test of training demos: a set of runs is *chaotic* when multiplying the initial
#: weights by ``1 + PERTURB`` moves some final loss by more than ``10 × SENSITIVE`` (relative),
#: so its digits differ between CPUs. Only counts are printed for such runs, and a count is
#: refused when a run ends within ``CHAOS_MARGIN`` (relative) of the count's edge.
PERTURB, SENSITIVE, CHAOS_MARGIN = 1e-13, 1e-4, 0.05


def require_chaotic(name: str, final: Sequence[float], again: Sequence[float]) -> None:
    """Raise ``ValueError`` unless the rerun ``again`` (weights × ``1 + PERTURB``) moved some
    final loss of ``final`` by more than ``10 × SENSITIVE``: a row is only called chaotic (and
    printed as a count) when it is measured to be."""
    a, b = (np.asarray(v, dtype=float) for v in (final, again))
    change = float(np.nanmax(np.abs(a - b) / a))
    if not change > 10 * SENSITIVE:
        raise ValueError(f"{name}: listed as chaotic, but a {PERTURB:g} change moved its losses by {change:.2g} only")


def count_below(name: str, final: Sequence[float], edge: float, margin: float = CHAOS_MARGIN) -> int:
    """How many of ``final`` lie below ``edge``; ``FragileNumber`` if any lies within a relative
    ``margin`` of it (another CPU could put it on the other side)."""
    f = np.asarray(final, dtype=float)
    if np.any(np.abs(f / edge - 1.0) < margin):
        raise FragileNumber(f"{name}: a run ends within {margin:.0%} of the edge {edge:.4g}")
    return int((f < edge).sum())


class Result(NamedTuple):
    """What a demo's ``main()`` may return instead of a plain ``{file name: Figure}`` dict.

    Attributes
    ----------
    figures : Mapping[str, Callable[[solutions.publish.plotting.Style], Figure]]
        ``{file name: draw}``: ``draw(style)`` returns the figure in that language and colour
        scheme, saved as ``docs/figures/<file name>`` and its variants (``solutions/publish/plotting.py``).
    values : Mapping[str, str]
        Named texts (made with ``fmt``/``claim``) that pages insert into prose with
        ``{{ value("demo-name", "key") }}``; stored in ``docs/outputs/<demo>.values.json``.
    """

    figures: Mapping[str, Any] = MappingProxyType({})
    values: Mapping[str, str] = MappingProxyType({})


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown-style pipe table, columns padded to their widest cell."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), sep] + [line(r) for r in cells[1:]])


def machine() -> str:
    """One line naming the CPU, core count and library versions (for benchmark tables)."""
    import os

    import numpy as np
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, "
        f"NumPy {np.__version__}, PyTorch {torch.__version__}"
    )
