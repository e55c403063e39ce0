"""MkDocs hook: the site's addresses, and the citations generated from ``CITATION.cff``.

Addresses. Nothing in the repository names a site or a repository of its own: a publisher sets
them with ``make publish SITE_URL=… REPO_URL=…``, which writes ``url`` and ``repository-code``
into ``CITATION.cff``. This hook takes ``site_url``/``repo_url`` from there (the environment
variables ``NNDL_SITE_URL``/``NNDL_REPO_URL`` of ``mkdocs.yml`` win); with neither, the site has no
address and builds and works without one.

Citations. A page that contains the line ``<!-- bibtex -->`` gets, in its place, a ``bibtex``
code block with one entry for the whole site and one per content page of the navigation (API
pages, the home, cite and print pages excluded); ``<!-- citation -->`` becomes the plain-text
citation of the site, ``<!-- addresses -->`` a sentence naming the configured addresses (or, with
none, where the source is). Title, authors, version and year come from ``CITATION.cff``, page titles
from ``mkdocs.yml``'s nav. Each address in them is an element ``[data-site-path]``: the static
HTML holds ``site_url`` + path when the publisher configured ``site_url`` (nothing otherwise), and
docs/javascripts/site.js fills in the address the reader is actually reading, from the page's own
URL (http and https only).

A hook because no plugin writes BibTeX *for* a site (mkdocs-bibtex formats citations *from* a
.bib file into pages).
"""

from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import urlsplit

import yaml

MARKER = "<!-- bibtex -->"
PLAIN = "<!-- citation -->"
ADDRESSES = "<!-- addresses -->"
SKIP = ("index.md", "cite.md", "print.md")
URL_FIELD = "url"


def _cff(config) -> dict:
    return yaml.safe_load((Path(config["config_file_path"]).parent / "CITATION.cff").read_text(encoding="utf-8"))


def _repo_name(repo_url: str) -> str:
    """The header's label for the repository link, as MkDocs derives it from ``repo_url``."""
    host = urlsplit(repo_url).netloc.lower()
    return {"github.com": "GitHub", "bitbucket.org": "Bitbucket", "gitlab.com": "GitLab"}.get(
        host, host.split(".")[0].title())


def on_config(config, **kwargs):
    """``site_url``/``repo_url`` from ``CITATION.cff`` when the environment did not set them."""
    cff = _cff(config)
    if not config.get("site_url") and cff.get("url"):
        url = str(cff["url"])
        config["site_url"] = url if url.endswith("/") else url + "/"
    if not config.get("repo_url") and cff.get("repository-code"):
        config["repo_url"] = str(cff["repository-code"])
        if not config.get("repo_name"):
            config["repo_name"] = _repo_name(config["repo_url"])
    return config


def _flatten(nav, out):
    for item in nav or []:
        if isinstance(item, dict):
            for title, value in item.items():
                if isinstance(value, str):
                    out.append((title, value))
                else:
                    _flatten(value, out)
    return out


def _tex(text: str) -> str:
    return text.replace("&", r"\&").replace("%", r"\%")


def _fields(key: str, title: str, cff: dict, part_of: bool) -> list[tuple[str, str]]:
    authors = " and ".join(a.get("name") or f"{a['family-names']}, {a['given-names']}" for a in cff["authors"])
    fields = [("author", authors), ("title", "{" + _tex(title) + "}"), ("year", str(cff["date-released"])[:4]),
              ("version", str(cff["version"]))]
    if part_of:
        fields.append(("howpublished", f"Page of the site ``{_tex(cff['title'])}''"))
    fields.append((URL_FIELD, ""))  # the page's address: see entries() and bibtex_html()
    fields.append(("note", "Solutions to 《神经网络与深度学习》 (Qiu Xipeng, 2020), ch. 6"))
    return fields


def _pages(config) -> list[tuple[str, str, str]]:
    """``(key, title, path below the edition's root)``: the site, then each page of the nav in order."""
    out = [("nndl-bptt-site", _cff(config)["title"], "")]
    for title, src in _flatten(config["nav"], []):
        if src in SKIP or src.startswith("api/") or not src.endswith(".md"):
            continue
        stem = src[:-3]
        out.append((f"nndl-bptt-{stem}", title, f"{stem}/"))
    return out


def _line(name: str, value: str) -> str:
    return f"  {name:<12} = {{{value}}}"


