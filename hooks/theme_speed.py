"""MkDocs hook: one rule of the theme's palette stylesheet dropped, because it made every page
restyle all of its elements twice as it starts (issue 23 §1: time to math on a phone).

Material's palette script, as a page starts, sets ``data-md-color-switching`` on ``<body>``, reads
the header's computed style and removes the attribute a frame later. Its stylesheet holds
``[data-md-color-switching] *, … :after, … :before { transition-duration: 0s !important }``
(no colour transitions while the palette switches): with that rule, each of the two attribute
changes invalidates the style of every element of the page, and a page of formulas has ten to
fifteen thousand (each glyph of a formula is an element). Measured on the LSTM page at 390 px
(Chromium's trace, the main thread's CPU time to all math): style recalculation 411 ms instead
of about 700 ms, all work about 1030 ms instead of about 1400 ms. What the reader loses: when
they switch between the light and the dark scheme, colours fade for the theme's 0.25 s instead
of changing at once.

The build stops if the theme's palette stylesheet no longer holds the rule (a theme update):
then this hook has to be looked at again.
"""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.exceptions import PluginError

SWITCHING_RULE = re.compile(r"\[data-md-color-switching\][^{}]*\{transition-duration:0s!important\}")


def on_post_build(config, **kwargs) -> None:
    sheets = sorted((Path(config["site_dir"]) / "assets" / "stylesheets").glob("palette.*.min.css"))
    if len(sheets) != 1:
        raise PluginError(f"hooks/theme_speed.py: expected one palette stylesheet, found {sheets}")
    css = sheets[0].read_text(encoding="utf-8")
    patched, n = SWITCHING_RULE.subn("", css)
    if n != 1:
        raise PluginError(f"hooks/theme_speed.py: the theme's palette rule for data-md-color-switching "
                          f"was not found once in {sheets[0].name} (found {n}): the theme changed")
    sheets[0].write_text(patched, encoding="utf-8")
