"""Every demo's printed output and figures are exactly what the pages include.

All demos run once per test run through the real command line, in one process
(``python -m solutions run --all --outputs DIR --figures DIR``, the ``demo_outputs`` fixture);
each one's output must equal ``docs/outputs/NAME.txt`` byte for byte, its values (what pages
insert with ``{{ value("NAME", "key") }}``) ``docs/outputs/NAME.values.json``, and each figure
the file of the same name in ``docs/figures/``. ``pytest --regen`` rewrites them instead (and
deletes a stored values file whose demo returns no values any more). Single demos
(``python -m solutions run NAME``) are checked to print the same bytes as well.
"""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from solutions import demos

ROOT = Path(__file__).resolve().parents[1]
OUTPUTS = ROOT / "docs" / "outputs"
FIGURES = ROOT / "docs" / "figures"


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    return subprocess.run([sys.executable, "-m", "solutions", *args], cwd=cwd, env=env,
                          capture_output=True, timeout=300)


def compare(stored: Path, fresh: bytes, regen: bool) -> None:
    if regen:
        stored.parent.mkdir(parents=True, exist_ok=True)
        stored.write_bytes(fresh)
        return
    assert stored.exists(), f"{stored.relative_to(ROOT)} is missing: run `pytest --regen` (or `make regen`)"
    old = stored.read_bytes()
    if old != fresh:
        diff = "".join(difflib.unified_diff(
            old.decode(errors="replace").splitlines(keepends=True),
            fresh.decode(errors="replace").splitlines(keepends=True),
            fromfile=f"stored {stored.relative_to(ROOT)}", tofile="regenerated", n=1))
        pytest.fail(f"{stored.relative_to(ROOT)} is stale; if the change is intended, "
                    f"run `pytest --regen` (or `make regen`) and commit.\n{diff[:6000]}", pytrace=False)


@pytest.mark.parametrize("name", demos.names())
def test_demo_output_is_current(name: str, regen: bool, demo_outputs: Path) -> None:
    printed = (demo_outputs / "outputs" / f"{name}.txt").read_bytes()
    assert printed.strip(), f"demo {name} printed nothing"
    compare(OUTPUTS / f"{name}.txt", printed, regen)
    fresh_values, stored_values = demo_outputs / "outputs" / f"{name}.values.json", OUTPUTS / f"{name}.values.json"
    if fresh_values.exists():
        compare(stored_values, fresh_values.read_bytes(), regen)
    elif stored_values.exists():
        if regen:
            stored_values.unlink()
        else:
            pytest.fail(f"{stored_values.relative_to(ROOT)} is stored but demo {name} returns no values; "
                        f"run `pytest --regen` (or `make regen`) to delete it", pytrace=False)
    figures = demo_outputs / "figures" / name
    for fig in sorted(figures.iterdir()) if figures.exists() else []:
        assert fig.suffix == ".svg", f"demo {name} wrote {fig.name}; figures are SVG"
        compare(FIGURES / fig.name, fig.read_bytes(), regen)


@pytest.mark.parametrize("name", ["shapes", "train-chars"])
def test_one_demo_on_its_own_prints_the_same_bytes(name: str, tmp_path: Path) -> None:
    """``python -m solutions run NAME`` (what each page tells readers to run) prints the stored file:
    a demo without figures, and a short one with a figure, values and progress on stderr."""
    values = tmp_path / "values" / f"{name}.values.json"
    proc = run_cli("run", name, "--figures", str(tmp_path / "figures"), "--values", str(values))
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout == (OUTPUTS / f"{name}.txt").read_bytes()
    for fig in (tmp_path / "figures").glob("*"):
        assert fig.read_bytes() == (FIGURES / fig.name).read_bytes()
    stored_values = OUTPUTS / values.name
    assert values.exists() == stored_values.exists()
    if values.exists():
        assert values.read_bytes() == stored_values.read_bytes()


