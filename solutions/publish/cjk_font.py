"""Rebuild ``fonts/NotoSansSC-subset.otf``, the CJK font the Chinese figures are drawn with.

Figures are drawn with text as paths (``solutions/publish/plotting.py``), so a reader's fonts never
matter; what matters is that the *drawing machine* has the same glyphs, or the bytes of the SVGs
differ. DejaVu Sans (shipped inside matplotlib) has no CJK glyphs, so the repository ships this
font and ``plotting`` loads it with ``font_manager.addfont`` by file path.

The font is a subset of Noto Sans CJK SC Regular (SIL Open Font License 1.1, no Reserved Font
Name; ``fonts/OFL.txt``) as Debian's ``fonts-noto-cjk`` package ships it
(``NotoSansCJK-Regular.ttc``, face 2), cut to the 3,755 hanzi of GB 2312 level 1 (the common
characters, listed by Python's own ``gb2312`` codec), CJK and full-width punctuation, and the
characters of :data:`EXTRA`. It is renamed (family ``Noto Sans SC Subset rnn-bptt``) so that a
machine with the full Noto font installed still draws with this file. About 0.8 MB.

A label needing a character outside the subset fails when the figure is saved (a missing glyph
raises): add the character to :data:`EXTRA` and run, as root on Debian::

    apt-get install fonts-noto-cjk
    python -m solutions.publish.cjk_font

The build checks the source file's SHA-256 (the version below) and is deterministic: the same
source and fontTools version give the same bytes (no timestamp is written).
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
SOURCE_FACE = 2  # Noto Sans CJK SC in the collection (0 JP, 1 KR, 2 SC, 3 TC, 4 HK)
SOURCE_SHA256 = "b76b0433203017ca80401b2ee0dd69350349871c4b19d504c34dbdd80541690a"  # fonts-noto-cjk 1:20220127+repack1-1 (Noto Sans CJK 2.004)
OUT = Path(__file__).with_name("fonts") / "NotoSansSC-subset.otf"
FAMILY = "Noto Sans SC Subset rnn-bptt"
POSTSCRIPT = "NotoSansSCSubset-rnn-bptt"

PUNCTUATION = "，。、：；！？（）“”‘’《》〈〉【】〔〕—…·×÷－～％＋＝／＜＞　"
# Characters outside GB 2312 level 1 that the Chinese pages (and so, likely, figure labels) use.
EXTRA = "沌浏熵耦镳阈"  # from docs/*.zh.md: every hanzi of the Chinese pages is in the subset


def gb2312_level1() -> str:
    """The 3,755 hanzi of GB 2312 level 1 (rows 16–55), in code order."""
    chars = []
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.append(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:  # the five unused cells of row 55
                pass
    return "".join(chars)


def characters() -> str:
    """Every character the subset keeps."""
    return gb2312_level1() + PUNCTUATION + EXTRA


def build(source: Path = SOURCE, out: Path = OUT) -> Path:
    """Subset ``source`` (face :data:`SOURCE_FACE`) to :func:`characters`, rename it, write ``out``."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    if digest != SOURCE_SHA256:
        raise ValueError(f"source: {source} has SHA-256 {digest}, expected {SOURCE_SHA256} "
                         f"(another fonts-noto-cjk version would give other glyphs)")
    font = TTFont(source, fontNumber=SOURCE_FACE, recalcTimestamp=False)
    options = subset.Options()
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14, 16, 17]
    options.layout_features = []  # matplotlib does no shaping: plain cmap lookups
    options.hinting = False       # outlines only: drawn as paths
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=characters())
    subsetter.subset(font)
    names = font["name"]
    for record in list(names.names):
        if record.nameID in (1, 16):
            record.string = FAMILY
        elif record.nameID in (3, 4):
            record.string = f"{FAMILY} Regular"
        elif record.nameID == 6:
            record.string = POSTSCRIPT
    font["CFF "].cff.fontNames = [POSTSCRIPT]
    out.parent.mkdir(parents=True, exist_ok=True)
    font.save(out)
    return out


if __name__ == "__main__":
    print(f"wrote {build()}", file=sys.stderr)
