"""No address the project does not control (issue 22).

The repository names no site or repository of its own: a publisher sets both with ``make publish
SITE_URL=… REPO_URL=…`` (``solutions/publish/addresses.py`` writes them into ``CITATION.cff``; the
build reads them from there, or from ``NNDL_SITE_URL``/``NNDL_REPO_URL``). These tests keep it so:

* every address in every tracked text file is a third-party reference listed by the rule below
  (papers, package indexes, the book's and the course's sites and repositories, XML namespaces,
  loopback and reserved example names) or one the configuration set;
* ``CITATION.cff`` validates with and without the addresses, and the writer refuses bad ones;
* the built Cite page holds no address when none is configured, and in a browser shows the
  address it is served at, also under a path prefix.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from solutions.publish import addresses

ROOT = Path(__file__).resolve().parents[1]
CFFCONVERT = str(Path(sys.executable).parent / "cffconvert")

# Third-party hosts a tracked file may name, any path: host -> why.
THIRD_PARTY_HOSTS = {
    # namespaces and metadata that matplotlib writes into every SVG figure
    "www.w3.org": "XML, SVG and XLink namespaces", "purl.org": "Dublin Core namespace",
    "creativecommons.org": "the RDF namespace of the figures' metadata", "matplotlib.org": "the figures' generator",
    # licences
    "www.adobe.com": "the copyright line of the Noto Sans CJK font's licence (solutions/publish/fonts/OFL.txt)",
    "scripts.sil.org": "the SIL Open Font License", "openfontlicense.org": "the SIL Open Font License",
    # formats, tools and package indexes
    "citation-file-format.github.io": "the Citation File Format", "pypi.org": "PyPI",
    "download.pytorch.org": "PyTorch's own (CPU-only) package index", "pytorch.org": "PyTorch's documentation",
    "docs.pytorch.org": "PyTorch's documentation", "numpy.org": "NumPy's documentation",
    "www.mkdocs.org": "MkDocs' documentation", "squidfunk.github.io": "Material for MkDocs' documentation",
    # the book, the course, and what the pages cite
    "nndl.github.io": "the book's own site (Qiu Xipeng)", "community.deeplearning.ai": "the course's forum threads",
    "www.coursera.org": "the deeplearning.ai course", "www.deeplearning.ai": "the deeplearning.ai course",
    "arxiv.org": "papers", "doi.org": "papers", "dx.doi.org": "papers", "aclanthology.org": "papers",
    "proceedings.neurips.cc": "papers", "papers.nips.cc": "papers", "proceedings.mlr.press": "papers",
    "jmlr.org": "papers", "www.jmlr.org": "papers", "openreview.net": "papers", "ieeexplore.ieee.org": "papers",
    "dl.acm.org": "papers", "link.springer.com": "papers", "www.bioinf.jku.at": "papers (Hochreiter)",
    "www.cs.toronto.edu": "papers and course notes", "www.deeplearningbook.org": "Goodfellow et al.",
    "d2l.ai": "Dive into Deep Learning", "cs231n.github.io": "CS231n notes", "en.wikipedia.org": "background",
    # not addresses of a site
    "127.0.0.1": "loopback (mkdocs serve, the tests' server)", "localhost": "loopback",
}
# Code hosts: only these repositories (owner/ or owner/name prefix) may be named.
CODE_HOSTS = {"github.com", "gist.github.com", "raw.githubusercontent.com", "gitee.com", "gitlab.com"}
THIRD_PARTY_REPOSITORIES = {
    "nndl/": "the book's and its companion course's repositories (nndl/nndl.github.io, nndl/practice-in-paddle)",
    "karpathy/": "min-char-rnn", "ddbourgin/numpy-ml": "numpy-ml", "cs231n/": "CS231n",
    "d2l-ai/": "Dive into Deep Learning", "pytorch/": "PyTorch", "numpy/": "NumPy",
    "squidfunk/mkdocs-material": "Material for MkDocs", "mkdocs/": "MkDocs",
    "facelessuser/pymdown-extensions": "pymdown-extensions",
}
# Names reserved for examples and tests (RFC 2606/6761): never anyone's address.
RESERVED = re.compile(r"(^|\.)(example\.(org|com|net)|[a-z0-9-]+\.(invalid|test|example))$")
URL = re.compile(r"\b(?:https?|ftp|git|ssh)://([^\s\"'()\[\]{}`\\]*)", re.I)
BARE_PAGES_HOST = re.compile(r"(?<![\w./-])((?:[a-z0-9-]+\.)+(?:github|gitlab|gitee)\.io)\b", re.I)


def configured() -> set[str]:
    """The addresses the configuration set: ``CITATION.cff``'s and the environment's."""
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    urls = {cff.get("url"), cff.get("repository-code"), os.environ.get("NNDL_SITE_URL"),
            os.environ.get("NNDL_REPO_URL")}
    return {u.rstrip("/") for u in urls if u}


def allowed(url: str) -> bool:
    """The rule: a third-party reference, a template (``https://<user>.github.io/``, ``https://…``,
    ``http://$(HOST)``), a reserved name, or an address the configuration set."""
    parts = urlsplit("https://" + url)
    host = (parts.hostname or "").lower()
    if not re.fullmatch(r"[a-z0-9.-]*[a-z0-9]", host) or any(url.rstrip("/").startswith(c.split("://", 1)[1]) for c in configured()):
        return True
    if host in THIRD_PARTY_HOSTS or RESERVED.search(host):
        return True
    if host in CODE_HOSTS:
        path = parts.path.lstrip("/")
        return path.startswith("<") or any(path.startswith(repo) for repo in THIRD_PARTY_REPOSITORIES)
    return False


def tracked_text_files() -> list[Path]:
    """Every tracked text file but this one (its examples are the addresses the rule must catch)."""
    names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    out = []
    for name in names.decode().split("\0"):
        path = ROOT / name
        if name and path.is_file() and path != Path(__file__).resolve():
            data = path.read_bytes()
            if b"\0" not in data[:8192]:
                out.append(path)
    return out


def hosts_of_our_own(text: str) -> list[str]:
    """The addresses in ``text`` that the rule does not allow."""
    bad = [m.group(0) for m in URL.finditer(text) if not allowed(m.group(1))]
    bad += [m.group(1) for m in BARE_PAGES_HOST.finditer(text) if not allowed(m.group(1))]
    return bad


def test_no_tracked_file_names_a_host_the_configuration_did_not_set() -> None:
    found = []
    for path in tracked_text_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        found += [f"{path.relative_to(ROOT)}: {url}" for url in hosts_of_our_own(text)]
    assert not found, ("addresses that no configuration set (a site or repository of this project belongs in "
                       "`make publish SITE_URL=… REPO_URL=…`; a third-party reference goes into the rule of "
                       "tests/test_addresses.py with its reason):\n  " + "\n  ".join(found))


@pytest.mark.parametrize(("text", "bad"), [
    ("The site: <https://nndl-rnn-bptt.github.io/>", ["https://nndl-rnn-bptt.github.io/>"]),
    ("git clone https://github.com/nndl-rnn-bptt/nndl-rnn-bptt.github.io",
     ["https://github.com/nndl-rnn-bptt/nndl-rnn-bptt.github.io"]),
    ("see nndl-rnn-bptt.gitlab.io for the site", ["nndl-rnn-bptt.gitlab.io"]),
    ("git clone git://gitee.com/someone/copy", ["git://gitee.com/someone/copy"]),
    ("arXiv: https://arxiv.org/abs/1409.1259, the course https://github.com/nndl/practice-in-paddle", []),
    ("make publish SITE_URL=https://<user>.github.io/<repo>/ REPO_URL=https://github.com/<user>/<repo>", []),
    ("SITE_URL=https://example.org/project/, http://site.invalid/, http://127.0.0.1:8000", []),
])
def test_the_rule_on_examples(text: str, bad: list[str]) -> None:
    assert hosts_of_our_own(text) == bad


def validate(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([CFFCONVERT, "--validate", "-i", str(path)], capture_output=True, text=True, timeout=60)


def test_citation_cff_names_no_address_and_publish_writes_valid_ones(tmp_path: Path) -> None:
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert "url" not in cff and "repository-code" not in cff, "CITATION.cff is committed without addresses"
    copy = tmp_path / "CITATION.cff"
    copy.write_text((ROOT / "CITATION.cff").read_text(encoding="utf-8"), encoding="utf-8")
    addresses.set_addresses("https://example.org/project", "https://git.example.org/you/project", copy)
    written = yaml.safe_load(copy.read_text(encoding="utf-8"))
    assert written["url"] == "https://example.org/project/"
    assert written["repository-code"] == "https://git.example.org/you/project"
    proc = validate(copy)
    assert proc.returncode == 0 and "valid according to schema version 1.2.0" in proc.stdout, proc.stdout + proc.stderr
    addresses.set_addresses("https://example.org/other/", "", copy)   # written again: replaced, not repeated
    again = yaml.safe_load(copy.read_text(encoding="utf-8"))
    assert again["url"] == "https://example.org/other/" and "repository-code" not in again
    addresses.set_addresses("", "", copy)
    assert copy.read_text(encoding="utf-8") == (ROOT / "CITATION.cff").read_text(encoding="utf-8")


@pytest.mark.parametrize("bad", ["example.org/project", "ftp://example.org/", "https://", "https://exa mple.org/",
                                 'https://example.org/"x'])
def test_publish_refuses_what_is_not_an_http_address(tmp_path: Path, bad: str) -> None:
    copy = tmp_path / "CITATION.cff"
    copy.write_text((ROOT / "CITATION.cff").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ValueError, match="site_url must be an absolute http"):
        addresses.set_addresses(bad, "", copy)
    with pytest.raises(ValueError, match="repo_url must be an absolute http"):
        addresses.set_addresses("https://example.org/", bad, copy)


def test_built_site_names_no_address_when_none_is_configured(site: Path) -> None:
    if configured():
        pytest.skip("a publisher configured an address")
    cite = (site / "cite" / "index.html").read_text(encoding="utf-8")
    assert 'data-site-path="bptt/" data-site-form="bibtex"></span>' in cite, "no url field without an address"
    assert "rel=\"canonical\"" not in cite
    assert "md-source" not in cite, "no repository link without repo_url"
    for nb in sorted((site / "notebooks").glob("*.ipynb")):
        assert "git clone" not in nb.read_text(encoding="utf-8"), nb.name


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.mark.browser
def test_cite_page_cites_the_address_it_is_served_at(site: Path, browser, tmp_path: Path) -> None:
    """Served under a path prefix (a mirror), both editions' citations carry that address."""
    (tmp_path / "mirror").mkdir()
    (tmp_path / "mirror" / "copy").symlink_to(site, target_is_directory=True)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    root = f"http://127.0.0.1:{server.server_address[1]}/mirror/copy/"
    try:
        page = browser.new_page()
        for edition in ("", "zh/"):
            page.goto(f"{root}{edition}cite/?from=test#cite")
            bibtex = page.locator(".language-bibtex code").first.inner_text()
            assert f"  url          = {{{root}{edition}bptt/}}," in bibtex, bibtex
            assert f"  url          = {{{root}{edition}}}," in bibtex
            assert bibtex.count("url          =") == bibtex.count("@misc{")
            assert page.locator(".plain-citation").inner_text().endswith(f"{root}{edition}")
        page.close()
    finally:
        server.shutdown()
