"""MkDocs hook: what each exercise page gets from ``solutions/publish/pages.toml``, and the 404 page.

* ``<meta name="eq-prefix" content="B">`` in the page's head: hooks/math_render.py
  numbers the page's equations (B1), (B2) … so that they cannot be mistaken for the book's (6.39).
* Under the page's title, a link to download the page's notebook (``notebooks/<page>.ipynb``,
  written by ``python -m solutions.publish.notebooks`` and executed by tests/test_notebooks.py).
* The 404 page: a static host serves one ``/404.html`` for every missing path, and the zh-CN
  build (which runs after the English one) would overwrite it with its Chinese copy. The English
  build's copy is kept; it shows the Chinese text itself when the missing path is under /zh/.
"""

from __future__ import annotations

import re

from solutions.publish.notebooks import ROOT, pages, tests

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


REPRODUCE = re.compile(r"((?:Reproduce(?: with)?:?|本地复现：)\s*`python -m solutions run ([\w-]+)`)")
FENCE = re.compile(r"^(?P<indent> *)```python\n(?P<body>(?:(?P=indent)--8<-- \"solutions/[^\"]+\"\n)+)(?P=indent)```\n", re.M)
INCLUDE = re.compile(r'--8<-- "(solutions/[\w/]+\.py):([\w-]+)"')
DEF = re.compile(r"^([ \t]*)(?:async[ \t]+)?(def|class)[ \t]+(\w+)", re.M)


def _named_tests(markdown: str, lang: str, repo: str) -> str:
    """Each "Reproduce: `python -m solutions run NAME`" names the tests that check NAME's result."""
    checks = tests()

    def add(m: re.Match) -> str:
        files = checks.get(m.group(2), []) + ["tests/test_outputs.py"]
        links = ", ".join(f"[`{f}`]({repo}/blob/main/{f})" if repo else f"`{f}`" for f in files)
        return m.group(1) + (f" (checked by {links})" if lang == "en" else f"（由 {links} 检验）")

    return REPRODUCE.sub(add, markdown)


def _owner(path: str, section: str) -> tuple[str, str] | None:
    """``(module, public name)`` that the snippet section ``section`` of ``path`` belongs to: the
    function or class around its start marker; for a private helper (``_backward``), the public
    function that calls it."""
    try:
        source = (ROOT / path).read_text(encoding="utf-8")
    except OSError:
        return None
    start = source.find(f"--8<-- [start:{section}]")
    if start < 0:
        return None
    module = path[:-3].replace("/", ".")
    defs = [m for m in DEF.finditer(source) if m.start() < start and m.group(1) == ""]
    if not defs:
        return (module, "")
    name = defs[-1].group(3)
    if name.startswith("_"):
        callers = [m.group(3) for m in DEF.finditer(source) if m.group(1) == "" and not m.group(3).startswith("_")
                   and re.search(rf"\b{re.escape(name)}\(", source[m.end(): _next_def(source, m.end())])]
        name = callers[0] if callers else ""
    return (module, name)


def _next_def(source: str, pos: int) -> int:
    m = re.compile(r"^(def|class|async def)\s", re.M).search(source, pos)
    return m.start() if m else len(source)


def _snippet_captions(markdown: str, lang: str) -> str:
    """Under each code block pulled from solutions/: the file and the function, linked to its API entry."""
    def caption(m: re.Match) -> str:
        owners = []
        for path, section in INCLUDE.findall(m.group("body")):
            owner = _owner(path, section)
            if owner and (path, owner) not in owners:
                owners.append((path, owner))
        if not owners:
            return m.group(0)
        parts = []
        for path, (module, name) in owners:
            documented = not module.startswith("solutions.demos") and (ROOT / "docs" / "api" /
                                                                        f"{module.split('.')[-1]}.md").exists()
            target = f"{module}.{name}" if name else module
            label = f"`{name or module}`"
            parts.append(f"`{path}`" + (", " if lang == "en" else "，") +
                         (f"[{label}][{target}]" if documented else label))
        text = ("From " if lang == "en" else "代码来自 ") + ("; " if lang == "en" else "；").join(parts)
        return m.group(0) + f"\n{m.group('indent')}{text}\n{m.group('indent')}{{: .snippet-source }}\n\n"

    return FENCE.sub(caption, markdown)


def on_page_markdown(markdown: str, page, config, **kwargs) -> str:
    lang = "zh" if page.file.src_uri.endswith(".zh.md") else "en"
    if not page.file.src_uri.startswith("print"):
        markdown = _named_tests(markdown, lang, (config.get("repo_url") or "").rstrip("/"))
        markdown = _snippet_captions(markdown, lang)
    key = _key(page)
    if key not in pages():
        return markdown
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
