"""The published site's and repository's addresses, set in one place: ``CITATION.cff``.

The repository names no address of its own. A publisher runs ``make publish SITE_URL=…
REPO_URL=…`` (README), which calls this module to write ``url`` (the site) and
``repository-code`` (the repository) into ``CITATION.cff``, then builds the site; the build takes
both from there (hooks/citation.py: the Cite page, its BibTeX, the header's repository link, the
built notebooks, the 404 page's links). ``python -m solutions.publish.addresses --site-url ''
--repo-url ''`` removes them again.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from urllib.parse import urlsplit

CITATION = Path(__file__).resolve().parents[2] / "CITATION.cff"
FIELDS = {"site_url": "url", "repo_url": "repository-code"}


def check_url(name: str, url: str) -> str:
    """``url`` if it is an absolute http(s) address (``site_url`` gets a final ``/``), else ValueError."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or re.search(r'[\s"\\]', url):
        raise ValueError(f"{name} must be an absolute http(s) address such as https://example.org/path/, got {url!r}")
    if name == "site_url" and not url.endswith("/"):
        url += "/"
    return url


def set_addresses(site_url: str, repo_url: str, path: Path = CITATION) -> str:
    """Write ``url``/``repository-code`` into the CFF file at ``path`` (an empty string removes the
    field); returns the new text. Other lines, comments included, are kept as they are."""
    urls = {"site_url": site_url, "repo_url": repo_url}
    lines = [line for line in path.read_text(encoding="utf-8").splitlines(keepends=True)
             if not re.match(r"(url|repository-code):", line)]
    new = [f'{FIELDS[name]}: "{check_url(name, url)}"\n' for name, url in urls.items() if url]
    at = next((i for i, line in enumerate(lines) if line.startswith("license:")), len(lines))
    text = "".join(lines[:at] + new + lines[at:])
    path.write_text(text, encoding="utf-8")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m solutions.publish.addresses", description=__doc__.splitlines()[0])
    parser.add_argument("--site-url", required=True, help="the published site's address ('' removes it)")
    parser.add_argument("--repo-url", required=True, help="the repository's address ('' removes it)")
    args = parser.parse_args(argv)
    try:
        set_addresses(args.site_url, args.repo_url)
    except ValueError as err:
        parser.error(str(err))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
