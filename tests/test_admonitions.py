"""Every admonition box (``!!!``/``???``) keeps all its lines: Python-Markdown's admonition ends the box at
the first non-blank line that is not indented under the marker, so a continuation line typed flush left
inside a bullet closes the box there and prints the rest of the list as one plain paragraph (referee s5 of
6-1: four of seven pitfalls fell out of the warning box)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
MARKER = re.compile(r"^(\s*)(!!!|\?\?\?\+?)\s")
PAGES = sorted(p for p in DOCS.rglob("*.md") if "outputs" not in p.parts and "notebooks" not in p.parts)


def broken_lines(text: str) -> list[int]:
    """1-based numbers of the lines that end an admonition early: a non-blank line, indented no deeper
    than its marker, directly after the marker or after a non-blank line of the box."""
    bad, indent, previous_in_box = [], None, False
    for number, line in enumerate(text.splitlines(), start=1):
        width = len(line) - len(line.lstrip(" "))
        if indent is not None and line.strip():
            if width > indent:
                previous_in_box = True
                continue
            if previous_in_box:
                bad.append(number)
            indent = None
        elif indent is not None:                # a blank line: the box may go on or end at the next line
            previous_in_box = False
            continue
        match = MARKER.match(line)
        if match:
            indent, previous_in_box = len(match.group(1)), True
    return bad


def test_the_check_finds_the_referees_defect() -> None:
    box = '!!! warning "w"\n    - **a.** one\n      two\n*three*\n    - **b.** four\n'
    assert broken_lines(box) == [4]
    assert broken_lines(box.replace("\n*three*", "\n      *three*")) == []
    assert broken_lines('!!! note\n    text\n\nplain paragraph after the box\n') == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_no_line_ends_an_admonition_early(page: Path) -> None:
    bad = broken_lines(page.read_text(encoding="utf-8"))
    assert not bad, f"{page.name}: lines {bad} are not indented under their admonition and close it early"
