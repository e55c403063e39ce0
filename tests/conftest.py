"""Shared fixtures and the ``--regen`` option.

``pytest --regen`` rewrites the stored demo outputs (docs/outputs/*.txt, *.values.json) and
figures (docs/figures/*.svg) instead of failing on a difference.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "tests") not in sys.path:  # imported as tests.conftest (test_hypothesis_profile's probe)
    sys.path.insert(0, str(ROOT / "tests"))
import sitebuild  # noqa: E402

# Hypothesis: on CI (env CI set) the examples are derived from each test's name and nothing is
# stored, so every CI run tests the same cases; locally each run explores new ones (and keeps
# failures in .hypothesis/). HYPOTHESIS_PROFILE=ci or =explore picks one explicitly.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "explore"))
CHROMIUM = "/usr/bin/chromium"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen",
        action="store_true",
        help="rewrite docs/outputs/*.txt and docs/figures/*.svg from the demos instead of comparing",
    )


@pytest.fixture(scope="session")
def regen(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--regen"))


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def once_per_run(tmp_path_factory: pytest.TempPathFactory, name: str, make) -> Path:
    """A folder made by ``make(folder) -> error log or ""`` once per test run, even when
    pytest-xdist runs several workers: the first worker to get here makes it in a folder shared
    by the run's workers (named after xdist's run id); the others wait for its ``.done`` or
    ``.failed`` marker. Fails every caller with the log if making it failed."""
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if run_id is None:
        out = tmp_path_factory.mktemp(name)
        log = make(out)
        assert not log, log
        return out
    shared = tmp_path_factory.getbasetemp().parent / f"{name}-{run_id}"
    done, failed = sitebuild.markers(shared)
    try:
        os.close(os.open(shared.with_suffix(".lock"), os.O_CREAT | os.O_EXCL))
        log = make(shared)
        (failed if log else done).write_text(log or "ok", encoding="utf-8")
    except FileExistsError:
        wait_for(shared, f"another worker's {name}")
    return shared


def wait_for(out: Path, what: str) -> None:
    """Wait until ``out.done`` or ``out.failed`` exists; fail with the log if it failed."""
    done, failed = sitebuild.markers(out)
    deadline = time.monotonic() + 900
    while not (done.exists() or failed.exists()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)
    assert not failed.exists(), failed.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built site (``mkdocs build --strict``), built once per test run: by the background
    build a whole-suite run started (``pytest_configure``), else by the first worker that needs it."""
    prebuilt = os.environ.get(PREBUILT_SITE)
    if prebuilt:
        wait_for(Path(prebuilt), "the site build started with the run")
        return Path(prebuilt)
    return once_per_run(tmp_path_factory, "site", sitebuild.build)


PREBUILT_SITE = "RNN_BPTT_PREBUILT_SITE"


def pytest_configure(config: pytest.Config) -> None:
    """A whole-suite run under pytest-xdist (``make test``: no paths, ``-k`` or ``-m`` given) starts
    the site build in the background before the workers start, so that it overlaps the two demo runs
    (each a worker's first test) instead of one worker building it while the other waits for it.
    The workers inherit where it goes through the environment; the folder goes when the run ends."""
    if (hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None)
            or config.args_source != pytest.Config.ArgsSource.TESTPATHS
            or config.option.keyword or config.option.markexpr or PREBUILT_SITE in os.environ):
        return
    folder = Path(tempfile.mkdtemp(prefix="rnn-bptt-site-"))
    out = folder / "site"
    config.prebuild = (folder, subprocess.Popen([sys.executable, str(ROOT / "tests" / "sitebuild.py"), str(out)],
                                                cwd=ROOT, stdin=subprocess.DEVNULL))
    os.environ[PREBUILT_SITE] = str(out)


def pytest_unconfigure(config: pytest.Config) -> None:
    prebuild = getattr(config, "prebuild", None)
    if prebuild:
        folder, proc = prebuild
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        os.environ.pop(PREBUILT_SITE, None)
        shutil.rmtree(folder, ignore_errors=True)


# What selects the CPU code paths (and so the last bits of float64 results): NumPy's SIMD dispatch,
# OpenBLAS's GEMM kernel, PyTorch's kernels and MKL's. The demos' default run unsets them all, so a
# machine that exports one (some set OPENBLAS_CORETYPE=Haswell) runs what a reader's machine runs;
# tests/test_cpu_settings.py sets them to other values and requires the same bytes.
CPU_VARIABLES = ("NPY_DISABLE_CPU_FEATURES", "OPENBLAS_CORETYPE", "ATEN_CPU_CAPABILITY", "MKL_CBWR")


