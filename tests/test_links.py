"""No broken internal link in either language: every href/src in the built HTML resolves.

The strict build checks the links written in Markdown; this crawls what was actually built —
theme navigation, the language switcher, the zh-CN edition, the print page, API cross-references —
and checks that each internal URL names an existing file and, with a ``#fragment``, an element
with that id in the target page.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlparse

BASE = "http://site.invalid/"


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for key in ("id", "name"):
            if a.get(key) and (key == "id" or tag == "a"):
                self.ids.add(a[key])
        for key in ("href", "src"):
            if a.get(key) and not (tag == "link" and a.get("rel") in ("canonical",)):
                self.links.append(a[key])


@lru_cache(maxsize=None)
def parse(path: Path) -> _Collector:
    c = _Collector()
    c.feed(path.read_text(encoding="utf-8", errors="replace"))
    return c


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
