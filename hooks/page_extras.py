"""MkDocs hook: what each exercise page gets from ``solutions/publish/pages.toml``, and the 404 page.

* ``<meta name="eq-prefix" content="B">`` in the page's head: hooks/math_render.py
  numbers the page's equations (B1), (B2) … so that they cannot be mistaken for the book's (6.39).
* Under the page's title, a link to download the page's notebook (``notebooks/<page>.ipynb``,
  written by ``python -m solutions.publish.notebooks`` and executed by tests/test_notebooks.py).
* After each "Reproduce: `python -m solutions run NAME`", the test files that check NAME's result.
* Under each code block pulled from ``solutions/``, a caption naming the file and the function,
  linked to its API entry: the name is written after the section's start marker in the source.
* Heading ids unique on a page (the print editions include every page whole).
* Figures (``<img>`` of ``figures/*.svg``) load when the reader nears them (``loading="lazy"``),
  with their size written on them, so the page keeps its layout while they load: a page no longer
  fetches and parses its figures (each in both schemes) before it shows its math (issue 23 §1). The
  print editions load every figure at once (a printer does not scroll).
* The 404 page: a static host serves one ``/404.html`` for every missing path, and the zh-CN
  build (which runs after the English one) would overwrite it with its Chinese copy. The English
  build's copy is kept; it shows the Chinese text itself when the missing path is under /zh/.
* The built site's notebooks name the repository when the publisher configured ``repo_url``
  (``make publish``); the committed notebooks in docs/notebooks/ name no host.

Why a hook and not a plugin: these read this project's own files (pages.toml, the marker names)
or work around the two-build layout of mkdocs-static-i18n. mkdocs-print-site-plugin would make
the ids unique itself, but it prints only the default language under mkdocs-static-i18n (its
issue #70, open), so the print editions are pages of their own (docs/print*.md); no plugin
writes a 404 page for two editions or captions snippet includes.
"""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.exceptions import PluginError

from solutions.publish.notebooks import ROOT, pages, tests, with_repository

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


TEST_REF = re.compile(r"(?<!\[)`(tests/[\w/-]+\.py)((?:::[\w\[\]-]+)?)`")


def _named_tests(markdown: str, lang: str, repo: str) -> str:
    """Each "Reproduce: `python -m solutions run NAME`" names the tests that check NAME's result;
    with a configured repository, each test named in the prose (`tests/test_x.py::test_y`, the
    "checked by" beside a claim) links to its file there."""
    checks = tests()

    def add(m: re.Match) -> str:
        files = checks.get(m.group(2), []) + ["tests/test_outputs.py"]
        links = ", ".join(f"`{f}`" for f in files)
        return m.group(1) + (f" (checked by {links})" if lang == "en" else f"（由 {links} 检验）")

    markdown = REPRODUCE.sub(add, markdown)
    if repo:
        markdown = TEST_REF.sub(lambda m: f"[`{m.group(1)}{m.group(2)}`]({repo}/blob/main/{m.group(1)})", markdown)
    return markdown


def _owners(path: str, section: str) -> tuple[str, list[str]]:
    """``(module, names)`` that the snippet section ``section`` of ``path`` shows: the names are
    written after its start marker, ``# --8<-- [start:cell-forward] lstm_cell_forward`` (several
    separated by commas), by whoever writes the section — pymdownx.snippets drops the marker line,
    so the caption's words never reach the page's code. A section without them stops the build."""
    source = (ROOT / path).read_text(encoding="utf-8")
    m = re.search(rf"--8<-- \[start:{re.escape(section)}\][ \t]*(.*)$", source, re.M)
    if m is None:
        raise PluginError(f"{path} has no snippet section {section!r}")
    names = [n.strip() for n in m.group(1).split(",") if n.strip()]
    if not names:
        raise PluginError(f"{path}: snippet section {section!r} needs the name of what it shows after its "
                          f"start marker, e.g. `# --8<-- [start:{section}] function_name` (the code block's caption)")
    return path[:-3].replace("/", "."), names


