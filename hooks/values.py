"""MkDocs-macros module: ``{{ value("demo-name", "key") }}`` inserts a value a demo computed.

Demos return named values (``solutions.report.Result``); ``python -m solutions run --all``
stores them in ``docs/outputs/<demo>.values.json`` and ``tests/test_outputs.py`` keeps them
current. A page states a computed number only through this macro, so the number in its prose
is the one the tested code printed. A missing demo or key fails the build (the plugin is
configured with ``on_error_fail``).
"""

from __future__ import annotations

import json
from pathlib import Path

OUTPUTS = Path(__file__).resolve().parents[1] / "docs" / "outputs"


def load_values(demo: str) -> dict[str, str]:
    """The stored values of ``demo``; ``KeyError`` naming the file when it has none."""
    path = OUTPUTS / f"{demo}.values.json"
    if not path.exists():
        known = sorted(p.name.removesuffix(".values.json") for p in OUTPUTS.glob("*.values.json"))
        raise KeyError(f"value({demo!r}, ...): no {path.relative_to(OUTPUTS.parents[1])}; "
                       f"demos with values: {', '.join(known) or 'none'}")
    return json.loads(path.read_text(encoding="utf-8"))


def define_env(env) -> None:
    @env.macro
    def value(demo: str, key: str) -> str:
        """The text demo ``demo`` returned under ``key`` (``docs/outputs/<demo>.values.json``)."""
        values = load_values(demo)
        if key not in values:
            raise KeyError(f"value({demo!r}, {key!r}): no such key; {demo} has: {', '.join(sorted(values))}")
        return values[key]
