#!/usr/bin/env python3
"""The HTML report in a real browser: Debian's headless chromium through chromium-driver and
python3-selenium (no browser is downloaded).

  browser_test.py --racesim BIN --config CFG --work DIR [--expect KIND:N ...] [--slider SCENARIO]
                  [--unsupported SCENARIO ...] [--expect-date-column] [--expect-conditioning]
  browser_test.py --racesim BIN --work DIR --every-config CFG...
  browser_test.py --self-check --work DIR

Runs `racesim run CFG` and `racesim report` into DIR, opens DIR/report.html from file:// and
checks that the page loads with no console message of level warning or error and no request to
anything but file: and data: URLs (every request is recorded through the DevTools performance
log, and blocked: the browser also has a proxy on 127.0.0.1:9 and a host resolver that resolves
nothing, so nothing can leave the machine); that every chart ([data-chart]) is drawn: a canvas
with at least 100 coloured pixels, or an SVG with bars; that each --expect KIND occurs at least
N times; that each --unsupported scenario is listed as "recorded results only"; with --slider, that
moving the gamma and P0 sliders of that scenario from the keyboard
changes the displayed time to target to the value the C++ reference gives (racesim run at the
new values) to 1e-9; with --expect-conditioning, that the time-to-target table marks exactly the
targets `racesim run` warned about as ill-conditioned for the tolerance. Writes DIR/report.png (the whole page) for a person to look at.

--self-check proves the checks can fail: a page with a request to a network address and a
console error must be flagged on both counts.
"""
import argparse
import json
import os
import subprocess
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

FAILURES = []


def fail(msg):
    FAILURES.append(msg)
    print("FAIL:", msg, flush=True)


def browser(width=1280, height=1000):
    o = webdriver.ChromeOptions()
    o.binary_location = os.environ.get("RACESIM_CHROMIUM", "/usr/bin/chromium")
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              f"--window-size={width},{height}", "--hide-scrollbars", "--force-device-scale-factor=1",
              "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
              "--host-resolver-rules=MAP * ~NOTFOUND", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
              "--disable-features=Translate,OptimizationHints,MediaRouter"]:
        o.add_argument(a)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    d = webdriver.Chrome(service=Service(os.environ.get("RACESIM_CHROMEDRIVER", "/usr/bin/chromedriver")), options=o)
    d.execute_cdp_cmd("Network.enable", {})
    # Any URL with a host is blocked inside the browser, before a socket is opened.
    d.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["http://*", "https://*", "ws://*", "wss://*", "ftp://*"]})
    return d


def check_log(d):
    """Returns (network requests, console messages) since the last call."""
    requests, console = [], []
    for e in d.get_log("performance"):
        m = json.loads(e["message"])["message"]
        if m["method"] == "Network.requestWillBeSent":
            url = m["params"]["request"]["url"]
            if not (url.startswith("file:") or url.startswith("data:") or url.startswith("about:")):
                requests.append(url)
    for e in d.get_log("browser"):
        if e["level"] in ("WARNING", "SEVERE"):
            console.append(f'{e["level"]}: {e["message"]}')
    return requests, console


def load(d, path):
    d.get("file://" + os.path.abspath(path))
    for _ in range(100):
        if d.execute_script("return document.body && document.body.dataset.ready === 'true'"):
            return True
        time.sleep(0.1)
    return False


CHART_PIXELS = """
const out = [];
for (const el of document.querySelectorAll('[data-chart]')) {
  const kind = el.dataset.chart;
  let coloured = 0, bars = 0, what = 'none';
  const svg = el.tagName.toLowerCase() === 'svg' ? el : el.querySelector('svg');
  const canvas = el.tagName.toLowerCase() === 'canvas' ? el : el.querySelector('canvas');
  if (svg) { what = 'svg'; bars = [...svg.querySelectorAll('rect')].filter(r => r.getBBox().width > 0.5).length; }
  if (canvas && canvas.width > 0 && canvas.height > 0) {
    what = 'canvas';
    const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 0; i < px.length; i += 4) {
      const r = px[i], g = px[i + 1], b = px[i + 2], a = px[i + 3];
      if (a > 128 && Math.max(r, g, b) - Math.min(r, g, b) > 60) coloured++;
    }
  }
  out.push({kind, what, coloured, bars});
}
return out;
"""