def demo_env(cpu: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment with every CPU variable unset, then those of ``cpu`` set."""
    env = {k: v for k, v in os.environ.items() if k not in CPU_VARIABLES}
    env.update(cpu or {}, PYTHONHASHSEED="0")
    return env


def run_all_demos(out: Path, cpu: dict[str, str] | None = None, variants: tuple[str, ...] | None = None) -> str:
    """``python -m solutions run --all``: every demo's output, values and figures into ``out``, with
    the CPU variables set to ``cpu`` (the others unset, ``demo_env``), every variant of each figure
    or only ``variants`` (``--variants``); returns "" or the error log."""
    env = demo_env(cpu)
    only = ["--variants", ",".join(variants)] if variants else []
    proc = subprocess.run([sys.executable, "-m", "solutions", "run", "--all", "--outputs", str(out / "outputs"),
                           "--figures", str(out / "figures"), *only], cwd=ROOT, capture_output=True, timeout=900,
                          env=env)
    return "" if proc.returncode == 0 else f"run --all failed:\n{proc.stderr.decode(errors='replace')}"


@pytest.fixture(scope="session")
def demo_outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every demo run once per test run, in one process (one import of NumPy/PyTorch/matplotlib),
    with the CPU variables unset (the default code paths)."""
    return once_per_run(tmp_path_factory, "demos", run_all_demos)


def site_pages() -> list[str]:
    """Every page the site must have, from the sources: ``""``, ``"notation/"``, ``"zh/notation/"``…

    Computed without building, so that tests can be parametrized per page (and spread over
    pytest-xdist workers); ``test_site.py`` checks the build produced exactly these.
    """
    import yaml

    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    excluded = {line.strip().lstrip("/") for line in config.get("exclude_docs", "").splitlines() if line.strip()}
    urls = []
    for md in sorted((ROOT / "docs").rglob("*.md")):
        rel = md.relative_to(ROOT / "docs").as_posix()
        if rel in excluded or rel.endswith(".zh.md"):
            continue
        url = "" if rel == "index.md" else rel[:-3].removesuffix("/index") + "/"
        urls += [url, "zh/" + url]
    return urls


@pytest.fixture(scope="session")
def served(site: Path):
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        # The browser may drop a connection it no longer needs (page closed mid-load).
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def send_error(self, code, message=None, explain=None) -> None:
        """Like a static host: every missing path gets the site's /404.html (status 404)."""
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.exists():
            return super().send_error(code, message, explain)
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


@pytest.fixture(scope="session")
def browser():
    if not shutil.which("chromium") and not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: run `sudo apt-get install -y chromium` "
                    "(`make test` installs it when run as root).", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"])
        yield b
        b.close()


# The slow tests, slowest first: the first demo-output test (it makes the default run of every
# demo), every demo under the other CPU settings, the print edition printed to PDF.
SLOWEST_FIRST = ("test_outputs.py::test_demo_output_is_current", "test_cpu_settings.py::test_every_demo", "print/")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Put the slow tests at the head of each worker's share of the run, and the tests that read
    the default run of the demos (``demo_outputs``) at the tail.

    pytest-xdist's ``worksteal`` gives each of the n workers one contiguous n-th of this list and
    later moves tests from the tail of a busy worker's queue to an idle one. So the slow tests are
    dealt in turn to the start of the first two shares: those workers begin with them, they overlap
    each other and the short tests, and none is left to run alone at the end. A test that reads the default
    run waits for it while it runs on another worker: at the tail it finds it made.
    """
    def rank(item: pytest.Item) -> int:
        if item.get_closest_marker("skip"):  # e.g. a CPU setting this CPU cannot run: takes no time
            return len(SLOWEST_FIRST)
        return next((i for i, key in enumerate(SLOWEST_FIRST) if key in item.nodeid), len(SLOWEST_FIRST))

    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    ranked = sorted(items, key=rank)
    outputs = [item for item in ranked if rank(item) == 0]     # the first makes the default run,
    slow = outputs[:1] + [item for item in ranked if 0 < rank(item) < len(SLOWEST_FIRST)]
    others = [item for item in ranked if rank(item) == len(SLOWEST_FIRST)]
    readers = [item for item in others if "demo_outputs" in getattr(item, "fixturenames", ())]
    rest = [item for item in others if item not in readers] + outputs[1:] + readers  # these read it
    # the slow tests go to the first two workers only: a third worker would wait for the site the
    # print edition needs (built while the two demo runs go); it starts on the short tests instead
    dealt = min(workers, 2)
    heads = [slow[i::dealt] for i in range(dealt)] + [[] for _ in range(workers - dealt)]
    ordered: list[pytest.Item] = []
    for i, head in enumerate(heads):
        share = (len(items) - len(ordered)) // (workers - i)   # what worksteal sends worker i first
        take = rest if i == workers - 1 else rest[: max(0, share - len(head))]
        ordered += head + take
        rest = rest[len(take):]
    items[:] = ordered
