"""Take the screenshot of the explorer in docs/img/explorer.png (headless Chromium, 1400 px).

Run from the repository root: ``python docs/gen_explorer_screenshot.py``. It
starts ``race-explore`` on a free port with the default scenario, sets the
downstream partner share to 1 and the safety floor to 0.2 with the keyboard,
waits for the results and saves the whole page at 1400 px wide.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "img" / "explorer.png"
ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--window-size=1400,1750")


def _ready(driver: webdriver.Chrome) -> bool:
    status = driver.find_elements("css selector", ".explorer-status")
    return bool(status) and "Updating" not in status[0].text and len(
        driver.find_elements("css selector", ".solara-content-main img")) == 5


def _press(driver: webdriver.Chrome, label: str, key: str, times: int = 1) -> None:
    thumb = driver.find_element("css selector", f'[role="slider"][aria-label^="{label}"]')
    for _ in range(times):
        thumb.send_keys(key)


def main() -> int:
    """Start the explorer, set two levers, save the screenshot; return the exit status."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-m", "race_cli.explorer.cli", "--port", str(port)],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in (*ARGS, f"--user-data-dir={tempfile.mkdtemp()}"):
        options.add_argument(arg)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                time.sleep(0.2)
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        try:
            driver.get(url)
            wait = WebDriverWait(driver, 180)
            wait.until(_ready)
            _press(driver, "Downstream partner share", Keys.END)
            _press(driver, "Safety floor", Keys.RIGHT, 4)
            wait.until(lambda d: "safety_floor=0.2" in d.find_element(
                "css selector", ".explorer-override").text)
            time.sleep(1.0)
            wait.until(_ready)
            driver.find_element("css selector", ".explorer-status").click()  # close tooltips
            time.sleep(1.0)
            OUT.parent.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(OUT))
        finally:
            driver.quit()
    finally:
        server.terminate()
        server.wait(timeout=20)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