def check_charts(d, expect):
    charts = d.execute_script(CHART_PIXELS)
    counts = {}
    for c in charts:
        counts[c["kind"]] = counts.get(c["kind"], 0) + 1
        if c["what"] == "svg" and c["bars"] < 1:
            fail(f"chart {c['kind']}: SVG without bars")
        elif c["what"] == "canvas" and c["coloured"] < 100:
            fail(f"chart {c['kind']}: canvas with only {c['coloured']} coloured pixels (not drawn)")
        elif c["what"] == "none":
            fail(f"chart {c['kind']}: no canvas or SVG")
    for e in expect:
        kind, n = e.split(":")
        if counts.get(kind, 0) < int(n):
            fail(f"expected at least {n} chart(s) '{kind}', found {counts.get(kind, 0)}")
    print("charts:", ", ".join(f"{k} x{v}" for k, v in sorted(counts.items())), flush=True)
    return charts


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}{r.stderr}")
    return r


def reference_time(racesim, work, summary, name, changes):
    """The C++ reference's time to the first target of `name` with `changes` ({path: value})."""
    sc = next(s for s in summary["resolved_config"]["scenarios"] if s["name"] == name)
    sc = json.loads(json.dumps(sc))
    for path, v in changes.items():
        block, key = path.split(".")
        sc[block][key] = v
    sc.pop("solve", None)
    cfg = {"racesim": 1, "name": "slider-check", "horizon": sc["horizon"], "scenarios": [sc]}
    path = os.path.join(work, "slider-check.yaml")
    with open(path, "w") as f:
        json.dump(cfg, f)
    out = os.path.join(work, "slider-check")
    run([racesim, "-q", "run", path, "--out", out, "--force"])
    with open(os.path.join(out, "summary.json")) as f:
        return json.load(f)["scenarios"][0]["targets"][0]["reference_time"]


def slider_check(d, racesim, work, summary, name):
    Select(d.find_element(By.CSS_SELECTOR, "#whatif select")).select_by_visible_text(name)
    before = d.find_element(By.ID, "whatif-time-0").get_attribute("data-value")
    d.find_element(By.ID, "whatif-gamma").send_keys(*([Keys.ARROW_RIGHT] * 25))
    d.find_element(By.ID, "whatif-P0").send_keys(*([Keys.ARROW_LEFT] * 30))
    gamma = float(d.find_element(By.ID, "whatif-gamma-value").get_attribute("data-value"))
    p0 = float(d.find_element(By.ID, "whatif-P0-value").get_attribute("data-value"))
    shown = d.find_element(By.ID, "whatif-time-0").get_attribute("data-value")
    text = d.find_element(By.ID, "whatif-time-0").text
    sc = next(s for s in summary["scenarios"] if s["name"] == name)
    print(f"slider: {name}: gamma {sc['efficiency']['gamma']} -> {gamma}, P0 {sc['power']['P0']} -> {p0}; "
          f"time {before} -> {shown} (shown as '{text}')", flush=True)
    if abs(gamma - sc["efficiency"]["gamma"] - 0.25) > 1e-9:
        fail(f"25 presses of the right arrow moved gamma from {sc['efficiency']['gamma']} to {gamma}, not by 0.25")
    if not (p0 < sc["power"]["P0"]):
        fail(f"the left arrow did not lower P0 ({sc['power']['P0']} -> {p0})")
    if not shown or shown == before:
        fail(f"moving the sliders did not change the displayed time to target ({before} -> {shown})")
        return
    want = reference_time(racesim, work, summary, name, {"efficiency.gamma": gamma, "power.P0": p0})
    err = abs(float(shown) / want - 1)
    print(f"slider: C++ reference time at the new values {want}; page {shown}; relative error {err:.2e}", flush=True)
    if not err <= 1e-9:
        fail(f"displayed time {shown} differs from the C++ reference's {want} (relative {err:.2e})")


