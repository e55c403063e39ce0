"""A Jupyter notebook per exercise page, made from the page's demos (``solutions/publish/pages.toml``).

Each notebook holds: how to install the package from the repository it came with, naming no
host (first cell), then for each demo of the page its summary, its source code
(``solutions/demos/<name>.py``, verbatim) and a cell that runs it, printing what the page shows
and displaying its figures. The notebooks are stored
executed in ``docs/notebooks/<page>.ipynb`` (the site links them from each page);
``tests/test_notebooks.py`` executes them again and fails when a stored one is stale.

``python -m solutions.publish.notebooks [PAGE …] [--out DIR]`` writes (and executes) them; it needs the
``test`` extra (``nbformat``, ``nbclient``, ``ipykernel``). No network is used at run time.
"""

from __future__ import annotations

import argparse
import ast
import re
import functools
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES_FILE = Path(__file__).with_name("pages.toml")

INSTALL = """\
# {title}

This notebook runs the code behind the page **{page}** of the site (`docs/{key}.md`): each
demo's source is shown, then run; what it prints is exactly what the page shows
(`docs/outputs/<demo>.txt`), and the test suite re-executes this notebook so it cannot go stale.

**Before running it**, install the `solutions` package from the repository this notebook came
with: a clone or a downloaded copy, where this file is `docs/notebooks/{key}.ipynb`. In that
repository's top folder (the one with `pyproject.toml`), with Python ≥ 3.11:

```bash
python -m venv .venv
.venv/bin/python -m pip install -c constraints.txt -e ".[test]"   # Windows: .venv\\Scripts\\python
.venv/bin/python -m pip install notebook   # or open this file in VS Code / JupyterLab with that .venv
```

On Linux without a GPU, the repository's `README.md` says how to install PyTorch's CPU-only build
first. Then start Jupyter from that environment and open this file. Running it needs no network.
If you have this file alone (downloaded from a page of the site), get the repository it belongs to
first: the site's Cite page names it when the site's publisher configured its address."""

REPOSITORY = """

This copy was downloaded from the published site, whose repository is <{repo}>:

```bash
git clone {repo}
```"""


def with_repository(notebook_json: str, repo: str) -> str:
    """A stored notebook (its JSON text) with the publisher's repository address added to its first
    cell: the built site's copies only (hooks/page_extras.py); the committed ones name no host.
    Pure ``json``, so that building the site needs neither nbformat nor the package's dependencies."""
    import json

    nb = json.loads(notebook_json)
    first = nb["cells"][0]
    source = "".join(first["source"]) if isinstance(first["source"], list) else first["source"]
    addition = REPOSITORY.format(repo=repo)
    if addition in source:
        return notebook_json
    first["source"] = (source + addition).splitlines(keepends=True)  # nbformat's on-disk form
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


SETUP = """\
# Single-threaded, like `python -m solutions run`: the same summation order as the stored
# outputs. Set before NumPy and PyTorch are imported.
import os
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

from IPython.display import SVG, display

from solutions.publish.plotting import svg_text


def display_figures(result):
    \"\"\"Display the figures a demo's main() returns (a dict, or a Result with .figures).\"\"\"
    figures = getattr(result, "figures", result) or {}
    for fig in figures.values():
        display(SVG(svg_text(fig)))"""


@functools.cache
def _data() -> dict:
    with PAGES_FILE.open("rb") as f:
        return tomllib.load(f)


def pages() -> dict[str, dict]:
    """``solutions/publish/pages.toml``: page key (``bptt`` for docs/bptt.md) -> prefix, title, demos."""
    return {k: v for k, v in _data().items() if k != "tests"}


def tests() -> dict[str, list[str]]:
    """``[tests]`` of ``solutions/publish/pages.toml``: demo -> the test files that check what it shows."""
    return {k: [v] if isinstance(v, str) else list(v) for k, v in _data().get("tests", {}).items()}


def _split_docstring(source: str) -> tuple[str, str]:
    """The module docstring and the source without it."""
    tree = ast.parse(source)
    doc = ast.get_docstring(tree) or ""
    if tree.body and isinstance(tree.body[0], ast.Expr) and isinstance(getattr(tree.body[0], "value", None), ast.Constant):
        lines = source.splitlines(keepends=True)
        source = "".join(lines[tree.body[0].end_lineno:])
    return doc, source.strip("\n")


