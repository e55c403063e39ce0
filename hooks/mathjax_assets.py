"""MkDocs hook: serve MathJax 3 from the site itself (no CDN).

The ``django-static-mathjax`` package from PyPI ships MathJax 3.2.2's ``es5/`` build as
package data; after every build this copies the parts the pages use to
``<site>/assets/mathjax/``: the ``tex-svg.js`` component (TeX in, SVG out, fonts built in),
the TeX extensions it autoloads (``\\boldsymbol`` and friends), and the accessibility and
menu modules its context menu loads on demand.
(Named ``mathjax_assets`` because a hook called ``mathjax.py`` would shadow the package.)
"""

from __future__ import annotations

import shutil
from pathlib import Path

import mathjax


def source_dir() -> Path:
    """The ``es5`` folder of the installed MathJax package."""
    path = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    if not (path / "tex-svg.js").is_file():
        raise FileNotFoundError(f"MathJax es5 build not found at {path}; pip install django-static-mathjax==3.2.2.1")
    return path


PARTS = ("tex-svg.js", "input/tex/extensions", "a11y", "ui", "sre")


def on_post_build(config, **kwargs) -> None:
    src, dst = source_dir(), Path(config["site_dir"]) / "assets" / "mathjax"
    for part in PARTS:
        if (src / part).is_dir():
            shutil.copytree(src / part, dst / part, dirs_exist_ok=True)
        else:
            dst.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src / part, dst / part)
