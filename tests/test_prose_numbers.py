"""No page's prose states a numeric result typed by hand (issue 12).

A number that code computes or measures comes from a demo — ``{{ value("demo", "key") }}``, or
the demo's output included into the page — or is written as the expression itself
(``$(1+0.01)^{1000}$``). Definitions may stay typed. This test reads every page
(``docs/**/*.md``, both languages) and ``README.md``, and flags what reads as a result.

What is read
    The prose: text, headings, tables, admonitions, link texts and image alt texts (also
    ``alt="…"`` / ``title="…"`` of HTML tags). Not read: YAML front matter, fenced code blocks,
    inline code, snippet includes (``--8<--``), HTML comments and tags, link and image targets,
    bare URLs, heading ids and attribute lists (``{#id}``, ``{: …}``), the macro calls
    ``{{ value(…) }}`` (their numbers come from code), and generated files (``docs/outputs``,
    ``docs/benchmarks``, ``docs/notebooks``, ``equation-anchors.md``).

What is flagged (a "result")
    In text: a decimal number (``1.118``), scientific notation (``1e-12``, ``2×10⁴``, ``10⁻⁴⁸``,
    ``10^-4``), a percentage (``20%``, ``20％``), an approximate number (``≈ 646``, ``~100``,
    ``about 3``, ``roughly``, ``nearly``, ``约 646``), a factor (``100×``, ``3 倍``,
    ``100 times faster``), orders of magnitude (``two orders of magnitude``, ``两个数量级``) and a
    time (``10 s``, ``3 minutes``, ``2 ms``: timings never appear in prose; link the benchmark
    page). In math (``\\(…\\)``, ``$…$``, ``\\[…\\]``, ``$$…$$``), which is mostly definition and
    derivation: only what follows ``\\approx``/``\\sim``/``\\simeq``/``≈``, powers of ten
    (``10^{-48}``, ``2\\times 10^4``), percentages and decimals of three or more significant
    digits (``r = 0.113``; ``α = 0.1`` and ``(1 + 0.01)`` read as parameters). Approximately 0
    or 1 ("the gate ≈ 1", "接近 1") is an idealisation, not a measurement, and is not flagged.

    Known limits: plain integers are not flagged (counts, sizes, steps, years, chapter numbers),
    so a hand-typed integer result such as "T = 646" is caught only when it is approximate
    ("T ≈ 646"); nor are numbers in words ("within ten steps"); and a result that happens to
    equal a parameter of the page's demo passes.

What is allowed (a "definition")
    - equation numbers ``(6.40)``, ``eqs. (6.39)–(6.41)``, ``式(6.40)``; section, figure, table
      and algorithm numbers (``§6.5``, ``section 6.5``, ``Figure 6.3``, ``第6.5节``, ``图6.3``);
      exercise ids (``6-1P``, no decimal point anyway);
    - version numbers (``3.11``, ``2.13.0``, after Python/NumPy/PyTorch/MathJax/…), arXiv ids;
    - a parameter of a demo the page shows: a number equal to a numeric literal of the demo's
      source (``solutions/demos/<name>.py``, code or string), or of a module-level assignment of a
      module of ``solutions/experiments/`` that the demo imports (where the settings it shares
      with other demos live), that its printed output or values also contain — e.g.
      ``lr = 0.02``, ``eps = 1e-6``, a tolerance ``≤ 1e-12``. The page's demos are those whose
      ``docs/outputs/<name>.txt`` it includes or whose values it inserts;
    - the entries of ``tests/prose_numbers_allowlist.txt``: exact constants and other justified
      exceptions, one per line with the reason.
"""

from __future__ import annotations

import fnmatch
import io
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
ALLOWLIST = Path(__file__).with_name("prose_numbers_allowlist.txt")
GENERATED = ("outputs/", "benchmarks/", "notebooks/", "equation-anchors.md")

