"""The runnable demos, one module each: ``python -m solutions run <name>``.

A demo is a module ``solutions/demos/<name>.py`` (``-`` in the name is ``_`` in the module)
whose docstring's first line is its one-line summary and whose ``main()`` prints exactly
what its page shows and returns its figures as ``{file name: draw}`` (or nothing), or a
``solutions.publish.report.Result(figures, values)`` whose ``values`` are named texts that pages insert
into prose (``{{ value("name", "key") }}``). ``draw(style)`` returns a matplotlib Figure drawn
in ``style``'s language and colour scheme (the rules: ``solutions/publish/plotting.py``). The printed
text is stored as ``docs/outputs/<name>.txt``, the values as ``docs/outputs/<name>.values.json``
and each figure as ``docs/figures/<file name>`` and its variants (``x.zh.svg``, ``x.dark.svg``,
``x.dark.zh.svg``); ``tests/test_outputs.py`` re-runs every demo and compares bytes.
Progress on long runs goes to stderr, so it never reaches the stored output.
"""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
from collections.abc import Sequence
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


def values_json(values: dict[str, str]) -> str:
    """The stored form of a demo's values: sorted keys, UTF-8 text, two-space indent, final newline."""
    return json.dumps(dict(values), ensure_ascii=False, sort_keys=True, indent=2) + "\n"


def run(name: str, figures_dir: Path | None = None, values_file: Path | None = None,
        variants: Sequence[str] | None = None) -> list[Path]:
    """Run demo ``name`` (its output goes to stdout); save its figures under ``figures_dir`` (every
    variant, or those named in ``variants``: ``plotting.variant_id``) and, if it returns values,
    write them to ``values_file`` (see ``values_json``). Returns the files written."""
    from solutions.publish import plotting  # matplotlib only when a demo runs
    from solutions.publish.report import Result

    styles = plotting.VARIANTS if variants is None else plotting.variants(variants)
    returned = load(name).main()
    result = returned if isinstance(returned, Result) else Result(figures=returned or {})
    for key, text in result.values.items():
        if not (isinstance(key, str) and isinstance(text, str)):
            raise TypeError(f"demo {name}: values must map str to str, got {key!r}: {text!r}")
    written = []
    for file_name, draw in result.figures.items():
        if figures_dir is not None:
            written += plotting.save_svg(draw, Path(figures_dir) / file_name, styles)
    if values_file is not None and result.values:
        Path(values_file).parent.mkdir(parents=True, exist_ok=True)
        Path(values_file).write_text(values_json(result.values), encoding="utf-8", newline="\n")
        written.append(Path(values_file))
    return written
