"""Time to math and cold-page bytes on a simulated phone (issue 23 §1). Not a test: a measurement.

Serves a built site on 127.0.0.1 and opens each page in Debian's Chromium at 390×844 with a
cold cache (a new browser context per page) and the CPU slowed 4× through DevTools
(``Emulation.setCPUThrottlingRate``). For each page it prints

* ``math ms``: milliseconds from navigation start to the first frame in which every math element
  (``.md-content .arithmatex``) holds its typeset ``mjx-container`` with its svg, every one the
  browser draws is laid out (has a width), and MathJax, if the page loads it, has finished; the
  median of ``--runs`` runs. A formula in a block the browser skips while off screen
  (content-visibility: auto) or in a closed ``<details>`` counts once typeset: the browser lays it
  out when the reader nears it. (Until session 3 the watcher asked for the geometry of every
  formula, which made the browser lay out every skipped block at once: about a second of the LSTM
  page's main thread at 4x that a reader's browser never spends, counted in math ms and CPU ms.)
* ``reach ms``: what that leaves to the reader: after the page has shown its math, the page jumps
  to each skipped formula in turn (as an anchor link does); the longest wait, in ms, from the jump
  to the end of the frame after the one that stopped skipping it (``skipped``: how many);
* ``CPU ms``: the CPU time the page's main thread spent until then, from Chromium's trace (the
  throttling does not count in it, and a busy machine inflates it far less than the wall time:
  the number to compare when the load average is above the 2 cores);
* ``gzip kB``: the gzip size (level 6, as a static host sends it) of every resource the page
  loaded, summed; and the number of requests;
* ``load``: the machine's 1-minute load average after the page's runs.

Usage (from the repository root)::

    python -m mkdocs build --strict -d /tmp/site
    python tests/tools/phone_timing.py /tmp/site lstm/ gru/ residual/ bptt/ zh/lstm/
    python tests/tools/phone_timing.py /tmp/site --before /tmp/site-old   # the two builds in turn

The numbers depend on the machine and on how busy it is: compare two builds with ``--before``,
which loads each page from the two builds in turn, so that both see the same load, and ends
with the before → after table for the closing note (``make phone`` builds the last commit that
typeset math in the browser for ``--before``).
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import os
import statistics
import threading

HEAVIEST = ["lstm/", "gru/", "residual/", "bptt/", "zh/lstm/"]

# Runs before the page's own scripts: records the time of the first animation frame in which
# every math element is typeset and every one the browser draws is laid out. A top-level block that
# the browser skips while it is off screen (content-visibility: auto, docs/stylesheets/extra.css) is
# laid out only when the reader nears it: asking for the geometry of a formula inside it would make
# the browser lay it out now, work that the reader's browser does not do (on the LSTM page about a
# second of the main thread at 4x, two fifths of the total). Such a formula counts once it is typeset
# (its svg is in the page and no script is pending); REACH_MATH then measures what the reader waits
# when they get to it.
WATCH_MATH = """(() => {
  function done() {
    if (document.readyState === 'loading') return false;  // not a query per frame while parsing
    const items = document.querySelectorAll('.md-content .arithmatex');
    if (!items.length) return false;
    for (const el of items) {
      const c = el.querySelector('mjx-container');
      if (!c || !c.querySelector('svg')) return false;
      // skipped off screen, or inside a closed <details>: not drawn, nothing to lay out
      if (!el.checkVisibility({contentVisibilityAuto: true})) continue;
      if (!c.getBoundingClientRect().width) return false;
    }
    return !(window.MathJax && MathJax.startup && !window.__mjxDone);
  }
  function tick() {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise && !window.__mjxHooked) {
      window.__mjxHooked = true;
      MathJax.startup.promise.then(() => { window.__mjxDone = true; });
    }
    if (done()) { window.__mathMs = performance.now(); return; }
    requestAnimationFrame(tick);
  }
  requestAnimationFrame(tick);
})();"""

# After WATCH_MATH: the reader jumps to each formula that was skipped off screen (scrollIntoView,
# as an anchor link does). Milliseconds from the jump to the end of the first frame after the one in
# which the browser stopped skipping it (then it is drawn): the longest of these, and the count.
REACH_MATH = """async () => {
  const frame = () => new Promise(r => requestAnimationFrame(() => r()));
  const skipped = [...document.querySelectorAll('.md-content .arithmatex')]
    .filter(el => !el.closest('details:not([open])') && !el.checkVisibility({contentVisibilityAuto: true}));
  let worst = 0;
  for (const el of skipped) {
    const t0 = performance.now();
    el.scrollIntoView({block: 'center'});
    for (let i = 0; i < 10 && !el.checkVisibility({contentVisibilityAuto: true}); i++) await frame();
    await frame();
    worst = Math.max(worst, performance.now() - t0);
  }
  return [worst, skipped.length];
}"""


def serve(site: str) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=site))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def main_thread_ms(trace: bytes, url: str, ms: float) -> float:
    """Milliseconds of CPU (thread time, which the DevTools throttling does not count: the page's own
    work on the renderer's main thread, whatever else the machine is doing) that the page's main
    thread spent from its navigation start until ``ms`` later."""
    events = json.loads(trace)["traceEvents"]
    start = next((e for e in events if e.get("name") == "navigationStart"
                  and e.get("args", {}).get("data", {}).get("documentLoaderURL") == url), None)
    if start is None:
        raise RuntimeError(f"no navigationStart of {url} in the trace")
    thread, t0 = (start["pid"], start["tid"]), start["ts"]
    t1 = t0 + ms * 1000
    tasks = sorted((e for e in events if e.get("name") == "ThreadControllerImpl::RunTask" and e.get("ph") == "X"
                    and (e["pid"], e["tid"]) == thread and "tdur" in e), key=lambda e: e["ts"])
    cpu, reached = 0.0, t0
    for e in tasks:  # top-level tasks only (a nested one lies inside the one before it)
        if e["ts"] < reached or e["ts"] >= t1:
            continue
        inside = min(e["ts"] + e["dur"], t1) - e["ts"]
        cpu += e["tdur"] * inside / e["dur"] if e["dur"] else 0
        reached = e["ts"] + e["dur"]
    return cpu / 1000


def measure(browser, base: str, url: str) -> dict[str, float]:
    """One cold load of ``url``: ms until every equation is typeset, the main thread's CPU ms
    until then, gzip bytes loaded, requests, and the machine's load average meanwhile."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=3,
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(300_000)  # a loaded machine is slow
    cdp = context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    page.add_init_script(WATCH_MATH)
    sizes: dict[str, int] = {}

    def record(response) -> None:
        try:
            sizes[response.url] = len(gzip.compress(response.body(), 6))
        except Exception:  # a redirect or an aborted request has no body
            pass

    page.on("response", record)
    browser.start_tracing(page=page, categories=["toplevel", "blink.user_timing"])
    page.goto(base + url, wait_until="load")
    page.wait_for_function("() => window.__mathMs !== undefined", timeout=300_000)
    ms = page.evaluate("() => window.__mathMs")
    trace = browser.stop_tracing()
    reach, skipped = page.evaluate(REACH_MATH)
    page.wait_for_timeout(1500)  # whatever the page loads after the load event counts too
    context.close()
    return {"ms": ms, "cpu": main_thread_ms(trace, base + url, ms), "bytes": sum(sizes.values()),
            "requests": len(sizes), "load": os.getloadavg()[0], "reach": reach, "skipped": skipped}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("site", help="a built site (mkdocs build -d DIR)")
    parser.add_argument("pages", nargs="*", default=HEAVIEST, help="site-relative URLs (default: the five heaviest)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", help="another build to measure in turn with SITE (e.g. of the previous commit)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    sites = {"before": args.before, "after": args.site} if args.before else {"": args.site}
    servers = {name: serve(path) for name, path in sites.items()}
    rows: dict[str, dict[str, dict[str, float]]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--headless", "--no-sandbox", "--disable-gpu"])
        print(f"load average at start {os.getloadavg()[0]:.1f} (2 cores: wall times above ~2 are inflated)")
        print(f"{'page':<12} {'build':<7} {'math ms':>8} {'CPU ms':>8} {'gzip kB':>8} {'requests':>8} {'load':>5} {'reach ms':>8} {'skipped':>7}")
        for url in args.pages:
            runs: dict[str, list] = {name: [] for name in sites}
            for _ in range(args.runs):
                for name, (_, base) in servers.items():
                    runs[name].append(measure(browser, base, url))
            for name, r in runs.items():
                row = {k: statistics.median(x[k] for x in r) for k in ("ms", "cpu", "load", "reach")}
                row.update(bytes=r[0]["bytes"], requests=r[0]["requests"], skipped=r[0]["skipped"])
                rows.setdefault(url, {})[name] = row
                print(f"{url:<12} {name:<7} {row['ms']:8.0f} {row['cpu']:8.0f} {row['bytes'] / 1000:8.0f} "
                      f"{row['requests']:8d} {row['load']:5.1f} {row['reach']:8.0f} {row['skipped']:7d}", flush=True)
        browser.close()
    for server, _ in servers.values():
        server.shutdown()
    if args.before:
        print("\nFor the closing note (median of %d cold loads; 390 px, CPU 4x slower; load = 1-min average):" % args.runs)
        print("| page | gzip kB | ms to all math | main-thread CPU ms | load |")
        print("|---|---|---|---|---|")
        for url, r in rows.items():
            b, a = r["before"], r["after"]
            print(f"| {url.rstrip('/')} | {b['bytes'] / 1000:.0f} → {a['bytes'] / 1000:.0f} | {b['ms']:.0f} → {a['ms']:.0f} "
                  f"| {b['cpu']:.0f} → {a['cpu']:.0f} | {b['load']:.1f}, {a['load']:.1f} |")


if __name__ == "__main__":
    main()
