"""The downloadable notebooks: one per exercise page, executed here so that none can go stale.

``solutions/publish/pages.toml`` maps each exercise page to its demos; ``python -m solutions.publish.notebooks``
builds ``docs/notebooks/<page>.ipynb`` from the demos' own source and executes it. Each stored
notebook must equal a freshly built and executed one (``pytest --regen`` rewrites it), and what
each demo prints in the notebook must be the stored output its page shows.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from solutions import demos
from solutions.publish import notebooks

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
STORED = DOCS / "notebooks"
INCLUDE = re.compile(r"docs/outputs/([\w-]+)\.txt")


def test_pages_file_lists_every_page_with_its_demos() -> None:
    """Every page that shows a demo's output is in pages.toml with that demo, and nothing else is."""
    pages = notebooks.pages()
    prefixes = [p["prefix"] for p in pages.values()]
    assert len(set(prefixes)) == len(prefixes), f"equation prefixes must differ between pages: {prefixes}"
    for key, info in pages.items():
        assert (DOCS / f"{key}.md").exists(), f"solutions/publish/pages.toml: no page docs/{key}.md"
        assert re.fullmatch(r"[A-Z][A-Za-z]{0,2}", info["prefix"]), f"{key}: prefix {info['prefix']!r}"
        assert info["title"] and info["demos"], key
        unknown = sorted(set(info["demos"]) - set(demos.names()))
        assert not unknown, f"solutions/publish/pages.toml: {key} lists unknown demos {unknown}"
    for page in sorted(DOCS.glob("*.md")):
        if page.name.endswith(".zh.md") or page.name == "print.md":
            continue
        shown = set(INCLUDE.findall(page.read_text(encoding="utf-8")))
        if not shown:
            continue
        key = page.name[:-3]
        assert key in pages, (f"docs/{page.name} shows demo outputs {sorted(shown)} but has no table in "
                              "solutions/publish/pages.toml (add one, then `pytest tests/test_notebooks.py --regen`)")
        missing = sorted(shown - set(pages[key]["demos"]))
        assert not missing, f"solutions/publish/pages.toml: {key} lacks the demos its page shows: {missing}"


def test_no_stored_notebook_without_its_page() -> None:
    orphans = sorted(p.name for p in STORED.glob("*.ipynb") if p.stem not in notebooks.pages())
    assert not orphans, f"docs/notebooks/ has notebooks of no page in solutions/publish/pages.toml: {orphans}"


@pytest.fixture(scope="module")
def kernel():
    """One ``python3`` kernel for every notebook this test process executes: starting a kernel and
    importing NumPy, PyTorch and matplotlib in it costs seconds per notebook. ``notebooks.execute``
    empties its namespace before each notebook."""
    from jupyter_client import KernelManager

    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(ROOT), extra_arguments=["--HistoryManager.hist_file=:memory:"])
    yield km
    km.shutdown_kernel(now=True)


@pytest.mark.parametrize("key", list(notebooks.pages()))
def test_notebook_is_current_and_prints_what_the_page_shows(key: str, regen: bool, kernel) -> None:
    nb = notebooks.execute(notebooks.build(key), kernel=kernel)
    first = nb.cells[0].source
    assert "pip install" in first and "pyproject.toml" in first, "the first cell says how to install from the clone"
    assert "://" not in first and "git clone" not in first, "the committed notebook names no host"
    for demo in notebooks.pages()[key]["demos"]:
        stored_output = (DOCS / "outputs" / f"{demo}.txt").read_text(encoding="utf-8")
        assert notebooks.printed(nb, demo) == stored_output, \
            f"{key}.ipynb: demo {demo} printed something else than docs/outputs/{demo}.txt"
    fresh = notebooks.text(nb)
    path = STORED / f"{key}.ipynb"
    if regen:
        STORED.mkdir(exist_ok=True)
        path.write_text(fresh, encoding="utf-8")
        return
    assert path.exists(), f"docs/notebooks/{key}.ipynb is missing: run `pytest tests/test_notebooks.py --regen`"
    assert path.read_text(encoding="utf-8") == fresh, \
        f"docs/notebooks/{key}.ipynb is stale: run `pytest tests/test_notebooks.py --regen` and commit it"


def test_a_configured_repository_is_added_to_the_built_copies_only() -> None:
    """``make publish`` with REPO_URL: the site's copy of a notebook gets the ``git clone`` line
    (hooks/page_extras.py); the result is a valid notebook and adding it twice changes nothing."""
    import nbformat

    stored = (STORED / "bptt.ipynb").read_text(encoding="utf-8")
    built = notebooks.with_repository(stored, "https://git.example.org/you/project")
    nb = nbformat.reads(built, as_version=4)
    nbformat.validate(nb)
    assert nb.cells[0].source.endswith("```bash\ngit clone https://git.example.org/you/project\n```")
    assert nb.cells[1:] == nbformat.reads(stored, as_version=4).cells[1:]
    assert notebooks.with_repository(built, "https://git.example.org/you/project") == built
    assert notebooks.with_repository(stored, "x") != stored and "git clone" not in stored
