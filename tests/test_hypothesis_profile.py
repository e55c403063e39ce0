"""Hypothesis is derandomized on CI (env CI set) and explores locally (tests/conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = "import tests.conftest; from hypothesis import settings; d = settings.default; print(d.derandomize, d.database)"


@pytest.mark.parametrize("env, derandomized", [({"CI": "true"}, True), ({}, False),
                                               ({"CI": "1", "HYPOTHESIS_PROFILE": "explore"}, False)])
def test_profile_follows_ci(root, env, derandomized) -> None:
    clean = {k: v for k, v in os.environ.items() if k not in ("CI", "HYPOTHESIS_PROFILE")}
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=root, env={**clean, **env},
                         capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == str(derandomized)
    if derandomized:
        assert out[1] == "None"                     # CI stores no example database
