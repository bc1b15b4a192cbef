"""report.html in a real browser: headless Chromium renders its tables and images, with no console errors.

Chromium is driven over ``--remote-debugging-pipe`` (the DevTools protocol as
NUL-terminated JSON on file descriptors 3 and 4), so the test needs no Python
package beyond the standard library and opens no network port. Locally the test
is skipped when Chromium is absent; with CI=true that is a failure instead
(.ci/setup.d/chromium.sh installs it).
"""
from __future__ import annotations

import base64
import io
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image  # installed with matplotlib
from test_plot import DATA_IDS, TASKS, TEN, run_plot, write_workspace

pytestmark = pytest.mark.browser

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-quic", "--disable-dev-shm-usage",
         "--disable-extensions", "--mute-audio", "--hide-scrollbars", "--remote-debugging-pipe")
TIMEOUT_S = 60


def find_chromium() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
    return None


@pytest.fixture(scope="module")
def chromium() -> str:
    path = find_chromium()
    if path is None:
        reason = "headless Chromium not found (Debian: apt-get install chromium; or set CHROMIUM=/path)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI=true requires it (.ci/setup.d/chromium.sh installs it)")
        pytest.skip(reason)
    return path


class Browser:
    """A minimal DevTools-protocol client over the pipe: commands, replies, and the events seen so far."""

    def __init__(self, executable: str, profile: Path):
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire_fds() -> None:  # runs in the child before exec: Chromium reads fd 3 and writes fd 4
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        env = {**os.environ, "HOME": str(profile)}
        env.pop("DISPLAY", None)
        self.process = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={profile / 'chromium-profile'}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(profile / "chromium.log", "wb"),
            preexec_fn=wire_fds, pass_fds=(3, 4), env=env)
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def wait_for(self, method: str, since: int = 0) -> dict:
        """The first ``method`` event after the first ``since`` events seen."""
        seen = next((e for e in self.events[since:] if e.get("method") == method), None)
        while seen is None:
            message = self._read()
            seen = message if message.get("method") == method else None
        return seen

    def _read(self) -> dict:
        deadline = time.monotonic() + TIMEOUT_S
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_child], [], [], max(0.0, left))
            if not ready:
                raise TimeoutError(f"Chromium did not answer within {TIMEOUT_S} s")
            chunk = os.read(self._from_child, 1 << 20)
            if not chunk:
                raise RuntimeError(f"Chromium closed the pipe (exit code {self.process.poll()})")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message = json.loads(raw)
        if "method" in message:
            self.events.append(message)
        return message

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (OSError, RuntimeError, TimeoutError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._to_child, self._from_child):
            os.close(fd)


PAGE_FACTS = """JSON.stringify({
  url: location.href,
  title: document.title,
  tables: Object.fromEntries([...document.querySelectorAll('table')].map(
      t => [t.id, {rows: t.tBodies[0].rows.length, height: t.getBoundingClientRect().height}])),
  images: [...document.images].map(i => ({alt: i.alt, complete: i.complete, width: i.naturalWidth,
                                          shown: i.getBoundingClientRect().width})),
  overflowX: document.documentElement.scrollWidth > window.innerWidth,
  height: document.documentElement.scrollHeight,
  scrollers: [...document.querySelectorAll('.scroll')].map(d => ({
      table: d.querySelector('table').id, scroll: d.scrollWidth, client: d.clientWidth})),
  emptyColumns: [...document.querySelectorAll('table')].flatMap(t => {
      const columns = {};
      for (const row of t.tBodies[0].rows) {
        let at = 0;
        for (const cell of row.cells) {
          if (cell.colSpan === 1 && getComputedStyle(cell).display !== 'none')
            (columns[at] ??= []).push(cell.textContent.trim());
          at += cell.colSpan;
        }
      }
      return Object.entries(columns).filter(([, texts]) => texts.every(x => x === '—' || x === ''))
          .map(([k]) => t.id + ': ' + t.tHead.rows[0].cells[k].textContent);
  }),
  minorShown: [...document.querySelectorAll('.minor')].filter(c => getComputedStyle(c).display !== 'none').length,
  minor: document.querySelectorAll('.minor').length
})"""