SUP = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
NUM = r"\d+(?:[.,]\d+)*"  # 1, 1.118, 10,000

# --- stripping -------------------------------------------------------------------------------

FENCE = re.compile(r"^([ \t]*)(`{3,}|~{3,})[^\n]*\n.*?^\1?[ \t]*\2[ \t]*$", re.MULTILINE | re.DOTALL)
FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)
COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
SNIPPET = re.compile(r"^.*--8<--.*$", re.MULTILINE)
MACRO = re.compile(r"\{\{.*?\}\}", re.DOTALL)
INLINE_CODE = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.DOTALL)
ATTRS = re.compile(r"\{[:#.][^}\n]*\}")
LINK_TARGET = re.compile(r"(\]\s*)\((?:[^()\s]|\([^()]*\))*(?:\s+\"[^\"]*\")?\)")
REF_DEF = re.compile(r"^\s*\[[^\]]+\]:\s*\S+.*$", re.MULTILINE)
URL = re.compile(r"(?:https?|ftp)://\S+|doi:\S+|arXiv:\s*\d+\.\d+(?:v\d+)?|\b10\.\d{4,9}/\S+", re.IGNORECASE)
HTML_ATTR_TEXT = re.compile(r"\b(?:alt|title|aria-label)\s*=\s*\"([^\"]*)\"")
HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
MATH = re.compile(r"\$\$.*?\$\$|\\\[.*?\\\]|\\\(.*?\\\)|(?<![\\$])\$(?!\s)[^$\n]+?(?<!\s)\$", re.DOTALL)
API = re.compile(r"^:::.*$", re.MULTILINE)


def prose_and_math(text: str) -> tuple[str, list[str]]:
    """The prose of a page (everything listed as "not read" removed) and its math spans."""
    text = FRONT_MATTER.sub("", text)
    text = COMMENT.sub(" ", text)
    text = FENCE.sub(" ", text)
    text = SNIPPET.sub(" ", text)
    text = API.sub(" ", text)
    text = MACRO.sub(" ", text)
    text = INLINE_CODE.sub(" ", text)
    text = HTML_ATTR_TEXT.sub(lambda m: " " + m.group(1) + " ", text)
    text = HTML_TAG.sub(" ", text)
    text = REF_DEF.sub(" ", text)
    text = LINK_TARGET.sub(r"\1", text)
    text = URL.sub(" ", text)
    text = ATTRS.sub(" ", text)
    math = MATH.findall(text)
    return MATH.sub(" ", text), math


# --- what reads as a result ------------------------------------------------------------------

SCI = (r"(?:\d+(?:\.\d+)?\s*(?:×|\\times|x|\*)\s*)?10\s*(?:\^\s*\{?\s*[-−+]?\s*\d+\s*\}?|[⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)"
       r"|\b\d+(?:\.\d+)?[eE][-+]?\d+\b")