def _snippet_captions(markdown: str, lang: str) -> str:
    """Under each code block pulled from solutions/: the file and the functions, linked to their API entries."""
    def caption(m: re.Match) -> str:
        shown: dict[str, list[str]] = {}             # file -> its names, in order of first appearance
        for path, section in INCLUDE.findall(m.group("body")):
            module, names = _owners(path, section)
            api_page = ROOT / "docs" / "api" / (module.removeprefix("solutions.").replace(".", "/") + ".md")
            documented = not module.startswith("solutions.demos") and api_page.exists()
            for name in names:
                link = f"[`{name}`][{module}.{name}]" if documented else f"`{name}`"
                if link not in shown.setdefault(path, []):
                    shown[path].append(link)
        comma, semicolon = (", ", "; ") if lang == "en" else ("，", "；")
        text = semicolon.join(f"`{path}`{comma}" + comma.join(links) for path, links in shown.items())
        text = ("From " if lang == "en" else "代码来自 ") + text
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


FIGURE = re.compile(r'<img (alt="[^"]*") src="((?:\.\./)*figures/([\w.-]+\.svg))(#[\w-]+)?"')
SVG_SIZE = re.compile(r'<svg\b[^>]*?\swidth="([\d.]+)pt" height="([\d.]+)pt"')


def _lazy_figures(output: str, config) -> str:
    def lazy(m: re.Match) -> str:
        path = Path(config["docs_dir"]) / "figures" / m.group(3)
        translated = path.with_name(path.name[:-len(".svg")] + ".zh.svg")
        if _language(config) == "zh" and translated.is_file():  # the zh edition serves it as NAME.svg
            path = translated
        size = SVG_SIZE.search(path.read_text(encoding="utf-8")[:2000])
        if size is None:
            raise PluginError(f"hooks/page_extras.py: no width/height in pt in {path}")
        w, h = (round(float(v) * 4 / 3) for v in size.groups())  # CSS px, as the browser sizes the svg
        return f'<img {m.group(1)} src="{m.group(2)}{m.group(4) or ""}" width="{w}" height="{h}" loading="lazy"'
    return FIGURE.sub(lazy, output)


def on_post_page(output: str, page, config, **kwargs) -> str:
    if page.file.src_uri not in ("print.md", "print.zh.md"):
        output = _lazy_figures(output, config)
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


def on_post_build(config, **kwargs) -> None:
    repo = config.get("repo_url")
    if not repo:
        return
    for path in Path(config["site_dir"]).rglob("notebooks/*.ipynb"):
        text = path.read_text(encoding="utf-8")
        path.write_text(with_repository(text, repo), encoding="utf-8")


HEADING = re.compile(r'<h([1-6]) id="([^"]+)"(.*?)</h\1>', re.S)
HEADING_ID = re.compile(r'<h[1-6] id="([^"]+)"')


def on_page_content(html: str, page, **kwargs) -> str:
    """Heading ids unique on the page: the print edition includes every page, and the pages give
    some headings explicit ids (``{#the-exercise}``) that the toc extension does not deduplicate.
    A repeat of ``x`` becomes ``x_n`` with the first ``n`` no other heading uses (the toc extension
    names its own repeats the same way), in the heading, its permalink and the page's table of
    contents."""
    used = set(HEADING_ID.findall(html))
    seen: set[str] = set()
    renamed: dict[str, list[str]] = {}      # id -> the new id of each of its headings, in order

    def fix(m: re.Match) -> str:
        level, anchor, rest = m.groups()
        if anchor not in seen:
            seen.add(anchor)
            renamed.setdefault(anchor, []).append(anchor)
            return m.group(0)
        n = 1
        while f"{anchor}_{n}" in used:
            n += 1
        new = f"{anchor}_{n}"
        used.add(new)
        renamed[anchor].append(new)
        return f'<h{level} id="{new}"' + rest.replace(f'href="#{anchor}"', f'href="#{new}"') + f"</h{level}>"

    html = HEADING.sub(fix, html)
    if any(len(ids) > 1 for ids in renamed.values()):
        queues = {anchor: iter(ids) for anchor, ids in renamed.items()}

        def walk(items) -> None:
            for item in items:
                item.id = next(queues.get(item.id, iter(())), item.id)
                walk(item.children)

        walk(page.toc)
    return html
