"""hooks/values.py: ``{{ value("demo", "key") }}`` for the macros, and for whole pages the print
editions include by a snippet line (after the macros ran), in the HTML outside code."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "hooks"))

import values  # noqa: E402


@pytest.fixture
def stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "demo-a.values.json").write_text(json.dumps({"loss": "0.961", "bound": "≤ 1e-08"}), encoding="utf-8")
    monkeypatch.setattr(values, "OUTPUTS", tmp_path)
    return tmp_path


def test_left_over_calls_are_filled_in_outside_code(stored: Path) -> None:
    html = ('<p>loss {{ value("demo-a", "loss") }}</p><img alt="within {{ value(&quot;demo-a&quot;, '
            '&quot;bound&quot;) }}"><code>{{ value("demo", "key") }}</code><pre>{{ value("x", "y") }}</pre>')
    out = values.on_page_content(html, None, None, None)
    assert out == ('<p>loss 0.961</p><img alt="within ≤ 1e-08"><code>{{ value("demo", "key") }}</code>'
                   '<pre>{{ value("x", "y") }}</pre>')


@pytest.mark.parametrize("call", ['{{ value("demo-a", "nokey") }}', '{{ value("no-demo", "loss") }}'])
def test_a_missing_demo_or_key_fails(stored: Path, call: str) -> None:
    with pytest.raises(KeyError, match="value"):
        values.on_page_content(f"<p>{call}</p>", None, None, None)


def test_every_stored_values_file_is_sorted_utf8_json() -> None:
    """The form ``run --all`` writes (solutions.demos.values_json)."""
    from solutions.demos import values_json

    for path in sorted((ROOT / "docs" / "outputs").glob("*.values.json")):
        text = path.read_text(encoding="utf-8")
        assert text == values_json(json.loads(text)), path.name
