"""The site's and the repository's address: configured once (mkdocs.yml), used everywhere.

``site_url`` and ``repo_url`` in ``mkdocs.yml`` are the one place each address is set (a deploy
may override them with ``NNDL_SITE_URL`` / ``NNDL_REPO_URL``). ``CITATION.cff`` and the README
cannot read that file, so they repeat the defaults, and this test keeps them equal; the built Cite
page's BibTeX carries the site's address.
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def configured() -> dict[str, tuple[str, str]]:
    """``{"site_url": (env variable, default), "repo_url": (...)}`` from mkdocs.yml's ``!ENV`` tags."""
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    out = {}
    for key in ("site_url", "repo_url"):
        value = config[key]
        assert isinstance(value, list) and len(value) == 2, f"mkdocs.yml {key}: !ENV [VARIABLE, default]"
        out[key] = (value[0], value[1])
    return out


def test_each_address_is_one_env_overridable_value() -> None:
    urls = configured()
    assert urls["site_url"] == ("NNDL_SITE_URL", urls["site_url"][1])
    assert urls["repo_url"] == ("NNDL_REPO_URL", urls["repo_url"][1])
    assert urls["site_url"][1].startswith("https://") and urls["site_url"][1].endswith("/")
    assert urls["repo_url"][1].startswith("https://")


def test_citation_cff_and_readme_use_the_configured_addresses() -> None:
    urls = configured()
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["url"] == urls["site_url"][1], "CITATION.cff url differs from mkdocs.yml site_url"
    assert cff["repository-code"] == urls["repo_url"][1], "CITATION.cff repository-code differs from repo_url"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert urls["site_url"][1] in readme and urls["repo_url"][1] in readme
    assert "gh-deploy" in readme, "the README says how to publish the site"


def test_bibtex_on_the_cite_page_has_the_site_address(site: Path) -> None:
    cite = (site / "cite" / "index.html").read_text(encoding="utf-8")
    base = configured()["site_url"][1]
    assert f"{base}bptt/" in cite and base + "</a>" in cite
