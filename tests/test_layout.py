"""The package layout: the README's table matches the tree, and the old import paths of moved
modules give the moved modules themselves (``solutions.MOVED``)."""

from __future__ import annotations

import fnmatch
import importlib
import re
import sys
from pathlib import Path

import pytest

import solutions

ROOT = Path(__file__).resolve().parents[1]


def test_readme_layout_table_names_every_folder_and_only_paths_that_exist() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Layout"):]
    named = re.findall(r"^\| `([^`]+)` \|", section, flags=re.M)
    assert named, "README.md: no layout table"
    missing = [p for p in named if not (ROOT / p).exists()]
    assert not missing, f"README.md's layout table names paths that do not exist: {missing}"
    ignored = [line.strip().rstrip("/") for line in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
               if line.strip() and not line.startswith("#")]   # made by builds, installs and tests
    folders = {f"{p.name}/" for p in ROOT.iterdir()
               if p.is_dir() and not p.name.startswith(".") and not any(fnmatch.fnmatch(p.name, g) for g in ignored)}
    folders |= {f"solutions/{p.parent.name}/" for p in (ROOT / "solutions").glob("*/__init__.py")}
    unnamed = sorted(folders - set(named))
    assert not unnamed, f"README.md's layout table lacks {unnamed}"


@pytest.mark.parametrize("old", sorted(solutions.MOVED))
def test_old_import_path_gives_the_moved_module(old: str, monkeypatch: pytest.MonkeyPatch) -> None:
    new = importlib.import_module(solutions.MOVED[old])
    monkeypatch.delitem(sys.modules, old, raising=False)  # through the finder, not a cached entry
    assert importlib.import_module(old) is new
    name = old.rsplit(".", 1)[1]
    namespace: dict = {}
    exec(f"from solutions import {name} as mod", namespace)  # the form the pages' snippets used
    assert namespace["mod"] is new
    public = [n for n in vars(new) if not n.startswith("_")]
    exec(f"from {old} import {', '.join(public)}", namespace)
    assert all(namespace[n] is getattr(new, n) for n in public)
    assert not (ROOT / "solutions" / f"{name}.py").exists(), f"{old} is both moved and a file"
