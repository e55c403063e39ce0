"""Every demo prints and draws the same bytes whatever code paths the CPU selects.

NumPy picks SIMD code for ``exp``, ``tanh``, ``log`` at run time (AVX-512, AVX2 or its baseline),
OpenBLAS picks a GEMM kernel per CPU, PyTorch and MKL pick their own: each gives other last bits
of a float64 result. The demos print claims against stated tolerances (``report.claim``), numbers
that refuse to sit next to a rounding boundary (``report.fmt``) and figures drawn from rounded
data, so that their bytes do not depend on those bits. These tests prove it on the machine they
run on: ``python -m solutions run --all`` runs once more under each CPU setting below, in a
subprocess whose environment sets or unsets every variable of ``conftest.CPU_VARIABLES`` (NumPy
reads ``NPY_DISABLE_CPU_FEATURES`` at import), and every output, values file and figure must equal
the default run's (``demo_outputs``, itself compared with the stored files by test_outputs.py)
byte for byte, with the same set of files both ways.

Figures: the default run draws each figure in its four variants (``x.svg``, ``x.zh.svg``,
``x.dark.svg``, ``x.dark.zh.svg``). A run under another setting draws two of them, English light
with Chinese dark or Chinese light with English dark, the settings taking turns
(``compared_variants``): so every run compares both label sets and both colour schemes, and every
variant is compared under another setting wherever two settings run, for half the drawing (drawing
is half of a run's time). Where one setting runs (an AVX2-only CPU), it draws English light and
Chinese dark: each label set and each colour scheme is still compared under it, the other two
variants are drawn from the same code and data with the other language's labels or the other
palette.

The settings (a setting the CPU cannot run, or that would repeat the default run, is skipped,
with the reason). The default run already takes this CPU's own best kernels (AVX-512 where the CPU
has it, else AVX2), so a setting is run only where it selects code the default run does not:

- ``baseline``: an older x86-64 CPU. NumPy's dispatched AVX2/AVX-512 code off, OpenBLAS's
  Sandybridge kernels, PyTorch's default (non-AVX) kernels, MKL's compatible code path.
- ``avx2``: an AVX2 laptop, run where the CPU has AVX-512 (there the default run takes the AVX-512
  paths). NumPy's AVX-512 code off, OpenBLAS's Haswell kernels, PyTorch's AVX2 kernels, MKL's AVX2
  path. On a CPU without AVX-512 the default run is this setting (its dispatch picks AVX2 code
  everywhere), so it is skipped there rather than run twice.

On ARM (e.g. Apple Silicon) none of these variables select anything: the tests skip, and the
outputs agree by the same construction.
"""

from __future__ import annotations

import difflib
import platform
import re
from pathlib import Path

import pytest
from conftest import run_all_demos

NPY_DISPATCHED_ABOVE_AVX2 = ("X86_V4", "AVX512_ICL", "AVX512_SPR")
NPY_DISPATCHED_ABOVE_BASELINE = ("X86_V4", "X86_V3", "AVX512_ICL", "AVX512_SPR")