WORD_NUMBER = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|several|many|a few|一|二|两|三|四|五|六|七|八|九|十|几)"
TEXT_PATTERNS = {
    "scientific notation": re.compile(SCI),
    "percentage": re.compile(rf"{NUM}\s*(?:%|％|percent\b|个百分点)"),
    "approximate number": re.compile(
        rf"(?:≈|≃|∼|~|\babout|\broughly|\baround|\bnearly|\balmost|\bapproximately|\bsome|约|大约|近|将近)\s*[-−]?{NUM}"
        rf"|{NUM}\s*(?:左右|上下)"),
    "factor": re.compile(rf"{NUM}\s*(?:×|倍)(?![\d⁰¹²³⁴⁵⁶⁷⁸⁹]|\s*10)"
                         rf"|{NUM}\s*times\s+(?:as|larger|smaller|faster|slower|more|less|bigger|higher|lower)\b"
                         rf"|{NUM}-fold"),
    "orders of magnitude": re.compile(rf"(?:{NUM}|{WORD_NUMBER})\s*(?:orders? of magnitude|个?数量级)", re.IGNORECASE),
    "time": re.compile(rf"{NUM}\s*(?:ms|µs|μs|ns|s|sec|seconds?|minutes?|min|hours?|毫秒|微秒|秒|分钟|小时)(?![A-Za-z])"),
    "decimal number": re.compile(r"(?<![\d.])\d+\.\d+(?![\d.])"),
}
MATH_PATTERNS = {
    "approximate number (math)": re.compile(rf"(?:\\approx|\\simeq|\\sim|≈)\s*\{{?\s*[-−]?\s*\\?(?:{SCI}|{NUM})"),
    "power of ten (math)": re.compile(SCI),
    "percentage (math)": re.compile(rf"{NUM}\s*\\?%"),
    "decimal number (math)": re.compile(r"(?<![\d.])\d+\.\d+(?![\d.])"),
}
# Definitions: a decimal (or other flagged token) preceded or surrounded by these is allowed.
DEFINITION_BEFORE = re.compile(
    r"(?:\(|（|eqs?\.\s*\(?|equations?\s*\(?|式\s*\(?|公式\s*\(?|§\s*|sections?\s+|figures?\s+|fig\.\s*|tables?\s+"
    r"|algorithms?\s+|chapters?\s+|第\s*|图\s*|表\s*|节\s*|算法\s*"
    r"|python\s*[≥>=]*\s*|numpy\s*|pytorch\s*|torch\s*|mathjax\s*|mkdocs\s*|matplotlib\s*|cff\s*|version\s*|v)$",
    re.IGNORECASE)


def number_value(token: str) -> float | None:
    """The number a flagged token states (``2×10⁴`` -> 20000.0, ``1e-12``, ``0.02``), or None."""
    t = re.sub(r"[⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+", lambda m: "^" + m.group(0).translate(SUP), token)
    t = t.replace("−", "-").replace("\\times", "×").replace(",", "")
    t = re.sub(r"\s+", "", t)
    t = re.sub(r"^(?:≈|≃|∼|~|about|roughly|around|nearly|almost|approximately|some|约|大约|近|将近|\\approx"
               r"|\\simeq|\\sim)\{?", "", t, flags=re.IGNORECASE)
    m = re.fullmatch(r"(?:(\d+(?:\.\d+)?)[×x*])?10\^\{?([-+]?\d+)\}?", t)
    if m:
        return float(m.group(1) or 1) * 10.0 ** int(m.group(2))
    m = re.match(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", t)
    return float(m.group(0)) if m else None


def flagged(text: str, math: list[str]) -> list[tuple[str, str]]:
    """``(kind, token)`` for each result-like token of the prose and the math."""
    out = []
    for source, patterns in ((text, TEXT_PATTERNS), *((m, MATH_PATTERNS) for m in math)):
        taken: list[tuple[int, int]] = []
        for kind, pattern in patterns.items():
            for m in pattern.finditer(source):
                if any(a < m.end() and m.start() < b for a, b in taken):
                    continue                                   # already reported as a stronger kind
                before = source[max(0, m.start() - 20):m.start()]
                if kind.startswith("decimal number") and (DEFINITION_BEFORE.search(before)
                                                 or re.match(r"\.\d", source[m.end():m.end() + 2])
                                                 or re.match(r"[)）]", source[m.end():m.end() + 1])
                                                 and re.search(r"[(（]\s*$", before)):
                    continue                                   # (6.40), §6.5, Python 3.11, 2.13.0
                if kind.startswith("decimal number") and re.match(r"[\d]*[-–][\dA-Za-z]", source[m.end():m.end() + 3]):
                    continue                                   # ranges of section numbers 6.1–6.3
                if kind.startswith("approximate") and number_value(m.group(0)) in (0.0, 1.0):
                    continue                                   # "the gate ≈ 1": a limit, not a measurement
                if kind == "decimal number (math)" and len(m.group(0).replace(".", "").lstrip("0")) < 3:
                    continue                                   # α = 0.1, (1 + 0.01): parameters
                if kind == "decimal number (math)" and re.search(r"\\(?:tag|eqref|ref)\{[^}]*$", before):
                    continue
                taken.append((m.start(), m.end()))
                out.append((kind, m.group(0).strip()))
    return out


# --- what a page's demos define --------------------------------------------------------------

def page_demos(text: str) -> set[str]:
    """The demos a page shows: included outputs and inserted values."""
    return set(re.findall(r"docs/outputs/([\w-]+)\.txt", text)) | set(re.findall(r"value\(\s*[\"']([\w-]+)[\"']", text))


def _numbers(text: str) -> set[float]:
    vals = set()
    for m in re.finditer(rf"{SCI}|\d+(?:\.\d+)?", text):
        v = number_value(m.group(0))
        if v is not None:
            vals.add(v)
    return vals


def _literals(code: str) -> set[float]:
    """The numbers of ``code``'s numeric literals and of the numbers written in its strings."""
    literals: set[float] = set()
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        if tok.type == tokenize.NUMBER:
            try:
                literals.add(float(tok.string.replace("_", "")))
            except ValueError:
                pass
        elif tok.type == tokenize.STRING or tok.type == getattr(tokenize, "FSTRING_MIDDLE", -1):
            literals |= _numbers(tok.string)
    return literals


def _experiment_constants(code: str) -> str:
    """The module-level assignments of the modules of solutions/experiments/ that ``code`` imports
    (``from solutions.experiments import x``, ``from solutions.experiments.x import …``): the
    settings a demo shares with another demo or an experiment live there (issue 25 §2)."""
    import ast

    modules = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.ImportFrom) and node.module == "solutions.experiments":
            modules |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("solutions.experiments."):
            modules.add(node.module.split(".")[2])
    parts = []
    for name in sorted(modules):
        text = (ROOT / "solutions" / "experiments" / f"{name}.py").read_text(encoding="utf-8")
        parts += [ast.get_source_segment(text, node) for node in ast.parse(text).body
                  if isinstance(node, (ast.Assign, ast.AnnAssign))]
    return "\n".join(parts)


