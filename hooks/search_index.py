"""MkDocs hook: one search index per edition, with the TeX turned into plain text.

mkdocs-static-i18n builds the English and the zh-CN edition into one ``search/search_index.json``,
so English queries returned Chinese pages and the reverse. After the last build this splits it:

* ``search/search_index.json`` — the English pages only;
* ``zh/search/search_index.json`` — the Chinese pages, their locations relative to ``zh/``;

and every zh-CN page's ``__config.base`` (where Material's search looks for its index and
resolves result links) points at ``zh/`` instead of the site root.

Ranking (issue 23 §5: the first result for the words students type is the page about them):

* a page's front matter may list ``keywords:`` — the book's terms for what the page is about, in
  that page's language (``随时间反向传播`` on the BPTT page, ``梯度消失`` on the LSTM page); they go
  into a field of the page's entry that is searched (boost above the title's) but not shown;
* API entries (``api/…``) and the errata and cite pages rank below the exercise pages (document
  boost below 1);
* the English index is English only (no Chinese tokenizer loaded for it);
* Material's search worker segments a Chinese query greedily by the words of the index but never
  tries a word that runs to the end of the query (its loop stops one character short), so
  ``梯度消失`` was searched as ``梯度`` alone: the copy of the worker in the built site gets the
  bound fixed, and the build stops if the worker's code no longer has that loop.

Search previews showed raw LaTeX (``\\[ \\begin{equation} \\frac{…``): displayed equations are
dropped from the index text and inline math becomes plain text (``\\boldsymbol h_{t-1}`` →
``h_t-1``, ``\\delta`` → ``δ``).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

ZH = "zh/"
DISPLAY = re.compile(r"\\\[.*?\\\]|\$\$.*?\$\$|\\begin\{(equation|align|gather|multline)\*?\}.*?\\end\{\1\*?\}", re.S)
INLINE = re.compile(r"\\\((.*?)\\\)", re.S)
SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "Delta": "Δ", "epsilon": "ε",
    "varepsilon": "ε", "eta": "η", "theta": "θ", "lambda": "λ", "mu": "μ", "sigma": "σ",
    "tau": "τ", "phi": "φ", "varphi": "φ", "omega": "ω", "rho": "ρ", "partial": "∂",
    "nabla": "∇", "odot": "⊙", "oplus": "⊕", "otimes": "⊗", "cdot": "·", "times": "×",
    "top": "ᵀ", "intercal": "ᵀ", "sum": "Σ", "prod": "Π", "le": "≤", "leq": "≤", "ge": "≥",
    "geq": "≥", "ne": "≠", "neq": "≠", "approx": "≈", "to": "→", "rightarrow": "→",
    "leftarrow": "←", "infty": "∞", "in": "∈", "ldots": "…", "dots": "…", "cdots": "⋯",
    "lVert": "‖", "rVert": "‖", "Vert": "‖", "|": "‖", "lvert": "|", "rvert": "|", "mid": "|",
    "sqrt": "√", "pm": "±", "prime": "′", "quad": " ", "qquad": " ", ",": " ", ";": " ", "!": "",
}
COMMAND = re.compile(r"\\([A-Za-z]+|[|,;!{}])")  # \{ \} (set braces) drop like other braces
TEX_LEFT = re.compile(r"\\[A-Za-z]+|\\[\[\]()]")


def plain_math(tex: str) -> str:
    """Inline TeX as readable text: known symbols as Unicode, other commands and braces dropped."""
    text = COMMAND.sub(lambda m: SYMBOLS.get(m.group(1), ""), tex)
    text = re.sub(r"[{}]", "", text).replace("~", " ")
    return re.sub(r"\s+", " ", text).strip()


def plain(text: str) -> str:
    text = DISPLAY.sub(" ", text)
    text = INLINE.sub(lambda m: plain_math(m.group(1)), text)
    return re.sub(r"[ \t]{2,}", " ", text)


KEYWORD_BOOST = 1e4               # Material's own fields: title 1e3, text 1
DOC_BOOST = {"api/": 1e-4, "errata/": 0.3, "cite/": 0.3}   # API entries below every page that matches
_keywords: dict[str, list[str]] = {}  # page URL (zh/… for the zh-CN edition) → its front matter's keywords
# Material's worker, segmenting a Chinese query: for(let o=s+1;o<t.length;o++)t.slice(s,o)in e
SEGMENT_LOOP = re.compile(r"for\(let (\w)=(\w)\+1;\1<(\w)\.length;\1\+\+\)\3\.slice\(\2,\1\)in ")
SEGMENT_LOOP_FIXED = re.compile(r"for\(let (\w)=(\w)\+1;\1<=(\w)\.length;\1\+\+\)\3\.slice\(\2,\1\)in ")


def on_post_page(output: str, page, config, **kwargs) -> str:
    """A zh-CN page's Material ``base`` points at the zh/ root (its own search index)."""
    keywords = page.meta.get("keywords")
    if keywords:
        _keywords[page.url] = [str(k) for k in keywords]
    if not page.url.startswith(ZH):
        return output
    depth = page.url[len(ZH):].count("/")
    zh_root = "/".join([".."] * depth) or "."
    return re.sub(r'("base": )"[^"]*"', lambda m: f'{m.group(1)}"{zh_root}"', output, count=1)


