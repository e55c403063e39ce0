"""The zh-CN edition: every English page has its Chinese twin with the same equation anchors,
the language switcher links the twins, and search finds Chinese words."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
sys.path.insert(0, str(ROOT / "hooks"))
from equation_anchors import LABEL  # noqa: E402
from page_extras import REPRODUCE  # noqa: E402

SNIPPET_ONLY = {"equation-anchors.md"}
ID = re.compile(r'\sid="(eq-[^"]+)"')


def english_sources() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md")
                  if not p.name.endswith(".zh.md") and p.name not in SNIPPET_ONLY)


@pytest.mark.parametrize("page", english_sources(), ids=lambda p: p.relative_to(DOCS).as_posix())
def test_every_english_page_has_a_chinese_twin_with_the_same_labels(page: Path) -> None:
    twin = page.with_name(page.name[:-3] + ".zh.md")
    assert twin.exists(), f"{twin.relative_to(ROOT)} is missing: every page has a zh-CN edition"
    en, zh = page.read_text(encoding="utf-8"), twin.read_text(encoding="utf-8")
    assert LABEL.findall(en) == LABEL.findall(zh), f"{twin.name}: equation labels differ from {page.name}"
    assert re.search(r"[\u4e00-\u9fff]", zh), f"{twin.name} holds no Chinese text"
    # Generated outputs and figures are shared, not duplicated: the twin includes the same files.
    shared = re.compile(r"(docs/outputs/[\w.-]+|figures/[\w.-]+\.svg|docs/benchmarks/[\w.-]+)")
    assert sorted(set(shared.findall(en))) == sorted(set(shared.findall(zh))), \
        f"{twin.name} must include the same generated outputs and figures as {page.name}"


@pytest.mark.parametrize("page", english_sources(), ids=lambda p: p.relative_to(DOCS).as_posix())
def test_reproduce_lines_have_one_label_in_each_language(page: Path) -> None:
    """Each "Reproduce: `python -m solutions run NAME`" has its twin "本地复现：…" (one label per
    language), so hooks/page_extras.py names the tests of NAME beside it in both editions."""
    twin = page.with_name(page.name[:-3] + ".zh.md")
    if not twin.exists():
        pytest.skip("checked by the twin test above")
    en, zh = page.read_text(encoding="utf-8"), twin.read_text(encoding="utf-8")
    assert [m.group(2) for m in REPRODUCE.finditer(en)] == [m.group(2) for m in REPRODUCE.finditer(zh)], \
        f"{twin.name}: write each reproduce line as 本地复现：`python -m solutions run NAME`, as {page.name} has them"
    unlabelled = re.findall(r"(?<!本地)复现[:：]\s*`python -m solutions run", zh)
    assert not unlabelled, f"{twin.name}: the label is 本地复现："


def test_built_twins_have_identical_equation_anchors(site: Path) -> None:
    en_pages = [p for p in site.rglob("index.html") if not p.relative_to(site).as_posix().startswith("zh/")]
    assert len(en_pages) > 3
    for page in en_pages:
        rel = page.relative_to(site)
        zh = site / "zh" / rel
        assert zh.exists(), f"zh/{rel.as_posix()} was not built"
        en_ids = ID.findall(page.read_text(encoding="utf-8"))
        zh_ids = ID.findall(zh.read_text(encoding="utf-8"))
        assert en_ids == zh_ids, f"{rel.as_posix()}: equation anchors differ between English and Chinese"


def test_no_output_is_duplicated_and_every_figure_has_its_chinese_labels() -> None:
    """Outputs are shared; a figure drawn by the rules of solutions/publish/plotting.py has a Chinese
    variant ``x.zh.svg`` beside ``x.svg`` (mkdocs-static-i18n serves it as ``zh/figures/x.svg``)."""
    assert not list((DOCS / "outputs").glob("*.zh.*"))
    figures = {p.name for p in (DOCS / "figures").glob("*.svg")}
    zh = {n for n in figures if n.endswith(".zh.svg")}
    assert {n.removesuffix(".zh.svg") + ".svg" for n in zh} <= figures, "a Chinese figure has no English twin"
    drawn_by_rules = {n for n in figures - zh if n.removesuffix(".svg").removesuffix(".dark") + ".dark.svg" in figures}
    missing = sorted(n for n in drawn_by_rules if n.removesuffix(".svg") + ".zh.svg" not in zh)
    assert not missing, f"figures without their Chinese variant: {missing}"


@pytest.mark.browser
def test_language_switcher_links_each_page_to_its_twin(served: str, browser) -> None:
    page = browser.new_page()
    page.set_default_timeout(120_000)  # a busy 2-core CI machine can be slow
    page.goto(served + "notation/")
    links = page.eval_on_selector_all("a[hreflang]", "els => els.map(e => [e.hreflang, e.href])")
    assert dict(links).get("zh", "").endswith("/zh/notation/"), links
    page.goto(served + "zh/notation/")
    links = dict(page.eval_on_selector_all("a[hreflang]", "els => els.map(e => [e.hreflang, e.href])"))
    assert links.get("en", "").rstrip("/").endswith("/notation"), links
    assert page.locator("h1").first.inner_text().rstrip("¶").strip() == "符号对照"
    page.close()


def test_search_index_segments_chinese_text(site: Path) -> None:
    """jieba splits Chinese runs with zero-width spaces, so lunr can index single words."""
    import json

    index = json.loads((site / "zh" / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert "zh" in index["config"]["lang"] and "\\u200b" in index["config"]["separator"]
    zh_docs = [d for d in index["docs"] if not d["location"].startswith("api/")]  # docstrings are English
    assert zh_docs and sum("\u200b" in d["text"] for d in zh_docs) > len(zh_docs) // 2


def test_each_edition_has_its_own_search_index_without_tex(site: Path) -> None:
    """hooks/search_index.py: English pages in search/, Chinese ones in zh/search/, no LaTeX in previews."""
    import json

    tex = re.compile(r"\\[\[\]()]|\\(begin|end|frac|boldsymbol|mathcal|operatorname|partial|delta|top|left|right)\b")
    en = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    zh = json.loads((site / "zh" / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    assert len(en) > 20 and len(zh) > 20
    assert not [d["location"] for d in en if d["location"].startswith("zh/")]
    assert not [d["location"] for d in zh if d["location"].startswith("zh/")], "zh locations are relative to zh/"
    for d in zh:
        target = site / "zh" / d["location"].split("#")[0] / "index.html"
        assert target.exists() or (site / "zh" / d["location"].split("#")[0]).is_file(), d["location"]
    for d in en + zh:
        for field in ("title", "text"):
            m = tex.search(d[field])
            assert m is None, f"TeX in the search index ({d['location']}): {d[field][max(0, m.start() - 40):m.end() + 40]!r}"


def test_zh_footer_is_chinese(site: Path) -> None:
    zh = (site / "zh" / "index.html").read_text(encoding="utf-8")
    en = (site / "index.html").read_text(encoding="utf-8")
    footer = re.compile(r'<div class="md-copyright__highlight">(.*?)</div>', re.S)
    assert re.search(r"[\u4e00-\u9fff]", footer.search(zh).group(1)), "the zh-CN footer is not in Chinese"
    assert not re.search(r"[\u4e00-\u9fff]{4}", footer.search(en).group(1).split("《")[0])


@pytest.mark.browser
def test_language_switch_keeps_the_anchor(served: str, browser) -> None:
    page = browser.new_page()
    page.set_default_timeout(120_000)
    page.goto(served + "bptt/#eq-bptt-W")
    with page.expect_navigation():
        page.evaluate("() => document.querySelector('a[hreflang=\"zh\"]').click()")
    assert page.url.endswith("/zh/bptt/#eq-bptt-W"), page.url
    page.close()


def search(page, query: str, seconds: int = 240) -> list[str]:
    """The result links for ``query``, entered into the search field of ``page``.

    The query is filled in whole and then a key (End) is pressed: Material's search starts on
    keyup, and Playwright's typing of Chinese fires none (typing letter by letter would also
    show the results of a prefix first). The old results are removed first, so the links are
    this query's. The first query of a page waits while the search index loads (it is fetched
    when search opens) and the worker builds it: an unanswered query is entered again every few
    seconds, and after a minute (a request dropped on a loaded machine) the page is reloaded."""
    import time

    deadline = time.monotonic() + seconds
    reload_at = time.monotonic() + 60
    field = "input.md-search__input"
    while True:
        page.evaluate("() => document.querySelectorAll('.md-search-result__list').forEach(l => l.replaceChildren())")
        page.fill(field, "")
        page.keyboard.press("End")
        page.fill(field, query)
        page.keyboard.press("End")
        try:
            page.wait_for_selector(".md-search-result__item", timeout=5000)
            return page.eval_on_selector_all(".md-search-result__list > .md-search-result__item > a",
                                             "els => els.map(e => e.href)")
        except Exception:
            if time.monotonic() > deadline:
                raise
            if time.monotonic() > reload_at:
                page.reload()
                reload_at = time.monotonic() + 60


# The words students type, and the pages that must come first for them in the searched edition
# (issue 23 §5). 截断 names both truncated BPTT and gradient clipping; both pages say so. None: any
# page of the edition (a word that is on many pages, e.g. 误差项, the error term, or an English word
# searched in the Chinese edition). Every query's results must all be of the searched edition.
FIRST_RESULT = {
    "": [("BPTT", {"bptt"}), ("vanishing", {"lstm", "gru", "bptt", "residual"}),
         ("exploding", {"residual", "clipping", "bptt"}), ("clipping", {"clipping"}),
         ("LSTM", {"lstm"}), ("GRU", {"gru"})],
    "zh/": [("随时间反向传播", {"bptt"}), ("BPTT", {"bptt"}), ("梯度消失", {"lstm", "gru", "bptt", "residual"}),
            ("梯度爆炸", {"residual", "clipping", "bptt"}), ("梯度截断", {"clipping"}), ("截断", {"clipping", "bptt"}),
            ("长短期记忆", {"lstm"}), ("LSTM", {"lstm"}), ("门控循环单元", {"gru"}), ("GRU", {"gru"}),
            ("误差项", None), ("梯度", None), ("clipping", None)],
}


@pytest.mark.browser
@pytest.mark.parametrize("edition", FIRST_RESULT, ids=["en", "zh"])
def test_search_puts_the_page_about_the_word_first_and_api_entries_below_pages(served: str, browser,
                                                                                edition: str) -> None:
    page = browser.new_page()
    page.set_default_timeout(120_000)
    page.goto(served + edition)
    problems = []
    for query, first in FIRST_RESULT[edition]:
        paths = [h[len(served):] for h in search(page, query)]
        keys = [p.removeprefix(edition).split("?")[0].split("#")[0].rstrip("/") for p in paths]
        if not keys:
            problems.append(f"{query!r}: no result")
        elif first is not None and keys[0] not in first:
            problems.append(f"{query!r}: first result {keys[:1]}, want one of {sorted(first)}")
        if any(not p.startswith(edition) or (edition == "" and p.startswith("zh/")) for p in paths):
            problems.append(f"{query!r}: results from the other edition: {paths}")
        api = [i for i, k in enumerate(keys) if k.startswith("api/")]
        if api and any(not k.startswith("api/") for k in keys[api[0]:]):
            problems.append(f"{query!r}: an API entry ranks above a page: {keys}")
    page.close()
    assert not problems, "\n".join(problems)
