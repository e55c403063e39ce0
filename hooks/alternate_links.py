"""MkDocs hook: drop the ``<link rel="alternate" hreflang=…>`` tags from every page's head.

With the zh-CN edition, mkdocs-static-i18n adds one such tag per language, pointing at the
page's twin. Material's JavaScript then fetches ``sitemap.xml`` *relative to each of those
links* (e.g. ``/api/cell/sitemap.xml``), which does not exist, so every page logged a 404 in
the console. The language switcher in the header is made of ordinary links
(``<a hreflang=… class="md-select__link">``) and keeps working without them. Neither plugin
has an option for this: Material (9.8.2) writes a tag per entry of ``extra.alternate``, which
static-i18n fills for its language switcher, and its bundle fetches ``sitemap.xml`` next to each.
"""

from __future__ import annotations

import re

ALTERNATE = re.compile(r'\s*<link rel="alternate" href="[^"]*" hreflang="[^"]*">')


def on_post_page(output: str, **kwargs) -> str:
    head_end = output.find("</head>")
    if head_end < 0:
        return output
    return ALTERNATE.sub("", output[:head_end]) + output[head_end:]
