"""MkDocs hook: what each exercise page gets from ``solutions/pages.toml``, and the 404 page.

* ``<meta name="eq-prefix" content="B">`` in the page's head: docs/javascripts/mathjax-config.js
  numbers the page's equations (B1), (B2) … so that they cannot be mistaken for the book's (6.39).
* Under the page's title, a link to download the page's notebook (``notebooks/<page>.ipynb``,
  written by ``python -m solutions.notebooks`` and executed by tests/test_notebooks.py).
* The 404 page: a static host serves one ``/404.html`` for every missing path, and the zh-CN
  build (which runs after the English one) would overwrite it with its Chinese copy. The English
  build's copy is kept; it shows the Chinese text itself when the missing path is under /zh/.
"""

from __future__ import annotations

import re

from solutions.notebooks import pages

LINK_TEXT = {
    "en": "Download this exercise as a Jupyter notebook",
    "zh": "下载本习题的 Jupyter 笔记本",
}
H1 = re.compile(r"^# .*$", re.M)
_english_404: str | None = None


def _language(config) -> str:
    i18n = config.plugins.get("i18n")
    return getattr(i18n, "current_language", None) or "en"


def _key(page) -> str:
    """``bptt`` for docs/bptt.md and docs/bptt.zh.md."""
    src = page.file.src_uri
    return re.sub(r"(\.zh)?\.md$", "", src)


def on_page_markdown(markdown: str, page, config, **kwargs) -> str:
    key = _key(page)
    if key not in pages():
        return markdown
    lang = "zh" if page.file.src_uri.endswith(".zh.md") else "en"
    link = f'[{LINK_TEXT[lang]}](notebooks/{key}.ipynb){{ download="{key}.ipynb" }}\n{{: .notebook-link }}'
    m = H1.search(markdown)
    if m is None:
        return markdown
    return markdown[: m.end()] + "\n\n" + link + "\n" + markdown[m.end():]


def on_post_page(output: str, page, config, **kwargs) -> str:
    info = pages().get(_key(page))
    if info is None:
        return output
    meta = f'<meta name="eq-prefix" content="{info["prefix"]}">'
    return output.replace("</head>", meta + "\n</head>", 1)


def on_post_template(output: str, template_name: str, config, **kwargs) -> str:
    global _english_404
    if template_name != "404.html":
        return output
    if _language(config) == "en":
        _english_404 = output
        return output
    return _english_404 or output


HEADING = re.compile(r'<h([1-6]) id="([^"]+)"(.*?)</h\1>', re.S)


def on_page_content(html: str, page, **kwargs) -> str:
    """Heading ids unique on the page: the print edition includes every page, and the zh-CN pages
    give their headings explicit ids (``{#the-exercise}``) that the toc extension does not
    deduplicate. The n-th repeat of ``x`` becomes ``x_n`` (as the toc extension does for its own
    ids), in the heading, its permalink and the page's table of contents."""
    seen: dict[str, int] = {}

    def rename(anchor: str) -> str:
        n = seen.get(anchor, 0)
        seen[anchor] = n + 1
        return anchor if n == 0 else f"{anchor}_{n}"

    def fix(m: re.Match) -> str:
        level, anchor, rest = m.groups()
        new = rename(anchor)
        if new == anchor:
            return m.group(0)
        return f'<h{level} id="{new}"' + rest.replace(f'href="#{anchor}"', f'href="#{new}"') + f"</h{level}>"

    html = HEADING.sub(fix, html)
    if any(n > 1 for n in seen.values()):
        seen.clear()

        def walk(items) -> None:
            for item in items:
                item.id = rename(item.id)
                walk(item.children)

        walk(page.toc)
    return html
