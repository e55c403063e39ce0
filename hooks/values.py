"""MkDocs-macros module: ``{{ value("demo-name", "key") }}`` inserts a value a demo computed.

Demos return named values (``solutions.publish.report.Result``); ``python -m solutions run --all``
stores them in ``docs/outputs/<demo>.values.json`` and ``tests/test_outputs.py`` keeps them
current. A page states a computed number only through this macro, so the number in its prose
is the one the tested code printed. A missing demo or key fails the build (the plugin is
configured with ``on_error_fail``). Listed as a MkDocs hook too: ``on_page_content`` inserts the
values of pages that the print editions include whole by a snippet line.
"""

from __future__ import annotations

import json
import re
from html import escape as html_escape
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUTS = ROOT / "docs" / "outputs"
Q = r'(?:"|&quot;|\'|&#x27;|&#39;)'
LEFT_OVER = re.compile(r"\{\{\s*value\(\s*" + Q + r"([\w-]+)" + Q + r"\s*,\s*" + Q + r"([^\"'&]+)" + Q + r"\s*\)\s*\}\}")
CODE = re.compile(r"(<code\b.*?</code>|<pre\b.*?</pre>)", re.DOTALL)


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



def on_page_content(html: str, page, config, files) -> str:
    """MkDocs hook: a ``value()`` call still in the HTML, outside code, comes from a whole page that
    a snippet line included (the print editions): pymdownx.snippets inserts it when the Markdown
    is converted, after the macros ran. Insert those values here, with the same errors."""
    if "value(" not in html:
        return html
    parts = CODE.split(html)        # odd items: <code>…</code> and <pre>…</pre>, kept as they are
    for i in range(0, len(parts), 2):
        parts[i] = LEFT_OVER.sub(lambda m: _value_html(m.group(1), m.group(2)), parts[i])
    return "".join(parts)


def _value_html(demo: str, key: str) -> str:
    values = load_values(demo)
    if key not in values:
        raise KeyError(f"value({demo!r}, {key!r}): no such key; {demo} has: {', '.join(sorted(values))}")
    return html_escape(values[key], quote=True)
