"""Shared fixtures and the ``--regen`` option.

``pytest --regen`` rewrites the stored demo outputs (docs/outputs/*.txt) and figures
(docs/figures/*.svg) instead of failing on a difference.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


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
