"""The site itself: a strict build, no external host, and every page in a real browser.

The browser part serves the built site on 127.0.0.1 (a free port) and opens every page in
Debian's chromium through Playwright: every math element must arrive typeset (MathJax runs at
build time, hooks/math_render.py; no page loads a math script), no raw TeX may remain in the
visible text or the navigation, no console error may occur, and no request may leave
127.0.0.1. At 390 px (a phone): no displayed equation below 13 px, no formula in a table
smaller than the table's text, no printed output that wraps, no figure label below 9 px; in
both colour schemes, links inside formulas at 4.5:1 contrast or more. Every page of both editions
is opened, but the Chinese API pages that are their English twin's docstrings under a note of plain
text (:func:`browser_pages`). A screenshot of the notation page is saved in ``test-artifacts/``.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from conftest import site_pages

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"

# URLs inside third-party bundles that are never requested by this site's pages: Material's
# lazy fallbacks (a ResizeObserver polyfill for old browsers, mermaid for diagrams we do not
# use, the GitHub API for a repo_url we do not set). The browser test below proves that no page
# makes any request outside 127.0.0.1.
# URLs inside third-party scripts that are fetched only for features the site does not use
# (glightbox loads Plyr only to play a video slide; the site opens images only). A fetch
# would show up in the browser tests, which allow no request to another host.
THIRD_PARTY_LATENT = re.compile(
    r"https://(unpkg\.com/(resize-observer-polyfill|mermaid@)|api\.github\.com/|"
    r"cdn\.plyr\.io/)"
)
# <link rel="canonical"> and rel="alternate" name the page's own address (site_url); nothing
# fetches them.
NOT_FETCHED = re.compile(r"<link\b[^>]*\brel=[\"']?(canonical|alternate)\b", re.I)


def built_pages(site: Path) -> list[str]:
    """Site-relative URL of every built page (each ``index.html``; the 404 page has none)."""
    urls = []
    for html in sorted(site.rglob("index.html")):
        rel = html.parent.relative_to(site).as_posix()
        urls.append("" if rel == "." else rel + "/")
    return urls


def test_build_is_strict_and_has_every_page(site: Path) -> None:
    urls = built_pages(site)
    assert sorted(urls) == sorted(site_pages()), "the built pages differ from docs/*.md (+ zh twins)"
    assert (site / "assets" / "mathjax" / "svg.css").is_file(), "MathJax's SVG stylesheet was not written"
    scripts = {src for url in urls for src in re.findall(r'<script[^>]* src="([^"]+)"',
                                                        (site / url / "index.html").read_text(encoding="utf-8"))}
    assert not [src for src in scripts if re.search(r"mathjax|tex-(svg|chtml)", src, re.I)], scripts


def test_no_external_host_is_referenced(site: Path) -> None:
    """HTML may link out (<a href>) but loads nothing from outside; CSS/JS name no host."""
    resource_attr = re.compile(r"<(?!a\b)[a-z]+[^>]*?\s(?:src|href|srcset|poster|data)\s*=\s*[\"']?(https?:)?//", re.I)
    bad = []
    for f in site.rglob("*"):
        if f.suffix not in {".html", ".css", ".js"}:
            continue
        text = f.read_text(encoding="utf-8", errors="replace")
        if f.suffix == ".html":
            bad += [f"{f.relative_to(site)}: {m.group(0)[:120]}" for m in resource_attr.finditer(text)
                    if not NOT_FETCHED.match(m.group(0))]
            continue
        if f.suffix == ".css":
            bad += [f"{f.relative_to(site)}: {m.group(0)}" for m in re.finditer(r"(url\(\s*[\"']?|@import\s+[\"']?)(https?:)?//[^)\"' ]+", text)]
            continue
        for m in re.finditer(r"[\"'`](https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^\"'`\s]*", text, re.I):
            url = m.group(0)[1:]
            if url.startswith("//") or THIRD_PARTY_LATENT.match(url):
                continue
            if "assets/javascripts/bundle" in str(f) or f.name == "glightbox.min.js":
                # Inside third-party bundles, string literals that are not fetched
                # (licence texts, XML namespaces, doc links) are allowed; fetched ones
                # would show up in the browser test.
                if re.match(r"https?://(www\.w3\.org|www\.mozilla\.org|github\.com|www\.mathjax\.org|"
                            r"squidfunk\.github\.io|fontawesome\.com|clipboardjs\.com|developer\.mozilla\.org|"
                            r"snowball\.tartarus\.org|code\.google\.com|www\.apache\.org|en\.wikipedia\.org|bit\.ly)", url):
                    continue
            bad.append(f"{f.relative_to(site)}: {url[:120]}")
    assert not bad, "external hosts referenced:\n" + "\n".join(sorted(set(bad))[:50])


# TeX that MathJax should have consumed: delimiters, or a command such as \eqref{...} outside math.
RAW_TEX = re.compile(r"\\\(|\\\[|\$\$|\\[a-zA-Z]+\{")

VISIBLE_TEXT_JS = """() => {
  const body = document.querySelector('.md-content').cloneNode(true);
  body.querySelectorAll('pre, code, script, style, mjx-container').forEach(e => e.remove());
  return body.innerText;
}"""

# The table of contents, the menu (phones) and the header: headings carry their TeX there.
NAV_TEXT_JS = """() => [...document.querySelectorAll('.md-header, .md-sidebar, .md-nav')].map(n => {
  const c = n.cloneNode(true);
  c.querySelectorAll('mjx-container').forEach(e => e.remove());
  return c.textContent;
}).join(' ')"""

ANCHORS_JS = """() => [...document.querySelectorAll('.md-content a.eq-anchor')].filter(a => {
  const block = (a.closest('p') || a).nextElementSibling;
  const tags = block ? [...block.querySelectorAll('[id^="mjx-eqn:"]')].map(e => 'eq-' + e.id.slice(8).replace(/:/g, '-')) : [];
  return !tags.includes(a.id);
}).map(a => a.id)"""

MATH_JS = """() => {
  const blocks = [...document.querySelectorAll('.arithmatex')];
  const bare = blocks.filter(b => !b.querySelector('mjx-container svg')).map(b => b.textContent.slice(0, 80));
  const merrors = [...document.querySelectorAll('[data-mjx-error]')].map(e => e.getAttribute('data-mjx-error'));
  // the glyphs every formula draws with (<use href="#MJX-TEX-…">) are in the page's glyph store
  const missing = [...new Set([...document.querySelectorAll('mjx-container use')].map(u => u.getAttribute('href'))
    .filter(h => !document.getElementById(h.slice(1))))];
  // every formula keeps its MathML for screen readers; the navigation holds plain text, no copy of a formula
  const noMathml = [...document.querySelectorAll('mjx-container')].filter(c => !c.querySelector('mjx-assistive-mml > math'))
    .map(c => c.textContent.slice(0, 60));
  const navMath = document.querySelectorAll('.md-header mjx-container, .md-sidebar mjx-container, .md-nav mjx-container').length;
  return {count: blocks.length, bare, merrors, missing, noMathml, navMath};
}"""


def browser_pages() -> list[str]:
    """Every page of :func:`site_pages` but the Chinese API pages whose Chinese text holds no math:
    such a page is its English twin's docstrings (opened in English) under a note of plain
    Chinese text. The Chinese API index and the API pages with math in their note are opened."""
    def chinese_source(url: str) -> Path:
        rel = url.removeprefix("zh/").rstrip("/") or "index"
        rel = rel + "/index" if rel == "api" else rel
        return ROOT / "docs" / f"{rel}.zh.md"

    return [url for url in site_pages() if not url.startswith("zh/api/") or url == "zh/api/"
            or re.search(r"\\\(|\\\[|\$", chinese_source(url).read_text(encoding="utf-8"))]


@pytest.fixture(scope="module")
def tab(browser):
    """One tab for every page a worker opens here: a new tab per page cost about as much again as
    loading a light page. Each test starts it at Playwright's default desktop size and leaves it
    on about:blank, so that nothing of one page's loading reaches the next page's test."""
    page = browser.new_page()
    page.set_default_timeout(120_000)  # a busy 2-core CI machine can be slow
    yield page
    page.close()


@pytest.mark.browser
@pytest.mark.parametrize("url", browser_pages(), ids=lambda u: "/" + u)
def test_page_in_a_real_browser(site: Path, served: str, tab, url: str) -> None:
    """Open the page in Chromium: math typeset, no raw TeX, no console error, nothing external."""
    page = tab
    page.set_viewport_size({"width": 1280, "height": 720})
    events: list[str] = []
    listeners = [
        ("console", lambda m: m.type == "error" and events.append(f"console error: {m.text}")),
        ("pageerror", lambda e: events.append(f"page error: {e}")),
        ("request", lambda r: urlparse(r.url).scheme in ("http", "https")
         and urlparse(r.url).hostname != "127.0.0.1" and events.append(f"external request: {r.url}")),
        ("requestfailed", lambda r: events.append(f"failed request: {r.url}")),
        ("response", lambda r: r.status >= 400 and events.append(f"HTTP {r.status}: {r.url}")),
    ]
    for event, listener in listeners:
        page.on(event, listener)
    try:
        problems = _check_page(page, site, served, url, events)
    finally:
        page.goto("about:blank")
        if url.endswith("print/"):
            page.emulate_media(media="screen")     # check_print_page left it in print media
        for event, listener in listeners:
            page.remove_listener(event, listener)
    assert not problems, f"/{url}:\n" + "\n".join(problems)


def _check_page(page, site: Path, served: str, url: str, events: list[str]) -> list[str]:
    problems: list[str] = []
    response = page.goto(served + url, wait_until="load")
    if response is None or response.status != 200:
        problems.append(f"HTTP {response and response.status}")
    math = page.evaluate(MATH_JS)
    problems += [f"math not typeset: {b!r}" for b in math["bare"]]
    problems += [f"MathJax error: {e!r}" for e in math["merrors"]]
    problems += [f"glyph missing from the page: {g}" for g in math["missing"]]
    problems += [f"formula without its MathML for screen readers: {t!r}" for t in math["noMathml"]]
    if math["navMath"]:
        problems.append(f"{math['navMath']} typeset formulas in the navigation (it gets plain text)")
    # every static anchor #eq-LABEL sits right before the block MathJax numbered from \\label{LABEL}
    problems += [f"anchor #{a} is not followed by its numbered equation" for a in page.evaluate(ANCHORS_JS)]
    text = page.evaluate(VISIBLE_TEXT_JS)
    for m in RAW_TEX.finditer(text):
        problems.append(f"raw TeX in visible text: {text[max(0, m.start() - 40): m.end() + 40]!r}")
    nav = page.evaluate(NAV_TEXT_JS)
    for m in RAW_TEX.finditer(nav):
        problems.append(f"raw TeX in the navigation: {nav[max(0, m.start() - 40): m.end() + 40]!r}")
    page.wait_for_timeout(50)
    problems += events
    if url in ("notation/", "zh/notation/"):
        ARTIFACTS.mkdir(exist_ok=True)
        page.set_viewport_size({"width": 1280, "height": 900})
        shot = ARTIFACTS / ("notation.png" if url == "notation/" else "notation-zh.png")
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
    problems += [f"desktop: code block scrolls sideways: {t!r}" for t in page.evaluate(CODE_SCROLLS_JS)]
    problems += [f"figure does not open full size (no lightbox link): {src}" for src in page.evaluate(NO_LIGHTBOX_JS)]
    problems += check_equation_link_contrast(page, url)
    problems += check_mathml_exposed(page)
    if url.endswith("print/"):
        problems += check_print_page(page, url)      # last: it leaves the tab at A4 width, print media
    else:
        problems += check_phone_width(page)
        problems += check_figures_on_phone(page, site)
    return problems


def check_mathml_exposed(page) -> list[str]:
    """Screen readers get the MathML of a formula on screen: the first formula's ``<math>`` is in
    Chromium's accessibility tree, not ignored (content-visibility on its hidden copy once left
    every formula out of it, as "notRendered")."""
    if not page.evaluate("() => !!document.querySelector('.md-content mjx-assistive-mml > math')"):
        return []
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("Accessibility.enable")
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        math = cdp.send("DOM.querySelector", {"nodeId": root, "selector": ".md-content mjx-assistive-mml > math"})["nodeId"]
        node = cdp.send("Accessibility.getPartialAXTree", {"nodeId": math, "fetchRelatives": False})["nodes"][0]
    finally:
        cdp.detach()
    if node.get("ignored"):
        reasons = [r.get("name") for r in node.get("ignoredReasons", [])]
        return [f"the first formula's MathML is hidden from screen readers (accessibility tree: ignored, {reasons})"]
    return []


# Source code wraps (a continuation marker shows where); printed output (```text blocks: tables
# that must line up) never wraps and scrolls sideways instead.
CODE_SCROLLS_JS = """() => [...document.querySelectorAll('.md-content pre > code')]
  .filter(c => !c.closest('.language-text') && c.scrollWidth > c.clientWidth + 1).map(c => c.textContent.slice(0, 60))"""

OUTPUT_WRAPS_JS = """() => [...document.querySelectorAll('.md-content .language-text pre > code')].flatMap(code => {
  const lh = parseFloat(getComputedStyle(code).lineHeight);
  return [...code.querySelectorAll(':scope > span')].filter(line => line.getBoundingClientRect().height > 1.5 * lh)
    .map(line => line.textContent.slice(0, 60));
})"""

NO_LIGHTBOX_JS = """() => [...document.querySelectorAll('.md-content img')]
  .filter(i => !i.closest('a.glightbox')).map(i => i.getAttribute('src'))"""

# At 390 px: the page itself does not scroll sideways (a wide equation scrolls within its block,
# overflow-x: auto, with a shadow as the cue); a displayed equation is drawn at 13 px or more
# (its font size times the scale its svg is drawn at), a formula in a table at the table's size.
PHONE_JS = """() => {
  const width = document.documentElement.clientWidth, out = [];
  if (document.documentElement.scrollWidth > width + 1)
    out.push('the page scrolls sideways: ' + document.documentElement.scrollWidth + ' px');
  const drawnPx = c => {
    const svg = c.querySelector(':scope > svg'), probe = document.createElement('span');
    probe.style.cssText = 'position:absolute;height:10ex;width:0';
    c.appendChild(probe);
    const ex = probe.getBoundingClientRect().height / 10;
    probe.remove();
    const scale = svg.getBoundingClientRect().height / (parseFloat(svg.getAttribute('height')) * ex);
    return parseFloat(getComputedStyle(c).fontSize) * scale;
  };
  // the top-level blocks the browser may skip off screen (content-visibility in extra.css) clip
  // what overflows them: nothing may, beyond the padding of an unbreakable inline code span (0.3em)
  for (const b of document.querySelectorAll('.md-typeset > *'))
    if (getComputedStyle(b).contentVisibility === 'auto' && getComputedStyle(b).overflowX === 'visible'
        && b.scrollWidth > b.clientWidth + 5)
      out.push('content cut off at the right edge of a ' + b.tagName.toLowerCase() + ': ' + b.textContent.slice(0, 50));
  for (const c of document.querySelectorAll('.md-content mjx-container[display="true"]')) {
    const px = drawnPx(c);
    if (px < 13) out.push('displayed equation drawn at ' + px.toFixed(1) + ' px: ' + c.textContent.slice(0, 50));
    const block = c.closest('div.arithmatex');
    if (block.scrollWidth > block.clientWidth + 1 && getComputedStyle(block).overflowX !== 'auto')
      out.push('wide equation cut off: ' + c.textContent.slice(0, 50));
  }
  for (const c of document.querySelectorAll('.md-content td mjx-container, .md-content th mjx-container')) {
    const px = drawnPx(c), cell = parseFloat(getComputedStyle(c.closest('td, th')).fontSize);
    if (px < 0.98 * cell) out.push('formula in a table drawn at ' + px.toFixed(1) + ' px, the table at ' + cell + ' px: ' + c.textContent.slice(0, 40));
  }
  return out;
}"""


def check_phone_width(page) -> list[str]:
    """The page at 390×844 (a phone): only equations and tables scroll sideways, each within its
    block; math is drawn at its size; printed output does not wrap."""
    page.set_viewport_size({"width": 390, "height": 844})
    problems = page.evaluate(PHONE_JS) + [f"printed output wraps: {t!r}" for t in page.evaluate(OUTPUT_WRAPS_JS)]
    return [f"390 px: {p}" for p in problems]


# At 390 px, in each colour scheme: every figure the scheme shows, its rendered width, and whether
# it sits in a <figure> with a caption. (The scheme is switched as Material's toggle does.)
FIGURES_JS = """async scheme => {
  document.body.setAttribute('data-md-color-scheme', scheme);
  const imgs = [...document.querySelectorAll('.md-content img[src*="figures/"]')];
  imgs.forEach(i => { i.loading = 'eager'; });  // lazy figures: load them all now
  await Promise.all(imgs.map(i => i.complete ? 0 : new Promise(r => { i.onload = i.onerror = r; })));
  return imgs.map(i => ({src: new URL(i.currentSrc || i.src).pathname, width: i.getBoundingClientRect().width,
    caption: !!i.closest('figure')?.querySelector('figcaption')?.textContent.trim()}));
}"""


def figure_label_sizes(page, site: Path) -> list[tuple[str, str, float, str]]:
    """``(scheme, figure file, px, text)``: the smallest glyph of every figure shown at the page's
    width, as rendered — its size in the SVG (pt, read from the drawing by
    ``plotting.svg_glyph_sizes``) times the image's rendered CSS px per pt."""
    from solutions.publish.plotting import svg_glyph_sizes, svg_width_pt

    out = []
    for scheme in ("default", "slate"):
        for img in page.evaluate(FIGURES_JS, scheme):
            if img["width"] == 0:            # the other scheme's variant (display: none)
                continue
            svg = (site / img["src"].lstrip("/")).read_text(encoding="utf-8")
            label, pt = min(svg_glyph_sizes(svg), key=lambda g: g[1])
            out.append((scheme, img["src"], pt * img["width"] / svg_width_pt(svg), label))
    page.evaluate("() => document.body.setAttribute('data-md-color-scheme', 'default')")
    return out