def test_every_stored_figure_is_drawn_by_exactly_one_demo(regen: bool, demo_outputs: Path) -> None:
    """Figures compared both ways: a stored figure that no demo draws any more is stale too
    (``pytest --regen`` deletes it), and no two demos write the same file."""
    drawn: dict[str, list[str]] = {}
    for fig in sorted((demo_outputs / "figures").glob("*/*.svg")):
        drawn.setdefault(fig.name, []).append(fig.parent.name)
    shared = {name: who for name, who in drawn.items() if len(who) > 1}
    assert not shared, f"figures written by more than one demo: {shared}"
    orphans = sorted(p.name for p in FIGURES.glob("*.svg") if p.name not in drawn)
    if regen:
        for name in orphans:
            (FIGURES / name).unlink()
        return
    assert not orphans, (f"docs/figures has figures no demo draws: {orphans}; remove them (and their "
                         f"page references) or run `pytest --regen`")


def test_run_all_needs_an_output_folder() -> None:
    proc = run_cli("run", "--all")
    assert proc.returncode == 2 and b"--outputs" in proc.stderr


def test_every_stored_file_belongs_to_a_demo_and_a_page() -> None:
    """No orphan: each stored output has its demo, and each output and figure is used by a page."""
    pages = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs").rglob("*.md"))
    for out in sorted(OUTPUTS.glob("*.txt")):
        assert out.stem in demos.names(), f"{out.name} has no demo {out.stem!r}"
        assert f"docs/outputs/{out.name}" in pages, f"no page includes docs/outputs/{out.name}"
    for values in sorted(OUTPUTS.glob("*.values.json")):
        demo = values.name.removesuffix(".values.json")
        assert demo in demos.names(), f"{values.name} has no demo {demo!r}"
    assert not [p for p in OUTPUTS.iterdir() if p.suffix not in (".txt", ".json")], "stray files in docs/outputs"
    for fig in sorted(FIGURES.glob("*.svg")):
        shown = fig.name.removesuffix(".zh.svg") + ".svg" if fig.name.endswith(".zh.svg") else fig.name
        assert f"figures/{shown}" in pages, f"no page shows docs/figures/{shown}"


def test_list_is_one_demo_per_line_name_first() -> None:
    proc = run_cli("run", "--list")
    assert proc.returncode == 0
    lines = proc.stdout.decode().splitlines()
    assert [line.split("\t")[0] for line in lines] == demos.names()
    assert all(len(line.split("\t")) == 2 and line.split("\t")[1] for line in lines)


@pytest.mark.parametrize("variants", ["light", "en,zh.dark"])
def test_unknown_figure_variant_exits_2_naming_the_variants(variants: str, tmp_path: Path) -> None:
    proc = run_cli("run", "shapes", "--figures", str(tmp_path), "--variants", variants)
    assert proc.returncode == 2 and b"--variants" in proc.stderr and b"dark.zh" in proc.stderr
    assert proc.stdout == b"" and not list(tmp_path.iterdir())


@pytest.mark.parametrize("args", [("run", "no-such-demo"), ("run",)])
def test_unknown_or_missing_name_lists_demos_and_exits_2(args: tuple[str, ...]) -> None:
    proc = run_cli(*args)
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert all(name in err for name in demos.names())
    assert proc.stdout == b""


def test_svg_writer_is_deterministic(tmp_path: Path) -> None:
    """Same figure twice -> same bytes, with no date in it (what the byte comparison relies on)."""
    from solutions.publish.plotting import VARIANTS, figure, render, save_svg

    def draw(s):
        fig, ax = figure()
        ax.plot([0, 1, 2], [1, 3, 2], label=s.t("a", "甲"))
        ax.legend()
        return fig

    written = save_svg(draw, tmp_path / "f.svg")
    assert [p.name for p in written] == ["f.svg", "f.zh.svg", "f.dark.svg", "f.dark.zh.svg"]
    assert all(b"<dc:date>" not in p.read_bytes() for p in written)
    assert render(draw, VARIANTS[-1]) == written[-1].read_text(encoding="utf-8")  # drawn again: same bytes