def build(key: str):
    """The unexecuted notebook of page ``key`` (an ``nbformat`` NotebookNode)."""
    import nbformat
    from nbformat import v4

    info = pages()[key]
    cells = [v4.new_markdown_cell(INSTALL.format(title=info["title"], page=info["title"], key=key)),
             v4.new_code_cell(SETUP)]
    for name in info["demos"]:
        module = name.replace("-", "_")
        source = ROOT / "solutions" / "demos" / f"{module}.py"
        if not source.is_file():
            raise ValueError(f"solutions/publish/pages.toml: {key} lists unknown demo {name!r}")
        doc, code = _split_docstring(source.read_text(encoding="utf-8"))
        code = re.sub(r"^[ \t]*# --8<-- \[(start|end):[\w-]+\][^\n]*\n", "", code, flags=re.M)  # snippet markers (and their captions)
        cells.append(v4.new_markdown_cell(
            f"## `{name}`\n\n{doc}\n\nThe code of `solutions/demos/{module}.py` "
            f"(`python -m solutions run {name}` runs the same):"))
        cells.append(v4.new_code_cell(code))
        cells.append(v4.new_code_cell("display_figures(main())"))
    for i, cell in enumerate(cells):
        cell["id"] = f"{key}-{i}"
    nb = v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    })
    nbformat.validate(nb)
    return nb


def execute(nb, timeout: int = 600, kernel=None):
    """Run every cell in a fresh ``python3`` kernel (cwd: the repository), then normalize:
    stderr (progress) dropped, stream chunks merged, no timings or interpreter version.

    ``kernel``: a started ``jupyter_client.KernelManager`` to run in instead (what the test suite
    does: one kernel per worker, not one per notebook); its user namespace is emptied first
    (``%reset -f``), so a notebook still sees only the names its own cells define."""
    from nbclient import NotebookClient

    if kernel is not None:
        kc = kernel.blocking_client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=timeout)
            reply = kc.execute("get_ipython().run_line_magic('reset', '-f')", silent=True, store_history=False,
                               reply=True, timeout=timeout)
            if reply["content"]["status"] != "ok":
                raise RuntimeError(f"could not empty the kernel's namespace: {reply['content']}")
        finally:
            kc.stop_channels()
    client = NotebookClient(nb, km=kernel, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(ROOT)}})
    client.execute()
    if kernel is not None and client.kc is not None:
        client.kc.stop_channels()  # the kernel stays up for the next notebook; its client does not
    nb.metadata["language_info"] = {"name": "python"}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)
        merged = []
        for out in cell.outputs:
            if out.output_type == "stream" and out.name == "stderr":
                continue
            if out.output_type == "stream" and merged and merged[-1].output_type == "stream":
                merged[-1].text += out.text
                continue
            merged.append(out)
        cell.outputs = merged
    return nb


def text(nb) -> str:
    """The notebook as stored: nbformat's JSON with a final newline."""
    import nbformat

    return nbformat.writes(nb) + "\n"


def printed(nb, demo: str) -> str:
    """What the cell running ``demo`` printed."""
    cells = nb.cells
    for i, cell in enumerate(cells):
        if cell.cell_type == "markdown" and cell.source.startswith(f"## `{demo}`"):
            run = cells[i + 2]
            return "".join(o.text for o in run.outputs if o.output_type == "stream" and o.name == "stdout")
    raise KeyError(demo)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m solutions.publish.notebooks", description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", help="page keys from solutions/publish/pages.toml (default: all)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "notebooks", help="folder for <page>.ipynb")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.pages) - set(pages()))
    if unknown:
        parser.error(f"unknown pages {unknown}; known: {', '.join(pages())}")
    args.out.mkdir(parents=True, exist_ok=True)
    for key in args.pages or list(pages()):
        print(f"executing {key}", file=sys.stderr)
        (args.out / f"{key}.ipynb").write_text(text(execute(build(key))), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