def check_figures_on_phone(page, site: Path) -> list[str]:
    """At 390 px, in both schemes: every figure shown (one per scheme), every glyph of it at least
    9 CSS px as rendered, and a caption under it (issue 23 §3)."""
    from solutions.publish.plotting import MIN_LABEL_PX

    imgs = page.evaluate(FIGURES_JS, "default")
    problems = [f"390 px: figure without a caption: {i['src']}" for i in imgs if not i["caption"]]
    sizes = figure_label_sizes(page, site)
    shown = {scheme: sum(1 for s in sizes if s[0] == scheme) for scheme in ("default", "slate")}
    if imgs and (2 * shown["default"] != len(imgs) or shown["default"] != shown["slate"]):
        problems.append(f"390 px: {len(imgs)} figure images, shown {shown} per scheme: each figure needs "
                        f"one light (#only-light) and one dark (#only-dark) image")
    problems += [f"390 px, {scheme}: {src}: {text!r} renders at {px:.1f} px, below {MIN_LABEL_PX:g} px"
                 for scheme, src, px, text in sizes if px < MIN_LABEL_PX - 0.05]
    return problems


# The h1 of every page the one-page print edition must hold, per language.
PRINT_HEADINGS = {
    "print/": ["Notation crosswalk", "6-1P", "6-2", "6-2P", "Pitfalls", "6-3", "Gradient clipping", "Bidirectional RNN"],
    "zh/print/": ["符号对照", "6-1P", "6-2", "6-2P", "常见错误", "6-3", "梯度截断", "双向循环神经网络"],
}


