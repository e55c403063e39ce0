"""MkDocs hook: BibTeX entries generated from ``CITATION.cff`` (one source of truth).

A page that contains the line ``<!-- bibtex -->`` gets, in its place, a ``bibtex`` code block
with one entry for the whole site and one per content page of the navigation (API pages,
the home, cite and print pages excluded). Title, authors, version and year come from
``CITATION.cff``; page titles from ``mkdocs.yml``'s nav; a URL is added when ``site_url`` is set.
A hook because no plugin writes BibTeX *for* a site (mkdocs-bibtex formats citations *from* a
.bib file into pages).
"""

from __future__ import annotations

from pathlib import Path

import yaml

MARKER = "<!-- bibtex -->"
SKIP = ("index.md", "cite.md", "print.md")


def _flatten(nav, out):
    for item in nav or []:
        if isinstance(item, dict):
            for title, value in item.items():
                if isinstance(value, str):
                    out.append((title, value))
                else:
                    _flatten(value, out)
    return out


def entries(config) -> str:
    """The BibTeX text: the site, then each page of the nav in order."""
    cff = yaml.safe_load((Path(config["config_file_path"]).parent / "CITATION.cff").read_text(encoding="utf-8"))
    authors = " and ".join(a.get("name") or f"{a['family-names']}, {a['given-names']}" for a in cff["authors"])
    year = str(cff["date-released"])[:4]
    base = (config.get("site_url") or "").rstrip("/")

    def tex(text: str) -> str:
        return text.replace("&", r"\&").replace("%", r"\%")

    def entry(key: str, title: str, path: str, part_of: bool) -> str:
        fields = [("author", authors), ("title", "{" + tex(title) + "}"), ("year", year),
                  ("version", str(cff["version"]))]
        if part_of:
            fields.append(("howpublished", f"Page of the site ``{tex(cff['title'])}''"))
        if base:
            fields.append(("url", f"{base}/{path}"))
        fields.append(("note", "Solutions to 《神经网络与深度学习》 (Qiu Xipeng, 2020), ch. 6"))
        body = ",\n".join(f"  {k:<12} = {{{v}}}" for k, v in fields)
        return f"@misc{{{key},\n{body}\n}}"

    blocks = [entry("nndl-bptt-site", cff["title"], "", part_of=False)]
    for title, src in _flatten(config["nav"], []):
        if src in SKIP or src.startswith("api/") or not src.endswith(".md"):
            continue
        stem = src[:-3]
        blocks.append(entry(f"nndl-bptt-{stem}", title, f"{stem}/", part_of=True))
    return "\n\n".join(blocks)


def on_page_markdown(markdown: str, page, config, **kwargs) -> str:
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, "```bibtex\n" + entries(config) + "\n```")