@event_priority(-200)  # after mkdocs-static-i18n (-100) has written the index of both editions
def on_post_build(config, **kwargs) -> None:
    site = Path(config["site_dir"])
    path = site / "search" / "search_index.json"
    if not path.exists():
        return
    index = json.loads(path.read_text(encoding="utf-8"))
    en, zh = [], []
    for doc in index["docs"]:
        doc = {**doc, "title": plain(doc.get("title", "")), "text": plain(doc.get("text", ""))}
        if doc["location"] in _keywords:
            doc["keywords"] = " ".join(_keywords[doc["location"]])
        boost = next((b for prefix, b in DOC_BOOST.items() if doc["location"].removeprefix(ZH).startswith(prefix)), None)
        if boost is not None:
            doc["boost"] = boost
        if doc["location"].startswith(ZH):
            zh.append({**doc, "location": doc["location"][len(ZH):]})
        else:
            en.append(doc)
    if not zh:  # a single-language build (or this hook ran before the zh-CN edition existed)
        return
    # mkdocs-static-i18n drops the zh-CN entries that equal English ones (the API pages, whose
    # docstrings are English in both editions): give the zh-CN index its own copies back.
    have = {d["location"] for d in zh}
    zh += [d for d in en if d["location"] not in have and d["location"].startswith("api/")
           and (site / ZH / d["location"].split("#")[0]).exists()]
    fields = {**index["config"]["fields"], "keywords": {"boost": KEYWORD_BOOST}}
    en_config = {**index["config"], "lang": ["en"], "fields": fields}
    zh_config = {**index["config"], "fields": fields}
    path.write_text(json.dumps({**index, "config": en_config, "docs": en}, ensure_ascii=False), encoding="utf-8")
    zh_path = site / "zh" / "search" / "search_index.json"
    os.makedirs(zh_path.parent, exist_ok=True)
    zh_path.write_text(json.dumps({**index, "config": zh_config, "docs": zh}, ensure_ascii=False), encoding="utf-8")
    fix_segmenter(site)


def fix_segmenter(site: Path) -> None:
    """Let Material's worker try Chinese words that end the query (see the module's docstring)."""
    workers = list((site / "assets" / "javascripts" / "workers").glob("search.*.min.js"))
    for worker in workers:
        code = worker.read_text(encoding="utf-8")
        if SEGMENT_LOOP_FIXED.search(code):  # a rebuild that kept the copy (mkdocs serve)
            continue
        fixed, n = SEGMENT_LOOP.subn(lambda m: m.group(0).replace("<", "<=", 1), code)
        if n != 1:
            raise PluginError(f"{worker.name}: Material's query segmenter changed; revisit hooks/search_index.py")
        worker.write_text(fixed, encoding="utf-8")
    if not workers:
        raise PluginError("Material's search worker not found in the built site")
