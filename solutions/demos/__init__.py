"""The runnable demos, one module each: ``python -m solutions run <name>``.

A demo is a module ``solutions/demos/<name>.py`` (``-`` in the name is ``_`` in the module)
whose docstring's first line is its one-line summary and whose ``main()`` prints exactly
what its page shows and returns its figures as ``{file name: matplotlib Figure}`` (or
nothing). The printed text is stored as ``docs/outputs/<name>.txt`` and the figures as
``docs/figures/<file name>``; ``tests/test_outputs.py`` re-runs every demo and compares bytes.
Progress on long runs goes to stderr, so it never reaches the stored output.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path
from types import ModuleType


def names() -> list[str]:
    """Every demo name, sorted."""
    return sorted(m.name.replace("_", "-") for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def load(name: str) -> ModuleType:
    """The module of demo ``name``; ``KeyError`` if there is none."""
    if name not in names():
        raise KeyError(name)
    return importlib.import_module(f"{__name__}.{name.replace('-', '_')}")


def summary(name: str) -> str:
    """First line of the demo's docstring, read from the source (no import: listing stays fast)."""
    if name not in names():
        raise KeyError(name)
    source = (Path(__path__[0]) / f"{name.replace('-', '_')}.py").read_text(encoding="utf-8")
    return (ast.get_docstring(ast.parse(source)) or "").strip().splitlines()[0]


def run(name: str, figures_dir: Path | None = None) -> list[Path]:
    """Run demo ``name`` (its output goes to stdout); save its figures under ``figures_dir``."""
    from solutions.plotting import save_svg  # matplotlib only when a demo runs

    figures = load(name).main() or {}
    written = []
    for file_name, fig in figures.items():
        if figures_dir is not None:
            written.append(save_svg(fig, Path(figures_dir) / file_name))
    return written
