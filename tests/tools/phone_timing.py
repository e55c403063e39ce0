"""Time to math and cold-page bytes on a simulated phone (issue 23 §1). Not a test: a measurement.

Serves a built site on 127.0.0.1 and opens each page in Debian's Chromium at 390×844 with a
cold cache (a new browser context per page) and the CPU slowed 4× through DevTools
(``Emulation.setCPUThrottlingRate``). For each page it prints

* ``math ms``: milliseconds from navigation start to the first frame in which every math element
  (``.md-content .arithmatex``, those not hidden) holds its typeset ``mjx-container`` (and MathJax, if the page loads it, has
  finished), the median of ``--runs`` runs;
* ``gzip kB``: the gzip size (level 6, as a static host sends it) of every resource the page
  loaded, summed; and the number of requests.

Usage (from the repository root)::

    python -m mkdocs build --strict -d /tmp/site
    python tests/tools/phone_timing.py /tmp/site lstm/ gru/ residual/ bptt/ zh/lstm/
    python tests/tools/phone_timing.py /tmp/site --before /tmp/site-old   # the two builds in turn

The numbers depend on the machine and on how busy it is: compare two builds with ``--before``,
which loads each page from the two builds in turn, so that both see the same load.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import statistics
import threading

HEAVIEST = ["lstm/", "gru/", "residual/", "bptt/", "zh/lstm/"]

# Runs before the page's own scripts: records the time of the first animation frame in which
# every math element is typeset.
WATCH_MATH = """(() => {
  function done() {
    const items = document.querySelectorAll('.md-content .arithmatex');
    if (document.readyState === 'loading' || !items.length) return false;
    for (const el of items) {
      if (!el.getClientRects().length) continue;  // inside a closed <details>
      const c = el.querySelector('mjx-container');
      if (!c || !c.getBoundingClientRect().width) return false;
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


def serve(site: str) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=site))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def measure(browser, base: str, url: str) -> tuple[float, int, int]:
    """(ms until every equation is typeset, gzip bytes loaded, requests) for one cold load of ``url``."""
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
    page.goto(base + url, wait_until="load")
    page.wait_for_function("() => window.__mathMs !== undefined", timeout=300_000)
    ms = page.evaluate("() => window.__mathMs")
    page.wait_for_timeout(1500)  # whatever the page loads after the load event counts too
    context.close()
    return ms, sum(sizes.values()), len(sizes)


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
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--headless", "--no-sandbox", "--disable-gpu"])
        print(f"{'page':<12} {'build':<7} {'math ms':>8} {'gzip kB':>8} {'requests':>8}")
        for url in args.pages:
            runs: dict[str, list] = {name: [] for name in sites}
            for _ in range(args.runs):
                for name, (_, base) in servers.items():
                    runs[name].append(measure(browser, base, url))
            for name, r in runs.items():
                ms = statistics.median(x[0] for x in r)
                print(f"{url:<12} {name:<7} {ms:8.0f} {r[0][1] / 1000:8.0f} {r[0][2]:8d}", flush=True)
        browser.close()
    for server, _ in servers.values():
        server.shutdown()


if __name__ == "__main__":
    main()