def cpu_flags() -> set[str]:
    """The flags of the first CPU in /proc/cpuinfo (empty where there is none)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def npy_disable(features: tuple[str, ...]) -> str:
    """The features among ``features`` that this NumPy dispatches (it refuses to disable others)."""
    from numpy._core import _multiarray_umath as umath

    return " ".join(f for f in features if f in umath.__cpu_dispatch__)


AVX512 = {"avx512f", "avx512bw", "avx512dq", "avx512vl"}


def settings() -> dict[str, tuple[dict[str, str] | None, str]]:
    """Setting name -> (the CPU variables to set, or None when this CPU cannot run it; why not)."""
    flags = cpu_flags()
    x86 = platform.machine().lower() in ("x86_64", "amd64")
    return {
        "baseline": ({"NPY_DISABLE_CPU_FEATURES": npy_disable(NPY_DISPATCHED_ABOVE_BASELINE),
                      "OPENBLAS_CORETYPE": "Sandybridge", "ATEN_CPU_CAPABILITY": "default",
                      "MKL_CBWR": "COMPATIBLE"} if x86 and "avx" in flags else None,
                     "needs an x86-64 CPU with AVX (OpenBLAS's Sandybridge kernels)"),
        "avx2": ({"NPY_DISABLE_CPU_FEATURES": npy_disable(NPY_DISPATCHED_ABOVE_AVX2),
                  "OPENBLAS_CORETYPE": "Haswell", "ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2"}
                 if x86 and {"avx2", "fma"} <= flags and AVX512 <= flags else None,
                 "runs where the CPU has AVX-512 (without it the default run already takes the AVX2 "
                 "code paths, so this setting would repeat it)"),
    }


ALL_VARIANTS = ("en", "zh", "dark", "dark.zh")  # solutions.publish.plotting.variant_id of its VARIANTS
HALVES = (("en", "dark.zh"), ("zh", "dark"))      # each: both label sets, both colour schemes


def compared_variants() -> dict[str, tuple[str, ...]]:
    """Each setting this CPU runs -> the figure variants its run draws and compares: the halves in
    turn (where two or more settings run, together they cover every variant)."""
    runnable = [name for name, (env, _) in settings().items() if env is not None]
    return {name: HALVES[i % 2] for i, name in enumerate(runnable)}


def variant_of(path: str) -> str:
    """``figures/d/x.dark.zh.svg`` -> ``"dark.zh"``, ``figures/d/x.svg`` -> ``"en"`` (figure names hold no dot)."""
    return ".".join(path.rsplit("/", 1)[-1].split(".")[1:-1]) or "en"


def files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path: outputs/*.txt, outputs/*.values.json, figures/*/*.svg
    (each figure in all its variants: x.svg, x.zh.svg, x.dark.svg, x.dark.zh.svg)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def differences(default: dict[str, bytes], other: dict[str, bytes], setting: str) -> list[str]:
    """One message per file that is missing on either side or differs, with a short diff."""
    out = []
    for name in sorted(set(default) | set(other)):
        if name not in other:
            out.append(f"{name}: written by the default run, not under {setting}")
        elif name not in default:
            out.append(f"{name}: written under {setting}, not by the default run")
        elif default[name] != other[name]:
            diff = "".join(difflib.unified_diff(
                default[name].decode(errors="replace").splitlines(keepends=True),
                other[name].decode(errors="replace").splitlines(keepends=True),
                fromfile=f"default/{name}", tofile=f"{setting}/{name}", n=0))
            out.append(f"{name} differs:\n{diff[:1500]}")
    return out


@pytest.mark.parametrize("setting", [
    pytest.param(name, marks=[] if env else pytest.mark.skip(reason=f"CPU setting {name} {why_not}; this CPU: "
                                                                    f"{platform.machine()}"))
    for name, (env, why_not) in settings().items()])
def test_every_demo_gives_the_same_bytes_under_another_cpu_setting(setting: str, request: pytest.FixtureRequest,
                                                                 tmp_path: Path) -> None:
    env = settings()[setting][0]
    variants = compared_variants()[setting]
    log = run_all_demos(tmp_path, env, variants)
    # The default run is asked for only now, so that it runs on another worker meanwhile
    # instead of this worker waiting for it first.
    demo_outputs = request.getfixturevalue("demo_outputs")
    default, other = files(demo_outputs), files(tmp_path)
    assert default, "the default run wrote nothing"
    for variant in ALL_VARIANTS:  # the default run draws every variant (test_outputs compares them all)
        assert any(name.endswith(".svg") and variant_of(name) == variant for name in default), \
            f"the default run wrote no figure variant {variant}"
    default = {name: data for name, data in default.items() if not name.endswith(".svg") or variant_of(name) in variants}
    for variant in variants:  # this setting's variants are all compared
        assert any(name.endswith(".svg") and variant_of(name) == variant for name in default), variant
    diffs = differences(default, other, setting)
    failures = failed_demos(log)
    assert not (diffs or log), (
        f"under {setting} ({env}): {len(failures)} demo(s) failed, {len(diffs)} of {len(default)} files differ. "
        f"A demo must print claims (report.claim), fmt()-checked numbers and figures of rounded data "
        f"(report.round_sig):\n\n" + "\n".join(failures + diffs) + ("" if failures or not log else log[-3000:]))


def test_each_setting_compares_both_label_sets_and_schemes_and_together_every_variant() -> None:
    """Issue 23: the cross-CPU byte test covers the English and the Chinese figures; here also both
    colour schemes in every run, and all four variants wherever two settings run."""
    from solutions.publish.plotting import VARIANTS, variant_id

    assert ALL_VARIANTS == tuple(variant_id(s) for s in VARIANTS)
    compared = compared_variants()
    for setting, variants in compared.items():
        styles = [s for s in VARIANTS if variant_id(s) in variants]
        assert {s.lang for s in styles} == {"en", "zh"} and {s.dark for s in styles} == {False, True}, setting
    if len(compared) >= 2:
        assert {v for variants in compared.values() for v in variants} == set(ALL_VARIANTS), compared


def failed_demos(log: str) -> list[str]:
    """``demo NAME failed: <exception>`` for each demo ``run --all`` reports (its first line)."""
    return [line[:400] for line in log.splitlines() if re.match(r"demo [\w-]+ failed: ", line)]


def test_settings_set_or_unset_every_cpu_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each setting names only CPU variables, and a demo process sees exactly those set: the rest are
    unset even when this process has all of them (checked in a child started as run_all_demos starts one)."""
    import json
    import subprocess
    import sys

    from conftest import CPU_VARIABLES, demo_env

    for var in CPU_VARIABLES:
        monkeypatch.setenv(var, "left-over")
    probe = f"import json, os; print(json.dumps({{k: os.environ.get(k) for k in {CPU_VARIABLES!r}}}))"
    for name, (env, _) in {**settings(), "default": ({}, "")}.items():
        if env is None:
            continue
        assert set(env) <= set(CPU_VARIABLES), name
        seen = json.loads(subprocess.run([sys.executable, "-c", probe], env=demo_env(env), capture_output=True,
                                         text=True, check=True, timeout=60).stdout)
        assert seen == {k: env.get(k) for k in CPU_VARIABLES}, name
