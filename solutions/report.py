"""Plain-text tables and number formats for the demos' printed outputs.

Errors are printed as the power of ten they stay below (``< 1e-15``): the exact last
bits of a float64 rounding error depend on the BLAS kernel of the machine, but the
bound does not, so the stored outputs stay byte-identical across CPUs.
"""

from __future__ import annotations

import math
import platform
from collections.abc import Sequence


def fmt_err(e: float) -> str:
    """``0``, ``< 1e-15``, ``< 1e-07``, ...: the smallest power of ten above ``e``."""
    e = float(e)
    if e == 0.0:
        return "0"
    if not math.isfinite(e):
        return str(e)
    return f"< 1e{math.floor(math.log10(e)) + 1:+03d}"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown-style pipe table, columns padded to their widest cell."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
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
