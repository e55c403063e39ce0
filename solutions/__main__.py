"""Command line: ``python -m solutions run <demo>``, ``run --list`` and ``run --all --outputs DIR``.

``run --all --outputs DIR`` writes each demo's printed output to ``DIR/<name>.txt`` and, for a
demo that returns values (``solutions.publish.report.Result``), those to ``DIR/<name>.values.json``;
``run NAME --values FILE`` writes one demo's values to FILE.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import traceback
from pathlib import Path

# Demos run single-threaded: the same summation order on every machine (so the stored outputs
# stay byte-identical) and no BLAS/OpenMP threads fighting each other on a busy 2-core box.
# Set before NumPy and PyTorch are imported; an explicit setting in the environment wins.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from solutions import demos  # noqa: E402


def _list(stream) -> None:
    for name in demos.names():
        print(f"{name}\t{demos.summary(name)}", file=stream)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m solutions", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run one demo and print what its page shows")
    run.add_argument("name", nargs="?", help="demo name (see --list)")
    run.add_argument("--list", action="store_true", help="list the demos, one per line, name first")
    run.add_argument("--figures", type=Path, metavar="DIR", help="also write the demo's SVG figures into DIR")
    run.add_argument("--all", action="store_true",
                     help="run every demo in one process: outputs to DIR/<name>.txt (needs --outputs), "
                          "figures to FIGURES/<name>/")
    run.add_argument("--outputs", type=Path, metavar="DIR",
                     help="with --all: where the printed outputs (and values, <name>.values.json) go")
    run.add_argument("--variants", metavar="LIST",
                     help="with --figures: write only these variants of each figure, comma-separated, of "
                          "en (x.svg), zh (x.zh.svg), dark (x.dark.svg), dark.zh (x.dark.zh.svg); default: all")
    run.add_argument("--values", type=Path, metavar="FILE",
                     help="write the demo's named values (what pages insert into prose) as JSON to FILE")
    args = parser.parse_args(argv)

    if args.list:
        _list(sys.stdout)
        return 0
    variants = None
    if args.variants is not None:
        from solutions.publish.plotting import variants as styles_of

        if args.figures is None:
            parser.error("--variants needs --figures DIR")
        variants = args.variants.split(",")
        try:
            styles_of(variants)
        except ValueError as e:
            parser.error(f"--variants: {e}")
    if args.all:
        if args.outputs is None or args.name or args.values:
            parser.error("--all takes no demo name and no --values, and needs --outputs DIR")
        args.outputs.mkdir(parents=True, exist_ok=True)
        failed = []
        for name in demos.names():
            print(f"running {name}", file=sys.stderr)
            buf = io.StringIO()
            try:
                with contextlib.redirect_stdout(buf):
                    demos.run(name, args.figures / name if args.figures else None,
                              args.outputs / f"{name}.values.json", variants)
            except Exception as e:  # report it, run the other demos, exit 1 at the end
                print(f"demo {name} failed: {type(e).__name__}: {e}\n{traceback.format_exc()}", file=sys.stderr)
                failed.append(name)
                continue
            (args.outputs / f"{name}.txt").write_text(buf.getvalue(), encoding="utf-8")
        if failed:
            print(f"FAILED demos: {', '.join(failed)}", file=sys.stderr)
        return 1 if failed else 0
    if args.name not in demos.names():
        print(f"unknown demo {args.name!r}; the demos are:" if args.name else "name a demo; the demos are:", file=sys.stderr)
        _list(sys.stderr)
        return 2
    for path in demos.run(args.name, args.figures, args.values, variants):
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