def demo_parameters(demo: str) -> set[float]:
    """Numbers that are literals of the demo's source (code or strings), or of the constants of the
    experiment modules it imports, and appear in its output."""
    source = ROOT / "solutions" / "demos" / f"{demo.replace('-', '_')}.py"
    if not source.exists():
        return set()
    code = source.read_text(encoding="utf-8")
    literals = _literals(code) | _literals(_experiment_constants(code))
    printed = ""
    for suffix in (".txt", ".values.json"):
        path = DOCS / "outputs" / f"{demo}{suffix}"
        if path.exists():
            printed += path.read_text(encoding="utf-8")
    return literals & _numbers(printed)


def allowlist() -> list[tuple[str, str]]:
    """``(page glob, token)`` pairs from tests/prose_numbers_allowlist.txt."""
    out = []
    for line in ALLOWLIST.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            parts = [p.strip() for p in line.split(" | ")]
            assert len(parts) == 3 and all(parts), f"allowlist line needs 'page glob | token | reason': {line!r}"
            out.append((parts[0], parts[1]))
    return out


def allows(entry: str, token: str) -> bool:
    """Whether allowlist ``entry`` covers the flagged ``token``: the entry must stand in it as a
    whole number, not inside a longer one (``1.2`` covers ``1.2`` and ``≈ 1.2``, not ``11.25``)."""
    return re.search(rf"(?<![\w.]){re.escape(entry)}(?![\w.])", token) is not None


README = "../README.md"  # the README follows the pages' rule too (issue 22); relative to docs/, like the pages


def pages() -> list[str]:
    return sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")
                  if not p.relative_to(DOCS).as_posix().startswith(GENERATED)) + [README]