# What a printed page shows: Chromium's print media on an A4-wide page (794 CSS px = 210 mm).
# The PDF itself is not made: Chromium lays the whole edition out for print before it writes even
# its first page (measured: 14 s for pages 1-2, 22-28 s for 1-24, 34 MB), and what the reader's
# printout holds is decided by the print style sheet this checks.
PRINT_MEDIA_JS = """() => {
  const shown = e => getComputedStyle(e).display !== 'none' && e.getClientRects().length > 0;
  const chrome = ['.md-header', '.md-tabs', '.md-sidebar', '.md-footer', '.md-search', '.md-dialog']
    .filter(s => [...document.querySelectorAll(s)].some(shown));
  const h1 = [...document.querySelectorAll('.md-content h1')].filter(shown).map(h => h.textContent);
  const math = [...document.querySelectorAll('.md-content mjx-container')];
  const wide = [...document.querySelectorAll('.md-content__inner > *')]
    .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
    .map(e => e.tagName + ' ' + e.textContent.slice(0, 40));
  return {chrome, h1, math: math.length, hiddenMath: math.filter(m => !shown(m)).length, wide};
}"""


def check_print_page(page, url: str) -> list[str]:
    """The print edition holds every exercise page (its h1s), and printed (print media, A4 width)
    it shows them without the site's navigation, with every formula, nothing wider than the page."""
    h1 = page.eval_on_selector_all(".md-content h1", "els => els.map(e => e.textContent)")
    problems = [f"print page lacks the page {want!r}" for want in PRINT_HEADINGS[url]
                if not any(h.startswith(want) for h in h1)]
    # The page is left at A4 width in print media (the test then leaves for about:blank and the next
    # test sets its own size): laying the whole edition out twice more to restore the screen cost
    # about 5 s per edition.
    page.set_viewport_size({"width": 794, "height": 1123})
    page.emulate_media(media="print")
    printed = page.evaluate(PRINT_MEDIA_JS)
    problems += [f"printed, the site's {c} shows" for c in printed["chrome"]]
    problems += [f"printed, the page {want!r} is hidden" for want in PRINT_HEADINGS[url]
                 if not any(h.startswith(want) for h in printed["h1"])]
    if printed["math"] < 100 or printed["hiddenMath"]:
        problems.append(f"printed, {printed['hiddenMath']} of {printed['math']} formulas are hidden")
    problems += [f"printed, wider than A4: {w!r}" for w in printed["wide"]]
    return problems