def self_check(work):
    os.makedirs(work, exist_ok=True)
    page = os.path.join(work, "bad.html")
    with open(page, "w") as f:
        f.write('<!DOCTYPE html><html><body><img src="https://example.invalid/x.png">'
                '<script>console.error("a deliberate error"); document.body.dataset.ready = "true";</script>'
                '<div data-chart="empty"><canvas width="10" height="10"></canvas></div></body></html>')
    d = browser()
    try:
        load(d, page)
        time.sleep(0.5)
        requests, console = check_log(d)
        before = len(FAILURES)
        check_charts(d, ["empty:1"])
    finally:
        d.quit()
    ok = True
    if not any("example.invalid" in u for u in requests):
        print("FAIL: the request to https://example.invalid was not recorded", flush=True)
        ok = False
    if not any("deliberate error" in m for m in console):
        print("FAIL: the console error was not recorded", flush=True)
        ok = False
    if len(FAILURES) == before:
        print("FAIL: an empty canvas passed as a drawn chart", flush=True)
        ok = False
    FAILURES.clear()
    print("self-check:", "the checks catch a network request, a console error and an empty chart" if ok else "FAILED")
    return 0 if ok else 1


def every_config(racesim, work, configs):
    """Each config's report loads with no console message and no request, every chart drawn."""
    d = browser()
    try:
        for cfg in configs:
            name = os.path.splitext(os.path.basename(cfg))[0]
            out = os.path.join(work, name)
            run([racesim, "-q", "run", cfg, "--out", out, "--force"])
            run([racesim, "-q", "report", out])
            before = len(FAILURES)
            if not load(d, os.path.join(out, "report.html")):
                fail(f"{name}: the page did not finish drawing within 10 s")
            requests, console = check_log(d)
            for u in requests:
                fail(f"{name}: request to a network address: {u}")
            for m in console:
                fail(f"{name}: console: {m}")
            charts = check_charts(d, [])
            print(f"{name}: {len(charts)} charts, {os.path.getsize(os.path.join(out, 'report.html'))} bytes,",
                  "ok" if len(FAILURES) == before else "FAILED", flush=True)
    finally:
        d.quit()
    print(f"{len(configs)} configs" + (f", {len(FAILURES)} check(s) failed" if FAILURES else ": all checks passed"))
    return 1 if FAILURES else 0


def check_dates(d, summary):
    """The time-to-target table shows each reached target's calendar date (summary.json's
    `date`, start_year + time) in a 'date (year)' column."""
    heads = [e.text for e in d.find_elements(By.CSS_SELECTOR, "#targets th")]
    if not any(h.startswith("date (year)") for h in heads):
        fail(f"the time-to-target table has no date column (columns: {heads})")
        return
    col = next(i for i, h in enumerate(heads) if h.startswith("date (year)"))
    cells = [r.find_elements(By.CSS_SELECTOR, "td")[col].get_attribute("title") or
             r.find_elements(By.CSS_SELECTOR, "td")[col].text
             for r in d.find_elements(By.CSS_SELECTOR, "#targets tbody tr")]
    want = [t["date"] for s in summary["scenarios"] for t in s["targets"] if t.get("reached")]
    shown = [float(c) for c in cells if c not in ("", "–")]
    if not want or len(shown) != len(want) or any(abs(a - b) > 1e-9 * abs(b) for a, b in zip(shown, want)):
        fail(f"date column {shown} does not show summary.json's dates {want}")
    else:
        print(f"date column: {len(shown)} dates, as in summary.json", flush=True)


