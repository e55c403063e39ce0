"""Every code block that a page pulls from solutions/ has a caption written by hand after its
section's start marker (``# --8<-- [start:NAME] function``; hooks/page_extras.py prints it under the
block): it must be there, and each name it gives must be defined in that file's module."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INCLUDE = re.compile(r'--8<-- "(solutions/[\w/]+\.py):([\w-]+)"')


def test_every_included_section_names_what_it_shows() -> None:
    sections = {m for page in (ROOT / "docs").glob("*.md") for m in INCLUDE.findall(page.read_text(encoding="utf-8"))}
    assert len(sections) > 20
    for path, section in sorted(sections):
        source = (ROOT / path).read_text(encoding="utf-8")
        m = re.search(rf"--8<-- \[start:{re.escape(section)}\][ \t]*(.*)$", source, re.M)
        assert m, f"{path}: no section {section!r}"
        names = [n.strip() for n in m.group(1).split(",") if n.strip()]
        assert names, f"{path}:{section}: no caption name after the start marker"
        for name in names:
            assert re.search(rf"^(def|class) {name}\b", source, re.M), \
                f"{path}:{section}: the caption names {name!r}, which {path} does not define at its top level"
