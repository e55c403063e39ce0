"""The downloadable notebooks: one per exercise page, executed here so that none can go stale.

``solutions/publish/pages.toml`` maps each exercise page to its demos; ``python -m solutions.publish.notebooks``
builds ``docs/notebooks/<page>.ipynb`` from the demos' own source and executes it. Each stored
notebook must equal a freshly built one executed in a Jupyter kernel (``pytest --regen`` rewrites
it from a full execution), and what each demo prints in the notebook must be the stored output its
page shows.

The check executes every cell in the kernel, with two stand-ins so that it does not compute the
demos a fourth time in the suite (the default run, the other CPU settings and the single-demo runs
already do): a figure is displayed from its stored file ``docs/figures/<name>.svg``, which is
exactly what the notebook's ``display_figures`` draws (``svg_text``: English, light;
tests/test_outputs.py requires the stored file to be the default run's), and the demos of
``NOT_RERUN`` (seconds each) print their stored output instead of calling ``main()`` again (their
code cells still run: imports, definitions; ``test_notebook_code_needs_no_module_context`` shows
that ``main()`` sees the same names in a notebook as in ``python -m solutions run``). Every other
demo's ``main()`` runs in the kernel and must print its stored output, and the page
``FULLY_EXECUTED`` runs with no stand-in at all, its figures drawn in the kernel.
"""

from __future__ import annotations

import ast
import copy
import re
from pathlib import Path

import pytest

from solutions import demos
from solutions.publish import notebooks

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
STORED = DOCS / "notebooks"
INCLUDE = re.compile(r"docs/outputs/([\w-]+)\.txt")

# main() of these demos is not called again in the kernel: the default run calls it and
# tests/test_outputs.py checks what it prints and draws. Demo -> the figures main() returns, in order
# (test_not_rerun_lists_the_figures_of_the_default_run checks them). One call's CPU seconds, measured
# 2026-12-07: clipping-train 18, residual-remedies 16, digit-sum 6, digit-sum-course 2.5.
NOT_RERUN = {"clipping-train": ["clipping-train.svg"], "residual-remedies": ["residual-remedies.svg"],
             "digit-sum": ["digit-sum.svg"], "digit-sum-course": ["digit-sum-course.svg"]}
FULLY_EXECUTED = "pitfalls"  # a page whose notebook runs as a reader runs it, figures drawn in the kernel

STORED_FIGURES = """

def display_figures(result):
    # tests/test_notebooks.py's stand-in: the stored file of each figure (what svg_text draws)
    figures = getattr(result, "figures", result) or {{}}
    for name, draw in figures.items():
        if not callable(draw):
            raise TypeError(f"figure {{name}}: main() must return draw functions, got {{draw!r}}")
        with open(os.path.join({figures!r}, name), encoding="utf-8") as f:
            display(SVG(f.read()))"""

STORED_RUN = """\
import inspect
if not callable(main) or any(p.default is p.empty for p in inspect.signature(main).parameters.values()):
    raise TypeError("main() must be callable with no arguments")
with open({output!r}, encoding="utf-8") as f:
    print(f.read(), end="")
display_figures({{name: main for name in {figures!r}}})"""


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


def with_stand_ins(nb):
    """A copy of the built notebook ``nb`` whose cells run with the stand-ins of the module docstring."""
    run = copy.deepcopy(nb)
    run.cells[1].source += STORED_FIGURES.format(figures=str(DOCS / "figures"))
    for i, cell in enumerate(run.cells):
        demo = re.match(r"## `([\w-]+)`", cell.source) if cell.cell_type == "markdown" else None
        if demo and demo[1] in NOT_RERUN:
            run.cells[i + 2].source = STORED_RUN.format(output=str(DOCS / "outputs" / f"{demo[1]}.txt"),
                                                        figures=NOT_RERUN[demo[1]])
    return run


@pytest.mark.parametrize("key", list(notebooks.pages()))
def test_notebook_is_current_and_prints_what_the_page_shows(key: str, regen: bool, kernel) -> None:
    nb = notebooks.build(key)
    if regen or key == FULLY_EXECUTED:
        nb = notebooks.execute(nb, kernel=kernel)
    else:  # executed with the stand-ins, then shown with the cells as built
        executed = notebooks.execute(with_stand_ins(nb), kernel=kernel)
        for cell, ran in zip(nb.cells, executed.cells, strict=True):
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = ran.outputs, ran.execution_count
        nb.metadata = executed.metadata
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


@pytest.mark.parametrize("demo", NOT_RERUN)
def test_not_rerun_lists_the_figures_of_the_default_run(demo: str, demo_outputs: Path) -> None:
    """The figures the default run wrote for ``demo`` (English, light) are those NOT_RERUN names, and
    one at most, since their order is main()'s."""
    folder = demo_outputs / "figures" / demo
    drawn = sorted(p.name for p in folder.glob("*.svg") if p.name.count(".") == 1) if folder.exists() else []
    assert drawn == NOT_RERUN[demo] and len(drawn) <= 1, f"demo {demo} draws {drawn}: fix NOT_RERUN"


def test_the_stand_ins_leave_one_page_fully_executed_and_rerun_most_demos() -> None:
    demos_of = notebooks.pages()
    assert FULLY_EXECUTED in demos_of and not set(demos_of[FULLY_EXECUTED]["demos"]) & set(NOT_RERUN)
    shown = [d for info in demos_of.values() for d in info["demos"]]
    assert set(NOT_RERUN) <= set(shown) and len(NOT_RERUN) <= len(shown) // 4, NOT_RERUN


MODULE_ONLY = {"__file__", "__name__", "__spec__", "__package__", "__loader__", "__cached__", "__path__"}


@pytest.mark.parametrize("demo", sorted({d for info in notebooks.pages().values() for d in info["demos"]}))
def test_notebook_code_needs_no_module_context(demo: str) -> None:
    """The names a demo's code looks up are the same in a notebook as in its module: no relative import and
    none of the names only a module has (in a kernel they are missing or differ), so a ``main()`` that
    runs in ``python -m solutions run`` runs the same in the notebook's namespace."""
    nb = notebooks.build(next(k for k, info in notebooks.pages().items() if demo in info["demos"]))
    code = next(nb.cells[i + 1].source for i, c in enumerate(nb.cells)
                if c.cell_type == "markdown" and c.source.startswith(f"## `{demo}`"))
    tree = ast.parse(code)
    relative = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level]
    used = sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id in MODULE_ONLY})
    assert not relative and not used, f"demo {demo}: relative imports at lines {relative}, module-only names {used}"


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