def hand_typed_results(page: str) -> list[str]:
    text = (DOCS / page).read_text(encoding="utf-8")
    prose, math = prose_and_math(text)
    params = set().union(*(demo_parameters(d) for d in page_demos(text)))
    allowed = [tok for glob, tok in allowlist() if fnmatch.fnmatch(page, glob)]
    found = []
    for kind, token in flagged(prose, math):
        if any(allows(a, token) for a in allowed):
            continue
        value = number_value(token)
        if value is not None and value in params:
            continue
        found.append(f"{kind}: {token!r}")
    return found


@pytest.mark.parametrize("page", pages())
def test_prose_states_no_hand_typed_result(page: str) -> None:
    found = hand_typed_results(page)
    assert not found, (f"{(DOCS / page).resolve().relative_to(ROOT)} states {len(found)} number(s) in prose that no demo produced; insert "
                       f"{{{{ value(\"demo\", \"key\") }}}} (a demo returns it via report.Result), write the "
                       f"expression itself, or, for a definition, add it to {ALLOWLIST.name} with the reason:\n  "
                       + "\n  ".join(found))


@pytest.mark.parametrize(("text", "expected"), [
    ("the loss falls to 1.118 within ten steps", ["decimal number: '1.118'"]),
    ("eqs. (6.39)–(6.41) and §6.5, Python ≥ 3.11, PyTorch 2.13.0", []),
    ("grows like 2×10⁴ and vanishes as 10⁻⁴⁸", ["scientific notation: '2×10⁴'", "scientific notation: '10⁻⁴⁸'"]),
    ("at T ≈ 646, two orders of magnitude, 20% of it, 100× faster, in 3 s",
     ["approximate number: '≈ 646'", "percentage: '20%'", "factor: '100×'",
      "orders of magnitude: 'two orders of magnitude'", "time: '3 s'"]),
    ("梯度约 646，增大两个数量级，快 3 倍", ["approximate number: '约 646'", "factor: '3 倍'",
                                   "orders of magnitude: '两个数量级'"]),
    (r"\((1 + 0.01)^{1000}\) is the expression; \(\|g\| \approx 4\times 10^{17}\)",
     [r"approximate number (math): '\\approx 4\\times 10^{17}'"]),
    ("`0.5` in code, ![a ratio of 0.25](figures/x.svg), {{ value(\"d\", \"k\") }}", ["decimal number: '0.25'"]),
])
def test_the_rule_on_examples(text: str, expected: list[str]) -> None:
    prose, math = prose_and_math(text)
    assert sorted(f"{k}: {t!r}" for k, t in flagged(prose, math)) == sorted(expected)


@pytest.mark.parametrize(("entry", "token", "expected"), [
    ("1.2", "1.2", True), ("1.2", "≈ 1.2", True), ("1.2", "11.25", False), ("1.2", "1.25", False),
    ("1.2", "21.2", False), ("10^{-4}", "10^{-4}", True), ("10^{-4}", "10^{-48}", False), ("20%", "120%", False),
])
def test_allowlist_entries_match_whole_numbers_only(entry: str, token: str, expected: bool) -> None:
    assert allows(entry, token) is expected


def test_every_inserted_value_is_stored() -> None:
    """Each ``{{ value("demo", "key") }}`` names a stored value (the build fails otherwise; this says which)."""
    import json

    missing = []
    for page in pages():
        if page == README:
            continue                     # it explains the macro, with a placeholder demo and key
        for demo, key in re.findall(r"value\(\s*[\"']([\w-]+)[\"']\s*,\s*[\"']([^\"']+)[\"']\s*\)",
                                    (DOCS / page).read_text(encoding="utf-8")):
            path = DOCS / "outputs" / f"{demo}.values.json"
            if not path.exists() or key not in json.loads(path.read_text(encoding="utf-8")):
                missing.append(f"docs/{page}: value({demo!r}, {key!r})")
    assert not missing, "values that no demo stored:\n  " + "\n  ".join(missing)
