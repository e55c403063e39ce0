"""``python tests/sitebuild.py OUT``: ``mkdocs build --strict`` into OUT, then OUT.done (or OUT.failed
holding the log). The build the tests share (conftest ``site``); a whole-suite run under
pytest-xdist starts it in the background as the run begins (conftest ``pytest_configure``), so
that it overlaps the two demo runs instead of keeping one worker waiting for the other's build."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build(out: Path) -> str:
    """``mkdocs build --strict`` into ``out``; returns "" on success, else the log."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0 or "WARNING" in proc.stderr:
        return f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}"
    return ""


def markers(out: Path) -> tuple[Path, Path]:
    """The files that say the build into ``out`` is over: (done, failed)."""
    return out.with_suffix(".done"), out.with_suffix(".failed")


if __name__ == "__main__":
    target = Path(sys.argv[1])
    try:
        log = build(target)
    except Exception as e:  # a timeout or a missing interpreter: say so to the waiting tests
        log = f"mkdocs build did not finish: {type(e).__name__}: {e}"
    done, failed = markers(target)
    (failed if log else done).write_text(log or "ok", encoding="utf-8")