def check_conditioning(d, cli_stderr):
    """The time-to-target table marks (⚠ in its 'est. error' column) exactly the targets that
    `racesim run` warned about, and a note under it counts them."""
    warned = sorted(line.split("'")[1] for line in cli_stderr.splitlines()
                    if line.startswith("racesim: warning: scenario '") and "estimated relative error" in line)
    heads = [e.text for e in d.find_elements(By.CSS_SELECTOR, "#targets th")]
    if "est. error" not in heads or "condition" not in heads:
        fail(f"the time-to-target table has no condition and est. error columns (columns: {heads})")
        return
    col = heads.index("est. error")
    marked = sorted(r.find_elements(By.CSS_SELECTOR, "td")[0].text
                    for r in d.find_elements(By.CSS_SELECTOR, "#targets tbody tr")
                    if r.find_elements(By.CSS_SELECTOR, "td")[col].text.startswith("⚠"))
    if not warned or marked != warned:
        fail(f"the report marks {marked}, racesim run warned about {warned}")
    notes = d.find_elements(By.CSS_SELECTOR, "#targets-uncertain")
    if len(notes) != 1 or not notes[0].text.startswith(f"⚠ {len(warned)} time(s) to target"):
        fail(f"no note under the table counts the {len(warned)} uncertain times: {[n.text for n in notes]}")
    if not FAILURES:
        print(f"conditioning: the report marks {marked}, as racesim run warned", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--racesim")
    ap.add_argument("--config")
    ap.add_argument("--work", required=True)
    ap.add_argument("--expect", action="append", default=[])
    ap.add_argument("--slider")
    ap.add_argument("--unsupported", action="append", default=[],
                    help="a scenario the page must list as 'recorded results only'")
    ap.add_argument("--max-bytes", type=int)
    ap.add_argument("--expect-conditioning", action="store_true",
                    help="the targets racesim run warns about are marked in the time-to-target table")
    ap.add_argument("--expect-date-column", action="store_true",
                    help="the time-to-target table has a date column whose values are start_year + time")
    ap.add_argument("--self-check", action="store_true")
    ap.add_argument("--every-config", nargs="+", metavar="CONFIG",
                    help="only load the report of each CONFIG and check it (console, requests, charts)")
    a = ap.parse_args()
    if a.self_check:
        return self_check(a.work)
    if a.every_config:
        return every_config(a.racesim, a.work, a.every_config)
    os.makedirs(a.work, exist_ok=True)
    results = os.path.join(a.work, "results")
    ran = run([a.racesim, "-q", "run", a.config, "--out", results, "--force"])
    run([a.racesim, "-q", "report", results])
    report = os.path.join(results, "report.html")
    size = os.path.getsize(report)
    print(f"report: {report}, {size} bytes", flush=True)
    if a.max_bytes and size >= a.max_bytes:
        fail(f"the report is {size} bytes, not under {a.max_bytes}")
    with open(os.path.join(results, "summary.json")) as f:
        summary = json.load(f)
    d = browser()
    try:
        t0 = time.time()
        if not load(d, report):
            fail("the page did not finish drawing (document.body.dataset.ready) within 10 s")
        print(f"loaded in {time.time() - t0:.2f} s", flush=True)
        check_charts(d, a.expect)
        if a.expect_date_column:
            check_dates(d, summary)
        if a.expect_conditioning:
            check_conditioning(d, ran.stderr)
        if a.slider:
            slider_check(d, a.racesim, a.work, summary, a.slider)
        listed = [e.text for e in d.find_elements(By.CSS_SELECTOR, "#whatif-unsupported li")]
        for name in a.unsupported:
            if not any(t.startswith(f"{name}: recorded results only") for t in listed):
                fail(f"scenario {name} is not listed as 'recorded results only' (listed: {listed})")
        options = [e.text for e in d.find_elements(By.CSS_SELECTOR, "#whatif select option")]
        for name in a.unsupported:
            if name in options:
                fail(f"scenario {name} has what-if sliders, but the page has no closed form for it")
        if listed:
            print("recorded results only:", "; ".join(listed), flush=True)
        # Sorting from the keyboard: Enter on the first numeric header of the targets table.
        heads = d.find_elements(By.CSS_SELECTOR, "#targets th button.sort")
        if heads:
            th = heads[4]
            th.send_keys(Keys.ENTER)
            sort = d.execute_script("return arguments[0].parentElement.getAttribute('aria-sort')", th)
            if sort != "ascending":
                fail(f"Enter on a header did not sort the table (aria-sort {sort})")
        requests, console = check_log(d)
        for u in requests:
            fail(f"request to a network address: {u}")
        for m in console:
            fail(f"console: {m}")
        # The whole page, for a person to look at (from the top, nothing focused).
        d.execute_script("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
        h = d.execute_script("return Math.ceil(document.documentElement.scrollHeight)")
        d.set_window_size(1280, min(h + 20, 16000))
        time.sleep(0.3)
        png = os.path.join(a.work, "report.png")
        d.save_screenshot(png)
        print(f"screenshot: {png}", flush=True)
    finally:
        d.quit()
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed", flush=True)
        return 1
    print("all checks passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
