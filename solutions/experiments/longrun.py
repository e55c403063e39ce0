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
The replay
    For each configuration in ``replay``, the experiment run again for its first
    ``replay_steps`` steps, printed by ``fingerprint`` as numbers that survive another CPU
    (counts, or values rounded with a margin). ``verified_replay(name)`` reruns it, renders
    the same fingerprints from the committed records (the full runs passed through the same
    steps), and raises unless the two texts are equal; the experiment's demo prints it, so
    the test suite reruns it and compares it byte for byte with the stored demo output under
    every CPU setting (``tests/test_outputs.py``, ``tests/test_cpu_settings.py``): the
    committed numbers come from the committed code.

The experiment's demo reads the committed records (``records``) and prints its page's tables
from them, so every number on a page is still printed by code in the repository; it ends with
``verified_replay``. The page says the numbers come from one recorded run and links
``environment.json``; ``session_summary`` gives the line to print.

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
    replay_tol : float, optional
        ``None``: the rerun's fingerprints must equal the records' text (their numbers are
        rounded so that every CPU prints them alike). A number: the module also defines
        ``prefix(config, record, steps) -> list[float]``, and every rerun number must lie within
        this relative tolerance of the recorded one; the printed text is then the records'
        fingerprint and a line stating the tolerance (for training that drifts between CPUs
        by more than a rounding can hide).
    """

    name: str
    module: str
    replay: tuple[int, ...]
    replay_steps: int
    replay_tol: float | None = None

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
                                replay=(0, 3), replay_steps=200, replay_tol=1e-3),
    "digit-sum-sweep": LongRun("digit-sum-sweep", "solutions.experiments.digit_sum_sweep",
                               replay=(4,), replay_steps=100, replay_tol=1e-2),
    "gradient-reach": LongRun("gradient-reach", "solutions.experiments.gradient_reach",
                              replay=(3, 4), replay_steps=20),
    "forget-bias-sweep": LongRun("forget-bias-sweep", "solutions.experiments.forget_bias_sweep",
                                 replay=(0,), replay_steps=5, replay_tol=1e-6),
    "deep-rnn-adding": LongRun("deep-rnn-adding", "solutions.experiments.deep_rnn_adding",
                               replay=(9,), replay_steps=100),
    "residual-remedies-long": LongRun("residual-remedies-long", "solutions.experiments.remedies_long",
                                      replay=(2,), replay_steps=10),
    "clipping-long": LongRun("clipping-long", "solutions.experiments.clipping_long",
                             replay=(0, 72), replay_steps=80),
}
"""Every long experiment, by name."""


def robust(x: float, digits: int = 3, rel: float = 1e-4) -> str:
    """``x`` with ``digits`` significant digits, or fewer when a relative change of ``rel`` (a
    different CPU's last bits, grown over a replayed prefix) could flip the last digit: the
    fingerprints' number format. The record and the rerun agree to far better than ``rel``, so
    both take the same branch."""
    from solutions.publish.report import FragileNumber, fmt

    for d in range(digits, 0, -1):
        try:
            return fmt(x, f".{d}g", rel=rel)
        except FragileNumber:
            continue
    raise FragileNumber(f"{x!r} lies within {rel:g} of a rounding edge at every precision")


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
    ``environment.json`` after each. Sessions with disjoint ``only`` may run at the same time.

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
    session = {**environment(), "id": f"{os.getpid()}-{time.time_ns()}", "started": _now(), "finished": None,
               "runs": 0}
    todo = [i for i, c in enumerate(configs) if _key(c) not in done and (only is None or i in only)]

    def write_env() -> None:
        """Re-read, add this session, write back, holding an exclusive lock on ``environment.json.lock``:
        sessions with disjoint ``only`` run at the same time, and without the lock two of them could
        read the same file and the later write would drop the other's entry."""
        with (exp.dir / "environment.json.lock").open("a") as lock:
            try:
                import fcntl  # POSIX; elsewhere (Windows) run one session at a time
                fcntl.flock(lock, fcntl.LOCK_EX)
            except ImportError:
                pass
            env = json.loads(env_path.read_text()) if env_path.exists() and path.exists() else {"sessions": []}
            env["sessions"] = [s for s in env["sessions"] if s.get("id") != session["id"]] + [session]
            env["sessions"].sort(key=lambda s: s["started"])
            env["runs_recorded"] = len(records(name)) if path.exists() else 0
            env["runs_configured"] = len(configs)
            tmp = env_path.with_suffix(".json.tmp")
            tmp.write_text(json.dumps(env, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            tmp.replace(env_path)  # atomic: a reader never sees half a file

    if todo:
        write_env()
    written = 0  # runs this session wrote (a config another session recorded meanwhile is skipped, not counted)
    for n, i in enumerate(todo, 1):
        if path.exists() and _key(configs[i]) in {_key(c) for c, _ in records(name)}:  # recorded by another session
            continue
        t0 = time.time()
        record = exp.impl.run(configs[i])
        with path.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"config": configs[i], "record": record}, sort_keys=True) + "\n")
        written += 1
        session.update(finished=_now(), runs=written)
        write_env()
        print(f"{_now()}  {name}: {n}/{len(todo)} config {i} {configs[i]} in {time.time() - t0:.0f} s",
              file=log, flush=True)