@pytest.mark.browser
def test_equation_anchor_lands_on_its_equation(site: Path, served: str, browser) -> None:
    """A link to #eq-LABEL scrolls the page down to the equation MathJax numbered from \\label{LABEL}."""
    page = browser.new_page()
    page.set_default_timeout(120_000)  # a busy 2-core CI machine can be slow
    page.goto(served + "bptt/#eq-bptt-W")
    assert page.locator("#eq-bptt-W").count() == 1
    assert page.evaluate("() => window.scrollY") > 500, "the link did not scroll to the equation"
    page.close()


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two CSS colours ``rgb(r, g, b)``."""
    def luminance(css: str) -> float:
        channels = [int(v) / 255 for v in re.findall(r"\d+", css)[:3]]
        lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# An \eqref inside a formula is a link drawn in the link colour: 4.5:1 or more against the page in
# the light and the dark scheme (MathJax's own blue had 1.9:1 on the dark one). Null: no such link.
EQ_LINK_COLOURS_JS = """scheme => {
  document.body.setAttribute('data-md-color-scheme', scheme);
  const a = document.querySelector('.md-content mjx-container svg a');
  const out = a && [getComputedStyle(a).fill, getComputedStyle(document.body).backgroundColor];
  document.body.setAttribute('data-md-color-scheme', 'default');
  return out;
}"""


def check_equation_link_contrast(page, url: str) -> list[str]:
    problems = []
    for scheme in ("default", "slate"):
        colours = page.evaluate(EQ_LINK_COLOURS_JS, scheme)
        if not colours and url in ("bptt/", "zh/lstm/"):  # pages whose formulas hold \eqref links
            problems.append(f"{scheme} scheme: no equation link found")
        if colours and contrast(*colours) < 4.5:
            problems.append(f"{scheme} scheme: equation link {colours[0]} on {colours[1]}: "
                            f"contrast {contrast(*colours):.2f} < 4.5 (WCAG AA)")
    return problems


def figure_pages(site: Path) -> list[str]:
    """English pages that show a figure (the zh-CN pages show the same files)."""
    return sorted(url for url in built_pages(site) if not url.startswith(("zh/", "print/")) and "figures/" in
                  (site / url / "index.html").read_text(encoding="utf-8"))


ANIMATIONS_DONE_JS = "() => Promise.all(document.getAnimations().map(a => a.finished.catch(() => null)))"


@pytest.mark.browser
def test_every_figure_opens_full_size_on_a_phone(site: Path, served: str, browser) -> None:
    """Tapping a figure opens it in the lightbox (mkdocs-glightbox), on a phone at its own size, far
    wider than the column of a 390 px screen (the reader pans it sideways)."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.set_default_timeout(120_000)
    cdp = page.context.new_cdp_session(page)
    problems, count = [], 0
    for url in figure_pages(site):
        page.goto(served + url)
        # the lightbox's opening and closing effects, played 20 times faster (DevTools' animation
        # rate, what its Animations panel sets): the effects still run and end, in milliseconds
        cdp.send("Animation.enable")
        cdp.send("Animation.setPlaybackRate", {"playbackRate": 20})
        shown = page.locator(".md-content a.glightbox img:visible")  # the light scheme's variant
        for i in range(shown.count()):
            img = shown.nth(i)
            img.scroll_into_view_if_needed()
            inline = img.bounding_box()["width"]
            img.click()
            big = page.locator(".glightbox-container .gslide.current .gslide-image img")
            big.wait_for(state="visible")
            box, width = None, -1.0  # measure once every effect has ended and the width holds still
            for _ in range(200):
                page.evaluate(ANIMATIONS_DONE_JS)
                box = big.bounding_box()
                if box is not None and abs(box["width"] - width) < 0.5:
                    break
                width = box["width"] if box is not None else -1.0
                page.wait_for_timeout(30)
            natural = big.evaluate("i => i.naturalWidth")
            count += 1
            if box is None or box["width"] < 0.97 * min(natural, 2 * inline):
                problems.append(f"/{url}: figure {i} opened {box and box['width']:.0f} px wide, "
                                f"{inline:.0f} px in the column, {natural} px its own size")
            page.keyboard.press("Escape")
            page.locator(".glightbox-container").wait_for(state="detached")
    page.close()
    assert count >= 5, f"only {count} figures found"
    assert not problems, "\n".join(problems)


