"""Command line: ``python -m bench`` from the repository root (``make bench``); ``--help`` lists the options."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import bench
from bench.environment import CHILD, child_env
from bench.problems import Shape
from bench.render import render
from bench.suites import suites
from bench.timing import THREADS, run

ROOT = Path(__file__).resolve().parents[1]
"""The repository: the child process runs ``python -m bench`` there."""


def _shape(text: str) -> Shape:
    try:
        T, B, I, H = (int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a shape is T,B,I,H (four integers); got {text!r}") from None
    return T, B, I, H


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m bench", description=bench.__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed rounds per row (default 15)")
    parser.add_argument("--write", type=Path, metavar="FILE", help="also write the tables to FILE")
    parser.add_argument("--suite", action="append", choices=sorted(suites()),
                        help="time only this model (repeatable; default all)")
    parser.add_argument("--shape", action="append", type=_shape, metavar="T,B,I,H",
                        help="time only this shape (repeatable; default each suite's own)")
    parser.add_argument("--threads", action="append", type=int, metavar="N",
                        help="thread count of the rows (repeatable; default 1 and 2)")
    parser.add_argument("--keep-env", action="store_true",
                        help="keep variables that force CPU code paths (OPENBLAS_CORETYPE, ...)")
    parser.add_argument("--omp-wait-policy", choices=("PASSIVE", "ACTIVE", "default"), default="default",
                        help="OMP_WAIT_POLICY of the child (default: unset, libgomp's spin-then-sleep)")
    parser.add_argument("--in-process", action="store_true",
                        help="run here instead of in a child process with the thread policy's environment")
    args = parser.parse_args(argv)
    if os.environ.get(CHILD) != "1" and not args.in_process:
        # NumPy, OpenBLAS and libgomp read these variables when they load: a fresh process.
        cmd = [sys.executable, "-m", "bench", *argv]
        return subprocess.run(cmd, env=child_env(dict(os.environ), args.keep_env, args.omp_wait_policy), cwd=ROOT, check=False).returncode
    result = run(args.suite, args.shape, args.threads or THREADS, args.repeats)
    text = render(result)
    print(text, end="")
    if args.write:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(text, encoding="utf-8")
        print(f"wrote {args.write}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
