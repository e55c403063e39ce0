"""The long tier (``solutions.experiments.longrun``): regeneration, the recorded environment, the replay.

The real long experiments are replayed by their demos (``digit-sum``, ``digit-sum-course``),
whose outputs ``tests/test_outputs.py`` and ``tests/test_cpu_settings.py`` compare byte for
byte; here the machinery itself is tested on a toy experiment (``tests/longrun_toy.py``), and
the committed records of every registered experiment are checked for their environment.
"""

from __future__ import annotations

import json
import time
import sys
from pathlib import Path

import pytest

from solutions.experiments import longrun

sys.path.insert(0, str(Path(__file__).parent))
import longrun_toy  # noqa: E402

SESSION_KEYS = {"python", "numpy", "torch", "cpu", "cores", "torch_threads", "platform", "command",
                "git_commit", "solutions_modified_since_commit", "started", "finished", "runs"}


@pytest.fixture
def toy(tmp_path, monkeypatch):
    monkeypatch.setattr(longrun, "LONG", tmp_path)
    monkeypatch.setitem(longrun.REGISTRY, "toy", longrun.LongRun("toy", "longrun_toy", replay=(0, 2), replay_steps=4))
    return tmp_path / "toy"


def test_regen_records_every_run_with_its_environment_and_resumes(toy):
    longrun.regen("toy", only=[1])
    assert [c for c, _ in longrun.records("toy")] == [{"seed": 1}]
    with pytest.raises(FileNotFoundError, match="not recorded"):
        longrun.replay_from_records("toy")
    longrun.regen("toy")
    pairs = longrun.records("toy")
    assert [c for c, _ in pairs] == longrun_toy.configs()
    assert pairs[2][1] == longrun_toy.run({"seed": 2})
    env = json.loads((toy / "environment.json").read_text())
    assert [s["runs"] for s in env["sessions"]] == [1, 2]
    assert all(SESSION_KEYS <= set(s) for s in env["sessions"])
    assert env["runs_recorded"] == env["runs_configured"] == 3
    longrun.regen("toy")  # nothing left to run: no new session, nothing rewritten
    assert len(json.loads((toy / "environment.json").read_text())["sessions"]) == 2
    assert "3 of 3 runs" in longrun.session_summary("toy")


def test_sessions_running_at_the_same_time_each_keep_their_environment_entry(toy, monkeypatch):
    """Disjoint ``only`` sessions may run together (the docstring of ``regen`` says so): each must
    find its entry in environment.json at the end. The count of records is read between the
    re-read and the write of that file; slowed down here, it let one session's write drop another's
    entry before the lock (docs/long/deep-rnn-adding lost one that way)."""
    import threading

    read_records = longrun.records

    def slow_records(name):
        time.sleep(0.05)
        return read_records(name)

    monkeypatch.setattr(longrun, "records", slow_records)
    threads = [threading.Thread(target=longrun.regen, args=("toy",), kwargs={"only": [i]}) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    env = json.loads((toy / "environment.json").read_text())
    assert sorted(s["runs"] for s in env["sessions"]) == [1, 1, 1], env["sessions"]
    assert env["runs_recorded"] == 3 and len(read_records("toy")) == 3


def test_session_runs_counts_only_the_runs_it_wrote(toy, monkeypatch):
    """A config recorded by another session while this one runs is skipped; the session's ``runs``
    counts the records it wrote, not its position in its todo list (environment.json of
    docs/long/deep-rnn-adding, written before this fix, sums to 59 for 60 records)."""
    run = longrun_toy.run

    def run_and_let_another_session_record_seed_1(config):
        record = run(config)
        if config == {"seed": 0}:
            with (toy / "records.jsonl").open("a", encoding="utf-8") as f:
                f.write(json.dumps({"config": {"seed": 1}, "record": run({"seed": 1})}, sort_keys=True) + "\n")
        return record

    monkeypatch.setattr(longrun.REGISTRY["toy"].impl, "run", run_and_let_another_session_record_seed_1)
    longrun.regen("toy")
    env = json.loads((toy / "environment.json").read_text())
    assert [s["runs"] for s in env["sessions"]] == [2]
    assert env["runs_recorded"] == 3


def test_replay_equals_the_records_and_catches_a_change_of_the_code(toy, monkeypatch):
    longrun.regen("toy")
    text = longrun.verified_replay("toy")
    assert text == longrun.replay_from_records("toy")
    assert text.splitlines()[1] == "seed 0: " + " ".join(f"{v:.3f}" for v in longrun_toy.run({"seed": 0})["trace"][:4])
    monkeypatch.setattr(longrun_toy, "SCALE", 1.001)  # the code changed after the committed run
    with pytest.raises(ValueError, match="differs from the committed records"):
        longrun.verified_replay("toy")


def test_replay_catches_an_edited_record(toy):
    longrun.regen("toy")
    path = toy / "records.jsonl"
    lines = path.read_text().splitlines()
    item = json.loads(lines[0])
    item["record"]["trace"][1] += 0.01
    path.write_text("\n".join([json.dumps(item)] + lines[1:]) + "\n")
    with pytest.raises(ValueError, match="differs from the committed records"):
        longrun.verified_replay("toy")


@pytest.mark.parametrize("name", sorted(longrun.REGISTRY))
def test_committed_experiment_has_records_and_environment(name):
    exp = longrun.REGISTRY[name]
    env = json.loads((exp.dir / "environment.json").read_text())
    assert env["sessions"] and all(SESSION_KEYS <= set(s) for s in env["sessions"])
    assert env["runs_recorded"] == len(longrun.records(name)) <= env["runs_configured"] == len(exp.configs())
    recorded = [json.dumps(c, sort_keys=True) for c, _ in longrun.records(name)]
    assert len(set(recorded)) == len(recorded), "a configuration is recorded twice"


def test_robust_drops_a_digit_only_next_to_a_rounding_edge():
    assert longrun.robust(1.234) == "1.23"
    assert longrun.robust(2.95471) == "3"       # 2.95|5 lies 1e-4 away: '2.95' or '2.96' on another CPU
    assert longrun.robust(0.0913) == "0.0913"


def test_deep_rnn_adding_environment_accounts_for_every_record() -> None:
    """The 6-6 page's statement on its long tier: every session of deep-rnn-adding names the same
    commit with no uncommitted change, and the sessions' run counts add to one fewer than the 60
    records (a session updates its count only after appending a record)."""
    d = Path(__file__).resolve().parents[1] / "docs" / "long" / "deep-rnn-adding"
    env = json.loads((d / "environment.json").read_text())
    records = (d / "records.jsonl").read_text().splitlines()
    assert len(records) == env["runs_recorded"] == env["runs_configured"] == 60
    assert len({s["git_commit"] for s in env["sessions"]}) == 1
    assert not any(s["solutions_modified_since_commit"] for s in env["sessions"])
    assert sum(s["runs"] for s in env["sessions"]) == 59


def test_deep_rnn_adding_simple_scores_below_one_twelfth() -> None:
    """The 6-6 page: at T = 20 every simple-RNN seed's printed test score is below 1/12, the MSE of
    the best predictor that ignores the first marked value (predict the near value plus ½)."""
    d = Path(__file__).resolve().parents[1] / "docs" / "outputs" / "deep-rnn-adding.values.json"
    scores = [float(s) for s in json.loads(d.read_text())["simple-scores"].split(",")]
    assert len(scores) == 3 and max(scores) < 1 / 12
