"""The app as a student meets it, timed in a real browser (headless Chromium), in one run.

Starts ``streamlit run app.py`` on a free port (runs and data in a temporary folder),
drives it with Playwright and the Debian chromium (never ``playwright install``), and
prints, side by side with the issue's targets:

- cold start: server process started -> first Design page drawn and idle
- page switch: sidebar click -> the other page drawn and idle, p50 / p95 over every page
  (the first visit to Train, which loads the images, is counted too)
- Train edit: a changed setting (Epochs) -> rerun finished, with the data preview on
- Start -> first progress (the bar shown; and the first counted iteration)
- refresh mid-run -> progress visible again
- training speed with the browser watching Train against the same browser on Design
  (iterations/s from the run's own metrics_iter.csv, the phases interleaved), and the
  server's CPU time per second per watching tab (one and three tabs): the process's CPU
  less its busiest thread's (the training), watching against the browser on Design

The machine is shared: the load average (os.getloadavg) is printed with every figure;
repeat the run when it is high.

    python3 bench/browser.py [--quick] [--phase-s 20] [--keep]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CNNVIZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [  # as tests/e2e/conftest.py
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TICK = os.sysconf("SC_CLK_TCK")
PROGRESS = '[data-testid="stProgress"]'
PAGES = ("Design", "Train", "Inspect", "Runs")
RECLICKS: list[str] = []  # sidebar clicks that started no script run within 15 s

# Records every change of Streamlit's script state with the page's clock, so a rerun's
# end is read exactly, without polling delays.
OBSERVE = """() => {
  if (window.__cv) return;
  window.__cv = [];
  const app = document.querySelector('[data-testid="stApp"]');
  const note = () => window.__cv.push([performance.now(),
      app.getAttribute('data-test-script-state')]);
  new MutationObserver(note).observe(app, {attributes: true,
      attributeFilter: ['data-test-script-state']});
  note();
}"""


def load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _stat_cpu_s(stat: Path) -> float:
    """utime + stime from a /proc ``stat`` file (a process's or one thread's), in seconds."""
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def cpu_s(pid: int) -> float:
    """utime + stime of one process (all its threads, ended ones too), in seconds."""
    try:
        return _stat_cpu_s(Path(f"/proc/{pid}/stat"))
    except OSError:
        return 0.0


def thread_cpu_s(pid: int) -> dict[int, float]:
    """utime + stime of each live thread of one process, in seconds, by thread id."""
    out = {}
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            out[int(task.name)] = _stat_cpu_s(task / "stat")
    return out


def busiest_cpu(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds of the busiest thread (the training's) between two readings."""
    return max((after[t] - before.get(t, 0.0) for t in after), default=0.0)


