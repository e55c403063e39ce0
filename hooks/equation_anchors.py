"""MkDocs hook: a stable, static anchor for every numbered equation.

MathJax numbers ``\\label``ed equations in the browser, so their ids do not exist in the
HTML that MkDocs checks and that readers without JavaScript get. For every display-math
block (``$$ … $$`` or ``\\begin{…} … \\end{…}``) this inserts, just before it, one
``<a id="eq-LABEL" class="eq-anchor"></a>`` per ``\\label{LABEL}`` it holds. The anchor is
derived from the label, not from the equation's number or position, so inserting an
equation never breaks a link such as ``bptt.md#eq-bptt-W``. A label used twice on a
page, or with characters other than letters, digits, ``-``, ``_`` and ``:``, stops the build.
"""

from __future__ import annotations

import re

from mkdocs.exceptions import PluginError

LABEL = re.compile(r"\\label\{([^}]*)\}")
VALID = re.compile(r"^[A-Za-z][A-Za-z0-9_:-]*$")
OPEN = re.compile(r"^(\s*)(\$\$|\\begin\{([a-z*]+)\})")


def anchor_id(label: str) -> str:
    """``eq-`` + the label, with ``:`` turned into ``-`` (safe in CSS selectors and URLs)."""
    return "eq-" + label.replace(":", "-")


def on_page_markdown(markdown: str, page, **kwargs) -> str:
    lines = markdown.split("\n")
    out: list[str] = []
    seen: set[str] = set()
    i = 0
    while i < len(lines):
        m = OPEN.match(lines[i])
        if not m:
            out.append(lines[i])
            i += 1
            continue
        indent, env = m.group(1), m.group(3)
        closing = "$$" if env is None else f"\\end{{{env}}}"
        j = i
        rest = lines[i].strip()[len(m.group(2)):]
        if closing not in rest:
            j = i + 1
            while j < len(lines) and closing not in lines[j]:
                j += 1
        block = lines[i : j + 1]
        for label in LABEL.findall("\n".join(block)):
            if not VALID.match(label):
                raise PluginError(f"{page.file.src_uri}: bad equation label {label!r}")
            if label in seen:
                raise PluginError(f"{page.file.src_uri}: equation label {label!r} used twice")
            seen.add(label)
            out += [f'{indent}<a id="{anchor_id(label)}" class="eq-anchor"></a>', ""]
        out += block
        i = j + 1
    return "\n".join(out)
