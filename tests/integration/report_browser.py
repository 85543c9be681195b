#!/usr/bin/env python3
"""tests/integration/report_browser.py — opens a run's report.html in a real headless Chromium
through chromedriver's WebDriver protocol (plain HTTP, so no client library) and checks it as a
person would use it: no console errors, every chart drawn with data (Chart.js's own state and the
canvas pixels), the device table's filters, sorting and crash links, the numbers against
devices.jsonl and summary.json read here. Writes a screenshot of the whole page.

  report_browser.py RUN_DIR [--shot FILE] [--expect crashes,broker,timelines] [--time-table]
  report_browser.py --floor PAGE   (tools/bench/report: only the load time of another page)

Prints one JSON line of what it measured (load_ms: navigation start to the page drawn; bytes;
with --time-table, table_ms: how long the table's filter, sort and a scroll took in the page).
Exits 1 if a check failed (itcheck), 2 if the browser could not be driven."""
import argparse
import base64
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from itcheck import check, finish  # noqa: E402


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class WebDriver:
    def __init__(self, base):
        self.base = base
        self.sid = None

    def call(self, method, path, body=None, timeout=120):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return json.loads(r.read() or b"{}").get("value")
        except urllib.error.HTTPError as e:
            raise RuntimeError("%s %s: %s" % (method, path, e.read().decode(errors="replace")[:400]))

    def s(self, method, path, body=None, timeout=120):
        return self.call(method, "/session/%s%s" % (self.sid, path), body, timeout)

    def js(self, script, *args):
        return self.s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def find(self, using, value):
        el = self.s("POST", "/element", {"using": using, "value": value})
        return next(iter(el.values()))

    def click(self, eid):
        self.s("POST", "/element/%s/click" % eid, {})

    def type(self, eid, text):
        self.s("POST", "/element/%s/value" % eid, {"text": text})

    def text(self, eid):
        return self.s("GET", "/element/%s/text" % eid)


CHARTS_JS = """
const out = [];
for (const cv of document.querySelectorAll('canvas')) {
  const c = Chart.getChart(cv);
  const r = {id: cv.id, chart: !!c, datasets: [], inked: 0, pixels: cv.width * cv.height};
  if (c) for (const d of c.data.datasets)
    r.datasets.push({label: d.label, points: d.data.length,
                     nonzero: d.data.filter((v) => (v !== null && typeof v === 'object' ? v.y : v) > 0).length});
  // What a person sees: pixels that are not the blank background.
  const px = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
  for (let i = 3; i < px.length; i += 16) if (px[i] > 0) r.inked++;
  out.push(r);
}
return out;
"""


def session(port, profile):
    caps = {"capabilities": {"alwaysMatch": {
        "browserName": "chrome",
        "goog:chromeOptions": {"binary": shutil.which("chromium") or "/usr/bin/chromium",
                               "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                                        "--disable-dev-shm-usage", "--window-size=1400,1000",
                                        "--user-data-dir=" + os.path.join(profile, "user")]},
        "goog:loggingPrefs": {"browser": "ALL"}}}}
    wd = WebDriver("http://127.0.0.1:%d" % port)
    for _ in range(100):
        try:
            if wd.call("GET", "/status", timeout=2).get("ready"):
                break
        except Exception:
            pass
        time.sleep(0.1)
    else:
        raise RuntimeError("chromedriver did not start")
    wd.sid = wd.call("POST", "/session", caps)["sessionId"]
    return wd


def start_driver(profile):
    port = free_port()
    log = open(os.path.join(profile, "chromedriver.log"), "w")
    drv = subprocess.Popen([shutil.which("chromedriver") or "/usr/bin/chromedriver", "--port=%d" % port,
                            "--allowed-ips=127.0.0.1"], stdout=log, stderr=subprocess.STDOUT)
    return port, drv, log


def stop_driver(drv, log, profile):
    drv.terminate()
    try:
        drv.wait(10)
    except subprocess.TimeoutExpired:
        drv.kill()
        drv.wait()
    log.close()
    shutil.rmtree(profile, ignore_errors=True)


@contextlib.contextmanager
def browser():
    """A WebDriver session on a chromedriver and Chromium of their own, stopped by their pid."""
    profile = tempfile.mkdtemp(prefix="espfleet-chromium-")
    port, drv, log = start_driver(profile)
    try:
        wd = session(port, profile)
        yield wd
        wd.s("DELETE", "")
    finally:
        stop_driver(drv, log, profile)


def floor_load(page, timeout):
    with browser() as wd:
        wd.s("POST", "/url", {"url": "file://" + os.path.abspath(page)}, timeout=timeout)
        ms = wd.js("return performance.getEntriesByType('navigation')[0].loadEventEnd")
    print(json.dumps({"load_ms": ms, "bytes": os.path.getsize(page)}))
    return 0


