"""CITATION.cff is valid Citation File Format 1.2, and the Cite page's BibTeX comes from it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CFFCONVERT = str(Path(sys.executable).parent / "cffconvert")
sys.path.insert(0, str(ROOT / "hooks"))
import citation  # noqa: E402


def validate(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([CFFCONVERT, "--validate", "-i", str(path)], capture_output=True, text=True, timeout=60)


def test_citation_cff_is_valid_against_the_cff_1_2_schema() -> None:
    proc = validate(ROOT / "CITATION.cff")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "valid according to schema version 1.2.0" in proc.stdout


def test_the_validator_rejects_a_broken_file(tmp_path: Path) -> None:
    data = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    del data["authors"]
    broken = tmp_path / "CITATION.cff"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert validate(broken).returncode != 0


def test_bibtex_has_the_site_and_every_content_page() -> None:
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    config["config_file_path"] = str(ROOT / "mkdocs.yml")
    config["site_url"] = None  # no address configured: no url field
    text = citation.entries(config)
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert text.count("@misc{") == 1 + len([
        src for _, src in citation._flatten(config["nav"], [])
        if src not in citation.SKIP and not src.startswith("api/")])
    assert "@misc{nndl-bptt-site," in text and "@misc{nndl-bptt-notation," in text
    assert cff["title"] in text
    assert re.search(r"version\s+= \{" + re.escape(str(cff["version"])) + r"\}", text)
    assert " & " not in text, "an unescaped & breaks BibTeX"
    assert text.count("{") == text.count("}"), "unbalanced braces in the BibTeX"
    assert "url " not in text
    config["site_url"] = "https://example.org/project/"
    assert "  url          = {https://example.org/project/zh/bptt/}," in citation.entries(config, "zh/")
