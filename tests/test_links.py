"""No broken internal link in either language: every href/src in the built HTML resolves.

The strict build checks the links written in Markdown; this crawls what was actually built —
theme navigation, the language switcher, the zh-CN edition, the print page, API cross-references —
and checks that each internal URL names an existing file and, with a ``#fragment``, an element
with that id in the target page.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlparse

BASE = "http://site.invalid/"


class _Collector:
    """The ids (and ``<a name>``) and the href/src values of every start tag of one HTML file.

    Read with regular expressions over the start tags rather than ``html.parser`` (about 15 CPU-s
    for the 44 MB of a built site): the built HTML is well formed, markup inside code and text is
    escaped (``&lt;``), script and style text is skipped as html.parser skips it, and ``test_the_collector_agrees_with_html_parser`` holds the two readings
    equal on real pages."""

    def __init__(self, text: str) -> None:
        self.ids: set[str] = set()
        self.links: list[str] = []
        for tag, attrs in _START_TAG.findall(_RAW_TEXT.sub(r"\1", _COMMENT.sub("", text))):
            a = {k.lower(): html.unescape(q or s or u) for k, q, s, u in _ATTR.findall(attrs)}
            _record(self, tag.lower(), a)


_COMMENT = re.compile(r"<!--.*?-->", re.S)
# what html.parser does not read as markup: the text of <script> and <style> (their start tag stays)
_RAW_TEXT = re.compile(r"(<(?:script|style)\b[^>]*>).*?(?=</(?:script|style)\s*>)", re.S | re.I)
_START_TAG = re.compile(r"<([a-zA-Z][\w:-]*)((?:\s+[^\s=>/]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?)*)\s*/?>")
_ATTR = re.compile(r"([^\s=>/]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))")


class _Reference(HTMLParser):
    """The same reading with ``html.parser`` (the test that keeps ``_Collector`` honest)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        _record(self, tag, dict(attrs))


def _record(into: _Collector | _Reference, tag: str, a: dict[str, str | None]) -> None:
    """One start tag's share of ``into``: its id (or an ``<a name>``) and its href/src (not a canonical link)."""
    for key in ("id", "name"):
        if a.get(key) and (key == "id" or tag == "a"):
            into.ids.add(a[key])
    for key in ("href", "src"):
        if a.get(key) and not (tag == "link" and a.get("rel") in ("canonical",)):
            into.links.append(a[key])


@lru_cache(maxsize=None)
def parse(path: Path) -> _Collector:
    return _Collector(path.read_text(encoding="utf-8", errors="replace"))


def target_file(site: Path, url: str) -> Path:
    rel = unquote(urlparse(url).path)[len(urlparse(BASE).path):]
    path = site / rel
    return path / "index.html" if rel == "" or rel.endswith("/") or path.is_dir() else path


def test_every_internal_link_and_anchor_resolves(site: Path) -> None:
    broken: list[str] = []
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 20
    for page in pages:
        page_url = urljoin(BASE, page.relative_to(site).as_posix())
        for link in parse(page).links:
            if re.match(r"^(mailto:|javascript:|data:|https?://(?!site\.invalid))", link):
                continue
            url, fragment = urldefrag(urljoin(page_url, link))
            if not url.startswith(BASE):
                broken.append(f"{page.relative_to(site)}: {link} leaves the site")
                continue
            target = target_file(site, url)
            if not target.exists():
                broken.append(f"{page.relative_to(site)}: {link} -> missing {target.relative_to(site)}")
            elif fragment and target.suffix == ".html" and unquote(fragment) not in parse(target).ids:
                # ids that MathJax creates in the browser (mjx-eqn…) are checked by the browser test
                if not fragment.startswith("mjx-"):
                    broken.append(f"{page.relative_to(site)}: {link} -> no id {fragment!r} in {target.relative_to(site)}")
    assert not broken, f"{len(broken)} broken internal links:\n" + "\n".join(sorted(set(broken))[:60])


def test_the_collector_agrees_with_html_parser(site: Path) -> None:
    """The fast reading equals html.parser's on pages with every kind of content: math, figures,
    code, tables, the API reference, the 404 page and search page scripts, both editions."""
    pages = ["index.html", "lstm/index.html", "zh/gru/index.html", "api/lstm/index.html", "404.html",
             "zh/notation/index.html", "deep-rnn/index.html"]
    for rel in pages:
        text = (site / rel).read_text(encoding="utf-8")
        ref = _Reference()
        ref.feed(text)
        fast = _Collector(text)
        assert fast.ids == ref.ids and fast.links == ref.links, rel


def test_ids_are_unique_on_every_page(site: Path) -> None:
    """No page repeats an id (the print editions include every page; hooks/page_extras.py renames repeats)."""
    import collections

    dupes = []
    for page in sorted(site.rglob("*.html")):
        ids = re.findall(r'\sid="([^"]+)"', page.read_text(encoding="utf-8", errors="replace"))
        # (ids starting "__" are the line anchors of code blocks, which mkdocstrings highlights one
        # block at a time on the API pages, so that each restarts at __span-0-1: left alone)
        dupes += [f"{page.relative_to(site)}: {i}" for i, n in collections.Counter(ids).items()
                  if n > 1 and not i.startswith("__")]
    assert not dupes, "repeated ids:\n" + "\n".join(dupes[:40])