def _render(name: str, pairs: Sequence[tuple[dict, dict]]) -> str:
    exp = REGISTRY[name]
    runs = f"{len(pairs)} recorded run" + ("s" if len(pairs) != 1 else "")
    head = f"{name}: replay of the first {exp.replay_steps} steps of {runs}\n"
    return head + "".join(exp.impl.fingerprint(c, r, exp.replay_steps) + "\n" for c, r in pairs)


def _rerun(name: str) -> list[tuple[dict, dict]]:
    import torch

    torch.set_num_threads(1)
    exp = REGISTRY[name]
    configs = exp.configs()
    return [(configs[i], exp.impl.run(configs[i], steps=exp.replay_steps)) for i in exp.replay]


def _committed(name: str) -> list[tuple[dict, dict]]:
    exp = REGISTRY[name]
    configs = exp.configs()
    recorded = {_key(c): r for c, r in records(name)}
    missing = [configs[i] for i in exp.replay if _key(configs[i]) not in recorded]
    if missing:
        raise FileNotFoundError(f"{name}: the replayed runs {missing} are not recorded: run `make regen-long`")
    return [(configs[i], recorded[_key(configs[i])]) for i in exp.replay]


def replay(name: str) -> str:
    """Rerun the replayed configurations of ``name`` for ``replay_steps`` steps; their fingerprints."""
    return _render(name, _rerun(name))


def replay_from_records(name: str) -> str:
    """The same fingerprints, read from the committed full-run records."""
    return _render(name, _committed(name))


def verified_replay(name: str) -> str:
    """The replay of ``name``, after checking the rerun against the committed records.

    With ``replay_tol = None`` the rerun's text must equal ``replay_from_records(name)``; with a
    tolerance, every number of ``prefix`` must agree within it, and the text printed is the
    records' fingerprint plus the tolerance (the same bytes on every CPU).

    Raises
    ------
    ValueError
        If the rerun differs from the committed records: the code changed since the run
        (run ``make regen-long``), or this machine computes differently beyond the tolerance.
    """
    exp = REGISTRY[name]
    committed, fresh = _committed(name), _rerun(name)
    if exp.replay_tol is None:
        a, b = _render(name, fresh), _render(name, committed)
        if a != b:
            diff = "\n".join(f"  rerun:     {x}\n  committed: {y}" for x, y in
                             zip(a.splitlines(), b.splitlines()) if x != y)
            raise ValueError(f"{name}: the replay differs from the committed records "
                             f"(docs/long/{name}/records.jsonl):\n{diff}")
        return a
    tol = exp.replay_tol
    for (config, f), (_, r) in zip(fresh, committed):
        x, y = exp.impl.prefix(config, f, exp.replay_steps), exp.impl.prefix(config, r, exp.replay_steps)
        bad = [(u, v) for u, v in zip(x, y) if not abs(u - v) <= tol * max(abs(v), 1e-12)]
        if len(x) != len(y) or bad:
            raise ValueError(f"{name}: the replay of {config} differs from the committed records "
                             f"(docs/long/{name}/records.jsonl) beyond a relative {tol:g}: rerun, recorded = {bad[:5]}")
    return (_render(name, committed) + f"Rerun by this demo: every number above agrees with the rerun "
            f"within a relative {tol:g}.\n")


def session_summary(name: str) -> str:
    """One line on where the committed numbers of ``name`` come from (for its demo's output)."""
    env = json.loads((REGISTRY[name].dir / "environment.json").read_text(encoding="utf-8"))
    s = env["sessions"]
    cpus = sorted({x["cpu"] for x in s})
    return (f"From one recorded run of `make regen-long` ({len(s)} session{'s' if len(s) > 1 else ''}, "
            f"{s[0]['started'][:10]}; {', '.join(cpus)}; torch {s[0]['torch']}, {s[0]['torch_threads']} thread): "
            f"{env['runs_recorded']} of {env['runs_configured']} runs, docs/long/{name}/.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m solutions.experiments.longrun", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("regen", help="run the missing configurations of NAME (or every experiment)")
    r.add_argument("names", nargs="*", help=f"experiments (default: all of {', '.join(REGISTRY)})")
    r.add_argument("--only", type=int, nargs="+", metavar="I", help="only these config indices")
    p = sub.add_parser("replay", help="rerun the replay of NAME, check it against the records, print it")
    p.add_argument("name", choices=sorted(REGISTRY))
    sub.add_parser("list", help="list the experiments and their configuration counts")
    args = parser.parse_args(argv)
    if args.command == "list":
        for name, exp in REGISTRY.items():
            print(f"{name}\t{len(exp.configs())} runs\t{exp.module}")
    elif args.command == "replay":
        sys.stdout.write(verified_replay(args.name))
    else:
        for name in args.names or list(REGISTRY):
            if name not in REGISTRY:
                parser.error(f"unknown experiment {name!r}; known: {', '.join(REGISTRY)}")
            regen(name, args.only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