TABLE_JS = """
const t = {}, box = document.getElementById('f-crashed');
let t0 = performance.now();
box.checked = !box.checked; box.dispatchEvent(new Event('change'));
box.checked = !box.checked; box.dispatchEvent(new Event('change'));
t.filter_twice = performance.now() - t0;
const text = document.getElementById('f-text');
t0 = performance.now();
text.value = '100-5000'; text.dispatchEvent(new Event('input'));
text.value = ''; text.dispatchEvent(new Event('input'));
t.id_range_twice = performance.now() - t0;
t0 = performance.now();
[...document.querySelectorAll('#table-head div')].find((d) => d.textContent === 'free min').click();
t.sort = performance.now() - t0;
const body = document.getElementById('table-body');
t0 = performance.now();
for (let i = 1; i <= 20; i++) { body.scrollTop = i * body.scrollHeight / 21; body.dispatchEvent(new Event('scroll')); }
t.scroll_20 = performance.now() - t0;
t.rows_rendered = document.querySelectorAll('#table-rows .trow').length;
return t;
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("--shot", help="screenshot file (default RUN/report.png)")
    ap.add_argument("--expect", default="", help="comma list: crashes, broker, timelines")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--time-table", action="store_true", help="also time the table's filter, sort and scroll")
    ap.add_argument("--floor", action="store_true", help="RUN is a page: time its load only (to the load event)")
    a = ap.parse_args()
    try:
        if a.floor:
            return floor_load(a.run, a.timeout)
        with browser() as wd:
            result = check_page(wd, a)
    except RuntimeError as e:
        print("report_browser: WebDriver: %s" % e, file=sys.stderr)
        return 2
    print(json.dumps(result))
    finish()


def check_page(wd, a):
    run = os.path.abspath(a.run)
    page = os.path.join(run, "report.html")
    expect = set(x for x in a.expect.split(",") if x)
    devs = [json.loads(l) for l in open(os.path.join(run, "devices.jsonl")) if l.strip()]
    summary = json.load(open(os.path.join(run, "summary.json")))
    check(os.path.isfile(page), "report.html exists")

    result = {"bytes": os.path.getsize(page)}
    wd.s("POST", "/url", {"url": "file://" + page}, timeout=a.timeout)
    deadline = time.time() + a.timeout
    while wd.js("return document.body.dataset.ready || ''") != "yes":
        if time.time() > deadline:
            check(False, "the page says it is drawn within %.0f s" % a.timeout)
            break
        time.sleep(0.1)
    result["load_ms"] = wd.js(
        "const m = performance.getEntriesByName('espfleet-ready'); return m.length ? m[0].startTime : null")

    logs = wd.s("POST", "/se/log", {"type": "browser"}) or []
    errors = [e["message"] for e in logs if e.get("level") == "SEVERE"]
    result["console_errors"] = errors
    check(not errors, "no console errors: %s" % errors[:5])

    charts = wd.js(CHARTS_JS)
    result["charts"] = len(charts)
    want = {"chart-connected", "chart-handshake", "chart-first-connect", "chart-heap-free", "chart-heap-block",
            "chart-heap-frag"}
    got = {c["id"] for c in charts}
    check(want <= got, "the charts %s are on the page (got %s)" % (sorted(want), sorted(got)))
    for c in charts:
        check(c["chart"] and any(d["nonzero"] > 0 for d in c["datasets"]),
              "chart %s has data: %s" % (c["id"], c["datasets"]))
        check(c["inked"] > 0.01 * c["pixels"] / 4, "chart %s is drawn (%d of %d sampled pixels inked)" %
              (c["id"], c["inked"], c["pixels"] // 4))
    if "timelines" in expect:
        tl = [c for c in charts if c["id"].startswith("timeline-")]
        files = [f for f in os.listdir(os.path.join(run, "heap")) if f.endswith("-timeline.csv")]
        check(len(tl) == len(files) > 0, "one timeline chart per heap/*-timeline.csv (%d, %d)" % (len(tl), len(files)))
    conn = next((c for c in charts if c["id"] == "chart-connected"), None)
    if conn and "crashes" in expect:
        crash_ds = [d for d in conn["datasets"] if d["label"] == "crashes"]
        check(crash_ds and crash_ds[0]["nonzero"] > 0, "the connected-over-time chart marks crashes")
    if "broker" in expect:
        ev = wd.js("return [...document.querySelectorAll('#events li')].map((e) => e.textContent)")
        check(any("broker starts" in e for e in ev), "the broker's restarts are listed: %s" % ev[:4])
        drops = [d for d in conn["datasets"] if d["label"] == "drops"] if conn else []
        check(drops and drops[0]["nonzero"] > 0, "the connected-over-time chart shows the drops")

    # The device table, used as a person would: tick "crashed", type an id range, sort.
    count = wd.find("css selector", "#f-count")
    n = len(devs)
    check(wd.text(count) == "%s of %s devices" % (format(n, ","), format(n, ",")), "all devices listed at first: %s" % wd.text(count))
    crashed = sorted(d["id"] for d in devs if d["crashes"] > 0)
    wd.click(wd.find("css selector", "#f-crashed"))
    check(wd.text(count).startswith("%s of " % format(len(crashed), ",")),
          "'crashed' filter: %s, devices.jsonl has %d crashed" % (wd.text(count), len(crashed)))
    shown = [int(x) for x in wd.js("return [...document.querySelectorAll('#table-rows .trow')].map((r) => r.dataset.id)")]
    check(shown == crashed[:len(shown)] and len(shown) == min(len(crashed), len(shown)) and (shown or not crashed),
          "the rows shown are the crashed devices in id order: %s vs %s" % (shown[:8], crashed[:8]))
    if crashed:
        lo, hi = crashed[0], crashed[min(2, len(crashed) - 1)]
        box = wd.find("css selector", "#f-text")
        wd.type(box, "%d-%d" % (lo, hi))
        within = [i for i in crashed if lo <= i <= hi]
        check(wd.text(count).startswith("%s of " % format(len(within), ",")),
              "id range %d-%d and crashed: %s, expected %d" % (lo, hi, wd.text(count), len(within)))
        # A crash link in the table opens that crash's post-mortem and heap map.
        links = wd.js("return [...document.querySelectorAll('#table-rows a')].map((a) => a.getAttribute('href'))")
        if links:
            wd.click(wd.find("css selector", "#table-rows a"))
            # A <details> fires its toggle event (which draws the map) after the click: wait for it.
            for _ in range(30):
                opened = wd.js("const r = document.getElementById(arguments[0]); const d = r && r.querySelector('details');"
                               "return d ? {open: d.open, svg: !!d.querySelector('svg'), pre: d.querySelector('pre').textContent} : null",
                               links[0][1:])
                if opened and opened["svg"]:
                    break
                time.sleep(0.1)
            check(opened and opened["open"] and opened["svg"] and "reset reason" in opened["pre"],
                  "the crash link opens %s with its heap map and post-mortem" % links[0])
        elif "crashes" in expect:
            check(False, "a crashed device's row links to its crash")
        wd.s("POST", "/element/%s/clear" % box, {})
    wd.click(wd.find("css selector", "#f-crashed"))
    check(wd.text(count).startswith("%s of " % format(n, ",")), "filters cleared: %s" % wd.text(count))
    # Sorting: "free min" ascending puts the device with the lowest heap_free_min first.
    wd.click(wd.find("xpath", "//div[@id='table-head']/div[text()='free min']"))
    first = int(wd.js("return document.querySelector('#table-rows .trow').dataset.id"))
    lowest = min(devs, key=lambda d: (d["heap_free_min"], d["id"]))["id"]
    check(first == lowest, "sorted by free min: first row %d, devices.jsonl's lowest %d" % (first, lowest))
    # Tiles against summary.json.
    tiles = wd.js("return [...document.querySelectorAll('.tile')].map((t) => [t.querySelector('.k').textContent, t.querySelector('.v').textContent])")
    t = dict(tiles)
    check(t.get("devices") == format(summary["devices"], ","), "devices tile %s" % t.get("devices"))
    check(t.get("crashes") == format(summary["crashes"], ","), "crashes tile %s" % t.get("crashes"))
    if "crashes" in expect:
        check(summary["crashes"] > 0, "the run has crashes")
    groups = summary.get("groups", {})
    if len(groups) > 1:
        rows = wd.js("return [...document.querySelectorAll('#groups tr')].slice(1).map((r) => [r.cells[0].textContent, r.cells[1].textContent])")
        check(rows == [[k, format(v["devices"], ",")] for k, v in groups.items()],
              "the groups table lists %s: %s" % ({k: v["devices"] for k, v in groups.items()}, rows))
        options = wd.js("return [...document.querySelectorAll('#f-group option')].slice(1).map((o) => o.textContent)")
        check(sorted(o if o != "(default)" else "default" for o in options) == sorted(groups),
              "the group filter offers the groups: %s" % options)
    if a.time_table:  # after the checks: it leaves the table sorted
        result["table_ms"] = wd.js(TABLE_JS)
    # The whole page as a person sees it.
    height = wd.js("window.scrollTo(0, 0); return document.documentElement.scrollHeight")
    wd.s("POST", "/window/rect", {"width": 1400, "height": min(int(height) + 40, 16000)})
    time.sleep(0.3)
    png = base64.b64decode(wd.s("GET", "/screenshot"))
    shot = a.shot or os.path.join(run, "report.png")
    open(shot, "wb").write(png)
    check(png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20000, "screenshot written (%d bytes)" % len(png))
    result["screenshot"] = shot
    return result


if __name__ == "__main__":
    sys.exit(main())