@pytest.mark.browser
@pytest.mark.parametrize("path, heading, links", [
    ("no/such/page/", "Page not found", ["", "cite/", "zh/"]),
    ("zh/no/such/page/", "页面不存在", ["zh/", "zh/cite/", ""]),
])
def test_404_page_speaks_the_readers_language_and_links_work(served: str, browser, path: str, heading: str,
                                                              links: list[str]) -> None:
    """One /404.html for every missing path (as a static host serves it): English, or Chinese under /zh/."""
    page = browser.new_page()
    page.set_default_timeout(120_000)
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and "404" not in m.text and errors.append(m.text))
    response = page.goto(served + path)
    assert response is not None and response.status == 404
    visible = [h.inner_text().rstrip("¶").strip() for h in page.locator(".md-content h1").all() if h.is_visible()]
    assert visible == [heading], visible
    hrefs = page.eval_on_selector_all(".md-content a", "els => els.filter(e => e.offsetParent).map(e => e.href)")
    assert [h[len(served):] for h in hrefs] == links, hrefs
    for href in hrefs:
        assert page.request.get(href).status == 200, href
    assert page.evaluate("() => getComputedStyle(document.querySelector('.md-header')).position") != "static", \
        "the theme's stylesheet did not load on the 404 page"
    page.close()
    assert not errors, errors