def open_report(executable: str, report: Path, workdir: Path, width: int = 1280) -> tuple[dict, bytes, list[dict]]:
    """Load the page; return (facts measured in the page, full-page PNG screenshot, protocol events)."""
    browser = Browser(executable, workdir)
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.send(f"{domain}.enable", session=session)
        browser.send("Emulation.setDeviceMetricsOverride",
                     {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=session)
        before = len(browser.events)  # a late load event of about:blank must not count
        browser.send("Page.navigate", {"url": report.resolve().as_uri()}, session=session)
        browser.wait_for("Page.loadEventFired", since=before)
        facts = json.loads(browser.send("Runtime.evaluate", {"expression": PAGE_FACTS, "returnByValue": True},
                                        session=session)["result"]["value"])
        shot = browser.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": facts["height"], "scale": 1}}, session=session)
        return facts, base64.b64decode(shot["data"]), list(browser.events)
    finally:
        browser.close()


def problems(events: list[dict], report: Path) -> list[str]:
    """Console errors, uncaught exceptions, failed loads and any request leaving the page itself."""
    found = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            found.append(f"console.{params['type']}: {params.get('args')}")
        elif method == "Runtime.exceptionThrown":
            found.append(f"exception: {params.get('exceptionDetails', {}).get('text')}")
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            found.append(f"log: {params['entry'].get('text')} {params['entry'].get('url', '')}")
        elif method == "Network.loadingFailed":
            found.append(f"failed load: {params.get('errorText')}")
        elif method == "Network.requestWillBeSent":
            url = params.get("request", {}).get("url", "")
            if not (url.startswith("data:") or url == report.resolve().as_uri()):
                found.append(f"request outside the page: {url[:100]}")
    return found


def test_report_renders_in_headless_chromium(tmp_path, chromium):
    paths = write_workspace(tmp_path)
    paths["params"].write_text("plot: {dpi: 120}\n")  # the default resolution, as users see it
    assert run_plot(paths) == 0
    report = paths["out"] / "report.html"
    facts, screenshot, events = open_report(chromium, report, tmp_path)
    (tmp_path / "report.png").write_bytes(screenshot)

    assert problems(events, report) == []
    assert facts["url"] == report.resolve().as_uri()
    assert facts["title"] == "DataPerf vision benchmarks: results"
    n_debugging = len(TEN) + 1  # ten methods and one stray file
    expected_rows = {"selection-leaderboard": len(TEN), "selection-metrics": len(TEN) * len(TASKS),
                     "debugging-leaderboard": n_debugging, "debugging-data": len(DATA_IDS),
                     "debugging-metrics": len(TEN) * len(DATA_IDS), "errors": 3}
    assert {k: v["rows"] for k, v in facts["tables"].items()} == expected_rows
    assert all(v["height"] > 40 for v in facts["tables"].values())  # laid out, not collapsed
    assert len(facts["images"]) == 2 + len(DATA_IDS)
    for image in facts["images"]:
        assert image["complete"] and image["width"] > 300 and image["shown"] > 300, image
    assert not facts["overflowX"]  # wide tables scroll inside their box, not the page
    assert screenshot[:8] == b"\x89PNG\r\n\x1a\n" and len(screenshot) > 50_000
    pixels = np.asarray(Image.open(io.BytesIO(screenshot)).convert("RGB"))
    assert pixels.shape[1] == 1280 and pixels.shape[0] == facts["height"]
    assert tuple(pixels[20, 20]) == (0x16, 0x32, 0x4F)  # the header's colour: the stylesheet applied
    assert (pixels.min(axis=2) < 200).mean() > 0.05  # text, tables and figures, not a blank page


def test_only_invalid_report_renders_its_errors(tmp_path, chromium):
    paths = write_workspace(tmp_path, only_invalid=True)
    assert run_plot(paths) == 0
    report = paths["out"] / "report.html"
    facts, _, events = open_report(chromium, report, tmp_path, width=800)
    assert problems(events, report) == []
    results = yaml.safe_load((paths["results"] / "debugging" / "results.yaml").read_text())
    n_errors = len(TEN) * len(TASKS) + sum(len(s["errors"]) for s in results["submissions"].values())
    assert facts["tables"]["errors"]["rows"] == n_errors
    assert facts["images"] == []


SHOTS_ENV = "REPORT_SCREENSHOTS"  # a folder: the demo report's screenshots are copied there to look at


@pytest.mark.parametrize("width", [1400, 390])
def test_demo_report_at_desktop_and_phone_widths(demo_run, tmp_path, chromium, width):
    """The demo report as a person opens it: every table fits (neither the page nor a table's own box scrolls
    sideways), at 1,400 px with every column, at 390 px with the minor columns folded away; every figure
    loaded and shown; no column that is empty in every row."""
    report = demo_run["workspace"] / "plots" / "report.html"
    facts, screenshot, events = open_report(chromium, report, tmp_path, width=width)
    shot = tmp_path / f"report-{width}.png"
    shot.write_bytes(screenshot)
    if os.environ.get(SHOTS_ENV):
        shutil.copy(shot, Path(os.environ[SHOTS_ENV]) / shot.name)
    assert problems(events, report) == []
    assert not facts["overflowX"]
    assert len(facts["images"]) == len(list(report.parent.glob("*.png")))  # every figure plot wrote
    for image in facts["images"]:
        assert image["complete"] and image["width"] > 300 and 0 < image["shown"] <= width, image
    assert facts["emptyColumns"] == []
    assert facts["minor"] > 10
    too_wide = [s for s in facts["scrollers"] if s["scroll"] > s["client"]
                and (width >= 1400 or not s["table"].startswith("analysis-"))]
    # every table fits its column: nothing to scroll sideways (at 390 px the analysis section's tables,
    # which have no minor columns yet, still scroll inside their own box; the page itself never does)
    assert too_wide == [], too_wide
    assert facts["minorShown"] == (facts["minor"] if width >= 1400 else 0)
    pixels = np.asarray(Image.open(io.BytesIO(screenshot)).convert("RGB"))
    assert pixels.shape[1] == width and pixels.shape[0] == facts["height"]
