"""The long tier: experiments too long for the test suite, run once, committed, and replayed.

Some experiments take an hour (the course's digit-sum protocol is 19,000 Adam steps per run,
dozens of runs). They cannot run in every test pass under several CPU settings, and 19,000
float32 steps cannot be promised to give the same bits on every CPU. So such an experiment is
split in three parts, each stored under ``docs/long/<name>/``:

``records.jsonl``
    One JSON line per configuration of the full experiment, in the order the runs finished, each
    ``{"config": {...}, "record": {...}}`` as the experiment's ``run`` returned it. Written by
    ``python -m solutions.experiments.longrun regen NAME`` (``make regen-long`` runs every
    registered experiment). The regeneration resumes: configurations already recorded are kept.
``environment.json``
    The run's environment, recorded beside its outputs, one entry per ``regen`` session (a
    regeneration may be resumed): Python, NumPy, PyTorch versions, CPU model, cores, threads,
    start and end dates (UTC), the command, the git commit at the start and whether
    ``solutions/`` had uncommitted changes then, the number of runs the session added.
``replay.txt``
    The *replay*: for each configuration in ``replay``, the experiment run again for its
    first ``replay_steps`` steps, printed by ``fingerprint`` as numbers that survive another
    CPU (counts, or values rounded with a margin). The test suite
    (``tests/test_longrun.py``) reruns the replay and compares it byte for byte with this
    file on every CPU setting, and checks that the same text, rendered from the committed
    records (``fingerprint`` of each record's prefix), matches as well: the committed
    numbers come from the committed code.

A demo then reads the committed records (``records``) and prints its page's tables from them,
so every number on a page is still printed by code in the repository; the page says the
numbers come from one recorded run and links ``environment.json``.

To add an experiment: write ``run(config, steps=None) -> dict`` (``steps`` stops after that
many steps and must give a record whose prefix fields equal the full run's), ``configs()``,
``fingerprint(config, record) -> str``, and register a ``LongRun`` in ``REGISTRY`` (below).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LONG = ROOT / "docs" / "long"


@dataclass(frozen=True)
class LongRun:
    """One long experiment.

    Attributes
    ----------
    name : str
        Directory name under ``docs/long/``.
    module : str
        The module that defines ``configs()``, ``run(config, steps=None)`` and
        ``fingerprint(config, record)`` (imported only when needed).
    replay : tuple of int
        Indices into ``configs()`` of the runs the test suite replays.
    replay_steps : int
        How many steps each replay runs (a few seconds in all).
    """

    name: str
    module: str
    replay: tuple[int, ...]
    replay_steps: int

    @property
    def impl(self):
        return importlib.import_module(self.module)

    @property
    def dir(self) -> Path:
        return LONG / self.name

    def configs(self) -> list[dict]:
        return list(self.impl.configs())


REGISTRY: dict[str, LongRun] = {
    "digit-sum-course": LongRun("digit-sum-course", "solutions.experiments.digit_sum_course",
                                replay=(0, 1, 2), replay_steps=200),
    "digit-sum-sweep": LongRun("digit-sum-sweep", "solutions.experiments.digit_sum_sweep",
                               replay=(0, 4), replay_steps=100),
}
"""Every long experiment, by name."""


def _key(config: dict) -> str:
    return json.dumps(config, sort_keys=True)


def records(name: str) -> list[tuple[dict, dict]]:
    """The committed ``(config, record)`` pairs of experiment ``name``, in ``configs()`` order
    (``records.jsonl`` holds them in the order they finished)."""
    path = REGISTRY[name].dir / "records.jsonl"
    if not path.exists():
        raise FileNotFoundError(f"{path.relative_to(ROOT)} is missing: run `make regen-long`")
    order = {_key(c): i for i, c in enumerate(REGISTRY[name].configs())}
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        pairs.append((item["config"], item["record"]))
    return sorted(pairs, key=lambda cr: order.get(_key(cr[0]), len(order)))


def environment() -> dict:
    """The environment of this process: versions, CPU, threads, command, git commit."""
    import numpy as np
    import torch

    cpu = platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--", "solutions"], cwd=ROOT,
                                    capture_output=True, text=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        commit, dirty = "unknown", False
    return {"python": platform.python_version(), "numpy": np.__version__, "torch": torch.__version__,
            "cpu": cpu, "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "platform": platform.platform(), "command": " ".join(["python", "-m", "solutions.experiments.longrun",
                                                                  *sys.argv[1:]]),
            "git_commit": commit, "solutions_modified_since_commit": dirty}


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def regen(name: str, only: Sequence[int] | None = None, log=sys.stderr) -> None:
    """Run every configuration of ``name`` not yet in ``records.jsonl`` (in ``configs`` order),
    appending each record as it finishes and updating this session's entry in
    ``environment.json`` after each; at the end, rewrite ``replay.txt`` (once the replayed runs
    are recorded). Sessions with disjoint ``only`` may run at the same time.

    ``only`` limits the runs to those indices of ``configs()`` (the others stay missing).
    """
    import torch

    torch.set_num_threads(1)
    exp = REGISTRY[name]
    exp.dir.mkdir(parents=True, exist_ok=True)
    path = exp.dir / "records.jsonl"
    done = {_key(c) for c, _ in records(name)} if path.exists() else set()
    configs = exp.configs()
    env_path = exp.dir / "environment.json"
    session = {**environment(), "pid": os.getpid(), "started": _now(), "finished": None, "runs": 0}
    todo = [i for i, c in enumerate(configs) if _key(c) not in done and (only is None or i in only)]

    def write_env() -> None:  # re-read first: another session may be running (disjoint ``only``)
        env = json.loads(env_path.read_text()) if env_path.exists() and path.exists() else {"sessions": []}
        env["sessions"] = [s for s in env["sessions"]
                           if (s.get("pid"), s["started"]) != (session["pid"], session["started"])] + [session]
        env["sessions"].sort(key=lambda s: s["started"])
        env["runs_recorded"] = len(records(name)) if path.exists() else 0
        env["runs_configured"] = len(configs)
        env_path.write_text(json.dumps(env, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    if todo:
        write_env()
    for n, i in enumerate(todo, 1):
        t0 = time.time()
        record = exp.impl.run(configs[i])
        with path.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"config": configs[i], "record": record}, sort_keys=True) + "\n")
        session.update(finished=_now(), runs=n)
        write_env()
        print(f"{_now()}  {name}: {n}/{len(todo)} config {i} {configs[i]} in {time.time() - t0:.0f} s",
              file=log, flush=True)
    recorded = {_key(c) for c, _ in records(name)}
    if all(_key(configs[i]) in recorded for i in exp.replay):
        (exp.dir / "replay.txt").write_text(replay_from_records(name), encoding="utf-8")


def _render(name: str, pairs: Sequence[tuple[dict, dict]]) -> str:
    exp = REGISTRY[name]
    head = f"{name}: replay of the first {exp.replay_steps} steps of {len(pairs)} recorded runs\n"
    return head + "".join(exp.impl.fingerprint(c, r, exp.replay_steps) + "\n" for c, r in pairs)


def replay(name: str) -> str:
    """Rerun the replayed configurations of ``name`` for ``replay_steps`` steps; their fingerprints."""
    import torch

    torch.set_num_threads(1)
    exp = REGISTRY[name]
    configs = exp.configs()
    pairs = [(configs[i], exp.impl.run(configs[i], steps=exp.replay_steps)) for i in exp.replay]
    return _render(name, pairs)


def replay_from_records(name: str) -> str:
    """The same fingerprints, read from the committed full-run records."""
    exp = REGISTRY[name]
    configs = exp.configs()
    recorded = {_key(c): r for c, r in records(name)}
    pairs = [(configs[i], recorded[_key(configs[i])]) for i in exp.replay]
    return _render(name, pairs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m solutions.experiments.longrun", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("regen", help="run the missing configurations of NAME (or every experiment)")
    r.add_argument("names", nargs="*", help=f"experiments (default: all of {', '.join(REGISTRY)})")
    r.add_argument("--only", type=int, nargs="+", metavar="I", help="only these config indices")
    p = sub.add_parser("replay", help="print the replay of NAME (what docs/long/NAME/replay.txt holds)")
    p.add_argument("name", choices=sorted(REGISTRY))
    sub.add_parser("list", help="list the experiments and their configuration counts")
    args = parser.parse_args(argv)
    if args.command == "list":
        for name, exp in REGISTRY.items():
            print(f"{name}\t{len(exp.configs())} runs\t{exp.module}")
    elif args.command == "replay":
        sys.stdout.write(replay(args.name))
    else:
        for name in args.names or list(REGISTRY):
            if name not in REGISTRY:
                parser.error(f"unknown experiment {name!r}; known: {', '.join(REGISTRY)}")
            regen(name, args.only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
