"""Benchmark of the explorer: start-up time and time per update, against the 1 s target.

Run with ``python benchmarks/bench_explorer.py`` from the repository root
(``--help`` for options). It prints

1. start-up: wall time from starting ``race-explore`` to the server answering
   HTTP, and to the first results on the page in headless Chromium (the page
   is ready when the headline table and the five figures are shown; the first
   page runs the default scenario once, current and baseline being equal);
2. time per update for the default scenario (60 months, 1 seed, baseline
   cached): settings change -> results computed (:func:`race_cli.explorer.state.compare`),
   and the same plus the five figures updated in place and converted to SVG
   (:meth:`race_cli.explorer.plots.Panels.svg`), as the page does, and the
   drawing alone (wall and process CPU time); median over ``--updates`` lever
   changes;
3. the same with ``--replicates`` seeds run by 2 worker processes.

Each time is printed with its ratio to the 1 s target (issue 13: an update
within about a second for the default scenario on 2 cores). The machine may be
shared; the load average is printed with the results.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 1.0
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1400,1000")


def _ratio(seconds: float) -> str:
    return f"{seconds:6.2f} s  ({seconds / TARGET_S:4.2f} x the 1 s target)"


def startup() -> None:
    """Print the time from process start to HTTP answer and to the first results."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "race_cli.explorer.cli", "--port", str(port)],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                if server.poll() is not None:
                    raise SystemExit("race-explore exited during start-up") from None
                time.sleep(0.05)
        print(f"server answers HTTP      {_ratio(time.perf_counter() - start)}")
        if not Path("/usr/bin/chromium").exists():
            print("page ready               (skipped: /usr/bin/chromium not installed)")
            return
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.support.ui import WebDriverWait

        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for arg in (*CHROMIUM_ARGS, f"--user-data-dir={tempfile.mkdtemp()}"):
            options.add_argument(arg)
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        try:
            driver.get(url)
            WebDriverWait(driver, 300).until(lambda d: len(d.find_elements(
                "css selector", ".solara-content-main img")) == 5)
            print(f"page ready (first run)   {_ratio(time.perf_counter() - start)}")
        finally:
            driver.quit()
    finally:
        server.terminate()
        server.wait(timeout=20)


def updates(count: int, replicates: int, workers: int) -> None:
    """Print the median time per update over ``count`` changes of the partner share."""
    from race_cli.explorer import plots, state

    panels = plots.Panels()
    runner = state.Runner(workers=workers)
    runner.start()
    baseline = state.default_settings()
    state.compare(runner, baseline, baseline, replicates)
    computed, drawn, drawing_cpu = [], [], []
    for i in range(count):
        current = {**baseline, "downstream.partner_share": round(0.05 * (i + 7), 2)}
        start = time.perf_counter()
        comparison = state.compare(runner, current, baseline, replicates)
        computed.append(time.perf_counter() - start)
        cpu = time.process_time()
        panels.svg(comparison)
        drawing_cpu.append(time.process_time() - cpu)
        drawn.append(time.perf_counter() - start)
    runner.close()
    what = f"{replicates} seed{'s' if replicates > 1 else ''}, {workers} worker(s)"
    print(f"update, results ({what}) {_ratio(statistics.median(computed))}")
    print(f"update, + figures ({what}) {_ratio(statistics.median(drawn))}")
    drawing = [d - c for d, c in zip(drawn, computed, strict=True)]
    print(f"  of which figures ({what}) {_ratio(statistics.median(drawing))}; CPU time "
          f"{statistics.median(drawing_cpu):.2f} s (less sensitive to other jobs)")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=5, help="lever changes timed")
    parser.add_argument("--replicates", type=int, default=3,
                        help="seeds of the replicate benchmark")
    parser.add_argument("--no-browser", action="store_true", help="skip the start-up part")
    args = parser.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    if not args.no_browser:
        startup()
    updates(args.updates, 1, 1)
    updates(args.updates, args.replicates, 2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
