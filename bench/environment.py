"""What the timings depend on: BLAS, SIMD levels, PyTorch's CPU capability, CPU-forcing variables."""

from __future__ import annotations

import os

import torch
from threadpoolctl import threadpool_info

CPU_ENV: tuple[str, ...] = (
    "OPENBLAS_CORETYPE", "OPENBLAS_VERBOSE", "NPY_DISABLE_CPU_FEATURES", "NPY_ENABLE_CPU_FEATURES",
    "ATEN_CPU_CAPABILITY", "MKL_CBWR", "MKL_ENABLE_INSTRUCTIONS", "MKL_DEBUG_CPU_TYPE",
)
"""Environment variables that force a CPU code path; removed for the run unless ``--keep-env``."""


CHILD = "SOLUTIONS_BENCH_CHILD"      # set in the child's environment: do not re-launch
REMOVED = "SOLUTIONS_BENCH_REMOVED"  # what the parent removed, for the header


def blas_info() -> str:
    """NumPy's BLAS as ``threadpoolctl`` sees it: library, version, kernel (architecture)."""
    libs = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    if not libs:
        return "not found by threadpoolctl"
    parts = []
    for i in libs:
        text = f"{i.get('internal_api', '?')} {i.get('version') or '?'}"
        if i.get("architecture"):
            text += f", kernel {i['architecture']}"
        if i.get("threading_layer"):
            text += f", {i['threading_layer']} threads"
        parts.append(text)
    return "; ".join(parts)


def numpy_simd() -> str:
    """NumPy's SIMD level: the compiled-in baseline and the dispatch targets this CPU enables."""
    try:
        from numpy._core._multiarray_umath import __cpu_baseline__, __cpu_dispatch__, __cpu_features__
    except ImportError:  # NumPy < 2
        from numpy.core._multiarray_umath import __cpu_baseline__, __cpu_dispatch__, __cpu_features__
    on = [f for f in __cpu_dispatch__ if __cpu_features__.get(f)]
    off = [f for f in __cpu_dispatch__ if not __cpu_features__.get(f)]
    return (f"baseline {' '.join(__cpu_baseline__) or 'none'}; dispatch {' '.join(on) or 'none'}"
            + (f" (not {' '.join(off)})" if off else ""))


def torch_info() -> str:
    """PyTorch's CPU capability (its vectorised kernels) and BLAS."""
    cap = torch.backends.cpu.get_cpu_capability()
    config = torch.__config__.show()
    blas = next((part.split("=", 1)[1] for part in config.replace(",", "\n").split()
                 if part.startswith("BLAS_INFO=")), "?")
    version = next((line.split("Version", 1)[1].split("-")[0].strip() for line in config.splitlines()
                    if "Math Kernel Library Version" in line), "")
    return f"CPU capability {cap}, BLAS {blas}{' ' + version if version and blas == 'mkl' else ''}"


def environment_note() -> str:
    """Which CPU-forcing variables the parent removed, and which are still set."""
    removed = os.environ.get(REMOVED, "")
    kept = [f"{k}={os.environ[k]}" for k in CPU_ENV if k in os.environ]
    parts = []
    if removed:
        parts.append(f"removed for this run: {removed}")
    if kept:
        parts.append(f"set (forced, not the libraries' own choice): {' '.join(kept)}")
    return "; ".join(parts) or "no variable forcing a CPU code path was set"



def child_env(environ: dict[str, str], keep: bool = False, wait: str = "default") -> dict[str, str]:
    """The child process's environment: CPU-forcing variables removed (unless ``keep``), the
    thread policy set (``wait``: ``OMP_WAIT_POLICY``, or ``"default"`` to leave libgomp's own),
    and a note of what was removed for the header."""
    env = dict(environ)
    removed = [] if keep else [f"{k}={env.pop(k)}" for k in CPU_ENV if k in env]
    if wait == "default":
        if "OMP_WAIT_POLICY" in env:
            removed.append(f"OMP_WAIT_POLICY={env.pop('OMP_WAIT_POLICY')}")
    else:
        env["OMP_WAIT_POLICY"] = wait
    env[REMOVED] = " ".join(removed)
    env[CHILD] = "1"
    return env