def descendants(pid: int) -> list[int]:
    kids: dict[int, list[int]] = {}
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                ppid = int((p / "stat").read_text().rsplit(")", 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(p.name))
    out, todo = [], [pid]
    while todo:
        for k in kids.get(todo.pop(), []):
            out.append(k)
            todo.append(k)
    return out


class Server:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)
        env["CNNVIZ_RUNS_DIR"] = str(base / "runs")
        env["CNNVIZ_DATA_DIR"] = str(base / "data")
        self.log = open(base / "streamlit.log", "wb")  # noqa: SIM115
        cmd = [
            sys.executable, "-m", "streamlit", "run", "app.py",
            "--server.port", str(self.port), "--server.headless", "true",
            "--browser.gatherUsageStats", "false",
        ]  # fmt: skip
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(
            cmd, cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = self.t0 + 180
        while not _healthy(self.url):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"streamlit did not start: see {base / 'streamlit.log'}")
            time.sleep(0.05)

    def cpu(self) -> float:
        return cpu_s(self.proc.pid)

    def threads(self) -> dict[int, float]:
        return thread_cpu_s(self.proc.pid)

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def settle(page, since: float, timeout_s: float = 400.0, quiet_ms: float = 400.0) -> float:
    """Seconds from ``since`` (page clock, ms) to the end of the last script run after it.

    Waits until the script has been idle for ``quiet_ms`` after at least one run began
    after ``since`` (a rerun that calls st.rerun counts as one run).
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        log, now = page.evaluate("() => [window.__cv, performance.now()]")
        after = [(t, s) for t, s in log if t >= since]
        started = any(s != "notRunning" for _, s in after)
        if started and after[-1][1] == "notRunning" and now - after[-1][0] >= quiet_ms:
            return (after[-1][0] - since) / 1000
        page.wait_for_timeout(50)
    tail = page.evaluate("() => window.__cv ? window.__cv.slice(-6) : null")
    raise TimeoutError(f"the script did not finish (states since {since:.0f}: {tail})")


def now_ms(page) -> float:
    return page.evaluate("() => performance.now()")


def open_page(ctx, url: str):
    page = ctx.new_page()
    page.set_default_timeout(400_000)
    page.goto(url, wait_until="commit", timeout=400_000)
    page.wait_for_selector('[data-testid="stApp"]')
    page.evaluate(OBSERVE)
    return page


def heading(page, title: str) -> None:
    page.locator("h1", has_text=title).first.wait_for(timeout=400_000)


def switch(page, title: str, *, live: bool = False) -> float:
    """Seconds from the click to the page drawn and idle; ``live``: a page whose live view
    reruns every second never idles, so the progress bar's appearance ends the wait.

    A quick page can go from "running" to "notRunning" in one browser task, so the script
    state never changes in the page: the new page's heading then stands for its run.
    """
    t = now_ms(page)
    link = page.locator('[data-testid="stSidebarNav"] a', has_text=title).first
    link.click()
    seen = None
    for _ in range(3):  # a click that reached no page (no run, no heading): click again, counted
        with contextlib.suppress(Exception):
            seen = page.wait_for_function(
                """([t, title]) => {
                  if ((window.__cv || []).some(([at, s]) => at >= t && s !== 'notRunning'))
                    return 'run';
                  const h = [...document.querySelectorAll('h1')].some(
                    (e) => e.textContent.trim().startsWith(title));
                  const st = document.querySelector('[data-testid="stApp"]')
                    .getAttribute('data-test-script-state');
                  return h && st === 'notRunning' ? performance.now() : false;
                }""",
                arg=[t, title], timeout=15_000,
            ).json_value()  # fmt: skip
            break
        RECLICKS.append(title)
        link.click()
    heading(page, title)
    if live:
        page.locator(PROGRESS).first.wait_for(timeout=400_000)
        return (now_ms(page) - t) / 1000
    if isinstance(seen, (int, float)):  # drawn without a visible "running" state
        return (seen - t) / 1000
    return settle(page, t)


def iteration(page) -> int | None:
    import re

    with contextlib.suppress(Exception):
        text = page.locator(PROGRESS).first.inner_text(timeout=2000)
        m = re.search(r"iteration ([\d,]+)/", text)
        if m:
            return int(m.group(1).replace(",", ""))
    return None


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))]


def row(name: str, value: str, target: str, note: str = "") -> None:
    print(f"  {name:<44} {value:>14}   target {target:<10} {note}")


def iter_rows(runs: Path) -> list[tuple[int, float]]:
    out = []
    for f in runs.glob("*/metrics_iter.csv"):
        with open(f, newline="") as fh:
            out += [(int(r["iteration"]), float(r["elapsed_s"])) for r in csv.DictReader(fh)]
    return sorted(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    ap.add_argument("--phase-s", type=float, default=20.0, help="seconds per watching phase")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument(
        "--watch-only", action="store_true", help="skip the page switches and edits (quicker)"
    )
    args = ap.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing (apt install chromium)")
        return 2
    from playwright.sync_api import sync_playwright

    base = Path(tempfile.mkdtemp(prefix="cnnviz-bench-"))
    rounds = 1 if args.quick else 3
    print(f"cnnviz browser bench · {os.cpu_count()} CPUs · {load()} · {time.strftime('%H:%M:%S')}")
    server = Server(base)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = open_page(ctx, f"{server.url}/design")
            heading(page, "Design")
            page.get_by_text("Shapes, layer by layer").first.wait_for(timeout=180_000)
            settle(page, 0, quiet_ms=300)
            cold = time.monotonic() - server.t0
            print(f"\n[startup] {load()}")
            row("cold start -> first Design page", f"{cold:.1f} s", "-")

            switches: dict[str, list[float]] = {p: [] for p in PAGES}
            first_train = None
            order = [] if args.watch_only else [*PAGES[1:], PAGES[0]] * rounds
            for title in order:
                took = switch(page, title)
                if title == "Train" and first_train is None:
                    first_train = took
                switches[title].append(took)
            allsw = [t for ts in switches.values() for t in ts] or [float("nan")]
            print(f"\n[page switches, {len(allsw)}] {load()}")
            row("page switch p50", f"{statistics.median(allsw):.2f} s", "-")
            row("page switch p95", f"{pct(allsw, 0.95):.2f} s", "<= 1.5 s")
            row("first switch to Train (loads the images)", f"{first_train or 0:.2f} s", "-")
            for title, ts in switches.items():
                print(f"    {title:<8} " + "  ".join(f"{t:.2f}" for t in ts))

            # Train: edit a setting with the preview on
            if not page.url.rstrip("/").endswith("train"):
                switch(page, "Train")
            page.get_by_text("Look at the data").first.wait_for()
            box = page.get_by_role("spinbutton", name="Epochs", exact=True).first
            edits = []
            for i in range(1 if args.watch_only else 3 if args.quick else 6):
                box.fill(str(40 + i))
                t = now_ms(page)
                box.press("Enter")
                edits.append(settle(page, t))
            print(f"\n[Train edits, preview on] {load()}")
            row("Train edit -> rerun finished (median)", f"{statistics.median(edits):.2f} s",
                "<= 0.5 s", "all: " + " ".join(f"{e:.2f}" for e in edits))  # fmt: skip

            # Start -> progress
            t = time.monotonic()
            page.get_by_role("button", name="Start training", exact=True).click()
            page.locator(PROGRESS).first.wait_for(timeout=400_000)
            t_bar = time.monotonic() - t
            while (iteration(page) or 0) < 1 and time.monotonic() - t < 120:
                page.wait_for_timeout(50)
            t_iter = time.monotonic() - t
            print(f"\n[Start] {load()}")
            row("Start -> progress bar", f"{t_bar:.2f} s", "<= 2 s")
            row("Start -> first iteration shown", f"{t_iter:.2f} s", "-")

            refreshes = []
            for _ in range(1 if args.quick else 2):
                page.wait_for_timeout(1500)
                t = time.monotonic()
                page.reload(wait_until="domcontentloaded")
                page.locator(PROGRESS).first.wait_for(timeout=400_000)
                refreshes.append(time.monotonic() - t)
                page.evaluate(OBSERVE)
            row("refresh mid-run -> progress visible", f"{max(refreshes):.2f} s", "<= 3 s",
                "all: " + " ".join(f"{r:.2f}" for r in refreshes))  # fmt: skip

            # Watching: interleaved phases, iterations/s from the run's own CSV afterwards
            phases: list[tuple[str, float, float, float]] = []  # kind, t0, t1, pages' CPU/s
            offsets = []  # wall - elapsed_s, from iterations seen on screen

            def phase(kind: str, extra: list) -> None:
                t0, c0, th0 = time.monotonic(), server.cpu(), server.threads()
                while time.monotonic() - t0 < args.phase_s:
                    if kind != "static":
                        it = iteration(page)
                        if it:
                            offsets.append((time.monotonic(), it))
                    page.wait_for_timeout(500)
                t1, c1, th1 = time.monotonic(), server.cpu(), server.threads()
                # the whole process (with the threads that ran a script and ended since),
                # less the training thread
                others = (c1 - c0 - busiest_cpu(th0, th1)) / (t1 - t0)
                phases.append((kind, t0, t1, others))

            extra_tabs: list = []
            for kind in ("watch1", "static", "watch3", "static", "watch1", "static"):
                if args.quick and len(phases) >= 3:
                    break
                if kind == "static" and not page.url.rstrip("/").endswith("design"):
                    for p in extra_tabs:
                        p.close()
                    extra_tabs = []
                    switch(page, "Design")
                elif kind.startswith("watch"):
                    if not page.url.split("?")[0].endswith("train"):
                        switch(page, "Train", live=True)
                    for _ in range(int(kind[-1]) - 1):
                        extra_tabs.append(open_page(browser.new_context(), page.url))
                    for p in [page, *extra_tabs]:
                        p.locator(PROGRESS).first.wait_for(timeout=400_000)
                phase(kind, extra_tabs)
            for p in extra_tabs:
                p.close()
            if not page.url.split("?")[0].endswith("train"):
                switch(page, "Train", live=True)
            page.get_by_role("button", name="Stop", exact=True).click()
            page.get_by_text("Training stopped").first.wait_for(timeout=400_000)
            rows = iter_rows(base / "runs")
            browser.close()
        # map wall time to the run's elapsed_s: the smallest lag seen on screen
        elapsed = dict(rows)
        off = min(w - elapsed[i] for w, i in offsets if i in elapsed)
        rate: dict[str, list[float]] = {}
        pages: dict[str, list[float]] = {}
        for kind, t0, t1, others in phases:
            a, b = t0 - off + 2, t1 - off - 1  # margins: the switch and the poll lag
            n = sum(1 for _, e in rows if a <= e < b)
            rate.setdefault(kind, []).append(n / (b - a))
            pages.setdefault(kind, []).append(others)
        r = {k: statistics.mean(v) for k, v in rate.items()}
        o = {k: statistics.mean(v) for k, v in pages.items()}
        print(f"\n[watching a training, {args.phase_s:.0f} s phases] {load()}")
        row("iterations/s, browser on Design", f"{r['static']:.1f}", "-",
            " ".join(f"{x:.1f}" for x in rate["static"]))  # fmt: skip
        for k in ("watch1", "watch3"):
            if k in r:
                tabs = int(k[-1])
                row(f"iterations/s, {tabs} tab(s) on Train", f"{r[k]:.1f}", "-",
                    " ".join(f"{x:.1f}" for x in rate[k]))  # fmt: skip
        row("watched / unwatched speed (1 tab)", f"{r['watch1'] / r['static']:.2f}", ">= 0.85")
        for k in ("watch1", "watch3"):
            if k in o:
                tabs = int(k[-1])
                # the process (ended script threads too) less the training thread,
                # watching against the browser on Design
                per_tab = (o[k] - o["static"]) / tabs * 1000
                row(f"server CPU per watching tab ({tabs} tab(s))", f"{per_tab:.0f} ms/s",
                    "<= 20 ms/s", f"server less the training: {o[k] * 1000:.0f} vs {o['static'] * 1000:.0f} ms/s on Design")  # fmt: skip
        warnings = (base / "streamlit.log").read_text(errors="replace").count("WARNING")
        print(
            f"\n  server log warnings: {warnings} · clicked again (no run began in 15 s): {RECLICKS or 0} · {load()}"
        )
    finally:
        server.close()
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
        else:
            print(f"kept {base}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