def entries(config, prefix: str = "") -> str:
    """The BibTeX text: the site, then each page of the nav in order; a ``url`` field (``site_url``
    + ``prefix`` + the page's path) only when ``site_url`` is configured."""
    cff = _cff(config)
    base = (config.get("site_url") or "").rstrip("/")
    blocks = []
    for i, (key, title, path) in enumerate(_pages(config)):
        lines = [_line(k, f"{base}/{prefix}{path}" if k == URL_FIELD else v)
                 for k, v in _fields(key, title, cff, part_of=i > 0) if k != URL_FIELD or base]
        blocks.append(f"@misc{{{key},\n" + ",\n".join(lines) + "\n}")
    return "\n\n".join(blocks)


def _address(config, path: str, form: str) -> str:
    """An element the browser fills with the reader's address of ``path`` (site.js); its static
    text is ``site_url`` + ``path`` when configured, else nothing."""
    base = config.get("site_url") or ""
    url = base.rstrip("/") + "/" + path if base else ""
    text = (_line(URL_FIELD, url) + ",\n" if url else "") if form == "bibtex" else url
    return f'<span data-site-path="{html.escape(path)}" data-site-form="{form}">{html.escape(text)}</span>'


def bibtex_html(config, prefix: str) -> str:
    """The BibTeX block as HTML (the shape of a highlighted code block, so the copy button works),
    each ``url`` line an address element."""
    cff = _cff(config)
    blocks = []
    for i, (key, title, path) in enumerate(_pages(config)):
        lines = []
        for name, value in _fields(key, title, cff, part_of=i > 0):
            if name == URL_FIELD:
                lines.append(_address(config, prefix + path, "bibtex"))
            else:
                lines.append(html.escape(_line(name, value)) + ",\n")
        body = "".join(lines)
        body = body[: body.rfind(",\n")] + "\n"  # no comma after the last field
        blocks.append(html.escape(f"@misc{{{key},") + "\n" + body + "}")
    return ('<div class="language-bibtex highlight"><pre><span></span><code>' + "\n\n".join(blocks)
            + "</code></pre></div>")


def plain_html(config, prefix: str) -> str:
    """The plain-text citation of the site (authors, year, title, version, address)."""
    cff = _cff(config)
    authors = "; ".join(a.get("name") or f"{a['family-names']}, {a['given-names']}" for a in cff["authors"])
    year = str(cff["date-released"])[:4]
    return (f'<p class="plain-citation">{html.escape(authors)} ({year}). <em>{html.escape(cff["title"])}</em> '
            f'(version {html.escape(str(cff["version"]))}). {_address(config, prefix, "plain")}</p>')


def addresses_html(config, lang: str) -> str:
    """The publisher's addresses as a paragraph, or where the source is when none is configured."""
    site, repo = config.get("site_url"), config.get("repo_url")
    link = lambda url: f'<a href="{html.escape(url)}">{html.escape(url)}</a>'  # noqa: E731
    if lang == "zh":
        text = f"发布者设定的站点地址是 {link(site)}。" if site else ""
        text += (f"源代码（含代码与测试）在 {link(repo)}。" if repo else
                 "源代码（含代码与测试）就是构建本站的那个仓库，其 <code>README.md</code> 说明了如何运行。")
    else:
        text = f"The publisher's address for the site is {link(site)}. " if site else ""
        text += (f"The source, with the code and the tests, is at {link(repo)}." if repo else
                 "The source, with the code and the tests, is the repository this site was built from; "
                 "its <code>README.md</code> says how to run it.")
    return f"<p>{text}</p>"


def on_page_content(content: str, page, config, **kwargs) -> str:
    lang = "zh" if page.file.src_uri.endswith(".zh.md") else "en"
    if ADDRESSES in content:
        content = content.replace(ADDRESSES, addresses_html(config, lang))
    if MARKER not in content and PLAIN not in content:
        return content
    prefix = "zh/" if lang == "zh" else ""
    depth = page.url.count("/")  # "cite/" -> "../", "zh/cite/" -> "../../" (directory URLs)
    root = f'<div data-site-root="{"../" * depth}">'
    return (content.replace(MARKER, root + bibtex_html(config, prefix) + "</div>")
            .replace(PLAIN, root + plain_html(config, prefix) + "</div>"))
