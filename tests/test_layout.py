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
    rows = dict(re.findall(r"^\| `([^`]+)` \|(.*)$", section, flags=re.M))
    modules = {(f"{p.parent.relative_to(ROOT)}/", p.stem) for p in (ROOT / "solutions").glob("**/*.py")
               if p.stem not in ("__init__", "__main__") and p.parent.name != "demos"}
    missing = sorted(f"{folder}{stem}" for folder, stem in modules if f"`{stem}`" not in rows.get(folder, ""))
    assert not missing, f"README.md's layout table does not name the modules {missing}"


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


def _sources() -> list[Path]:
    return sorted([*(ROOT / "solutions").rglob("*.py"), *(ROOT / "bench").rglob("*.py")])


def test_no_module_uses_another_modules_private_names() -> None:
    """What one module calls of another is public (issue 25): no ``from solutions.x import _y`` and no
    ``x._y`` on an imported module of the package, in solutions/ and bench/."""
    import ast

    found = []
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("solutions", "bench"):
                found += [f"{path.relative_to(ROOT)}: from {node.module} import {a.name}"
                          for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
                modules |= {a.asname or a.name for a in node.names}
            elif isinstance(node, ast.Import):
                modules |= {a.asname or a.name for a in node.names if a.name.split(".")[0] in ("solutions", "bench")}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value.id}.{node.attr}")
    assert not found, "private names used across modules:\n" + "\n".join(found)


def test_residual_imports_no_torch() -> None:
    """solutions.residual is NumPy only; its autograd reference is torch_ops.residual_autograd."""
    import ast

    tree = ast.parse((ROOT / "solutions" / "residual.py").read_text(encoding="utf-8"))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "torch" not in imported


def _cache_classes() -> list[type]:
    """Every model cache of the package: a NamedTuple class with a ``PRODUCER``."""
    import inspect

    found = {}
    for path in sorted((ROOT / "solutions").rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        if rel.parts[1] in ("demos", "experiments", "publish") or rel.name == "__main__":
            continue
        module = importlib.import_module(".".join(rel.parts).removesuffix(".__init__"))
        for obj in vars(module).values():
            if inspect.isclass(obj) and issubclass(obj, tuple) and hasattr(obj, "PRODUCER"):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return [found[k] for k in sorted(found)]


def test_every_cache_lists_the_shapes_its_backward_reads() -> None:
    """Issue 25 §2: a cache is checked with ``isinstance`` and the shapes its backward needs —
    ``SHAPES`` names only fields of the cache, each with a shape spec or a parameter mapping."""
    caches = _cache_classes()
    assert len(caches) >= 15, [c.__name__ for c in caches]
    for cls in caches:
        assert isinstance(getattr(cls, "SHAPES", None), dict), f"{cls.__name__} has no SHAPES"
        assert set(cls.SHAPES) <= set(cls._fields), f"{cls.__name__}.SHAPES names no field: {set(cls.SHAPES) - set(cls._fields)}"
        for field, spec in cls.SHAPES.items():
            specs = spec.values() if isinstance(spec, dict) else [spec]
            assert all(isinstance(s, tuple) and all(isinstance(d, str) for d in s) for s in specs), (cls, field)


def test_check_inputs_is_the_one_input_check_of_the_recurrent_models() -> None:
    """``validate.check_inputs``'s docstring says it is the input check of every recurrent model over
    one input and one state, and names the functions that check arguments of another form: no other
    module checks an argument ``x``/``h0`` itself."""
    own = {"solutions/validate.py", "solutions/bidirectional.py", "solutions/course/compat.py",
           "solutions/recursive.py", "solutions/torch_ops.py"}
    found = [f"{p.relative_to(ROOT)}:{n}" for p in _sources()
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(r"""\.array\(\s*["'](x|xt|h0|h_prev)["']""", line)
             and str(p.relative_to(ROOT)) not in own]
    assert not found, "inputs checked outside check_inputs:\n" + "\n".join(found)
    doc = importlib.import_module("solutions.validate").__doc__
    for kind in ("bidirectional", "course adapters", "recursive", "TensorShapes"):
        assert kind in doc, kind


def test_no_demo_imports_a_demo_and_no_test_imports_a_demo_module() -> None:
    """Issue 25 §2: demos do not import other demos and tests do not import a demo's helpers; what
    two of them share lives in the package. Nor does the rest of the package (an experiment) or
    bench/ import a demo: the demos depend on the package, not the other way round. Listing and
    running demos through the registry (``from solutions import demos``; ``demos.load(name).main()``)
    is fine. (Read as text, not parsed: parsing every test file costs seconds on a loaded machine.)"""
    from solutions import demos

    modules = {n.replace("-", "_") for n in demos.names()}
    registry = ROOT / "solutions" / "demos" / "__init__.py"
    files = [p for p in _sources() if p != registry] + sorted((ROOT / "tests").rglob("*.py"))
    found = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        where = f"{path.relative_to(ROOT)}: "
        found += [where + m[0] for m in re.finditer(r"from\s+solutions\.demos\.\w+\s+import|import\s+solutions\.demos\.\w+"
                                                    r"|[\"']solutions\.demos\.\w+[\"']", text)]
        for m in re.finditer(r"from\s+solutions\.demos\s+import\s+(\([^)]*\)|[^\n]*)", text):
            names = {n.split(" as ")[0].strip() for n in m[1].strip("()").split(",")}
            found += [where + f"from solutions.demos import {n}" for n in sorted(names & modules)]
    assert not found, "demo modules imported outside the registry:\n" + "\n".join(found)


def test_no_module_builds_another_modules_cache() -> None:
    """Issue 25 §2: nothing builds another module's cache by hand; a cache comes from its forward.
    The one exception is the pitfall whose bug is exactly that: ``pitfalls.forward_without_tanh``
    builds the ``RnnCache`` of a forward pass that forgot the tanh, to show what the right
    backward makes of it."""
    allowed = {("RnnCache", "solutions/pitfalls.py")}
    homes = {cls.__name__: Path(importlib.import_module(cls.__module__).__file__).resolve() for cls in _cache_classes()}
    pattern = re.compile(rf"(?<!class )\b({'|'.join(homes)})\(")
    found = []
    for path in _sources():
        rel = str(path.relative_to(ROOT))
        found += [f"{rel}: {m[0]}" for m in pattern.finditer(path.read_text(encoding="utf-8"))
                  if homes[m[1]] != path.resolve() and (m[1], rel) not in allowed]
    assert not found, "caches built outside their module:\n" + "\n".join(found)
