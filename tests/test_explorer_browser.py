"""The explorer in a real browser: headless Debian Chromium driven by Selenium.

One ``race-explore`` server (12-month horizon and a twentieth of the default
population, so that each run takes a fraction of a second) and one page serve
a single test, so that pytest-xdist cannot start them twice. The test fails,
and does not skip, when Chromium, chromedriver or Selenium are missing: CI
installs them (``.ci/run``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
HORIZON = 12
#: A smaller population than the default (20,000 researchers) so that runs are quick.
SMALL = ("scenario.n_researchers=1000", "scenario.n_startups=20")
TIMEOUT = 90.0
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1400,1000")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [sys.executable, "-m", "race_cli.explorer.cli", "--port", str(port), "--horizon",
         str(HORIZON), "--workers", "1", *SMALL],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.seek(0)
            pytest.fail(f"race-explore did not start: {log.read().decode(errors='replace')}")
        time.sleep(0.2)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser():
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: install the Debian packages chromium and "
                    "chromium-driver (.ci/run does)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("selenium missing: pip install -e '.[dev]'")
    profile = tempfile.mkdtemp(prefix="explorer-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (*CHROMIUM_ARGS, f"--user-data-dir={profile}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _wait(driver, condition, what: str):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, TIMEOUT, ignored_exceptions=(
            StaleElementReferenceException,)).until(condition)
    except Exception:
        body = driver.find_element("tag name", "body").text
        pytest.fail(f"timed out waiting for {what}; page text: {body[:1500]}")


def _headline(driver) -> dict[str, tuple[str, str, str]]:
    rows = driver.find_elements("css selector", "table.explorer-headline tbody tr")
    return {row.get_attribute("data-metric"): tuple(
        row.find_element("css selector", f"td.{c}").text
        for c in ("current", "baseline", "difference")) for row in rows}


def _figures(driver) -> list[bytes]:
    images = driver.find_elements("css selector", ".solara-content-main img")
    return [img.screenshot_as_png for img in images]


def _thumb(driver, label: str):
    return driver.find_element("css selector", f'[role="slider"][aria-label^="{label}"]')


def _ready(driver) -> bool:
    status = driver.find_elements("css selector", ".explorer-status")
    return (bool(status) and "Updating" not in status[0].text
            and len(driver.find_elements("css selector", ".solara-content-main img")) == 5)


def test_slider_changes_numbers_and_charts_and_bad_values_show_one_line(server, browser):
    from selenium.webdriver.common.keys import Keys

    browser.get(server)
    _wait(browser, _ready, "the first results")
    before = _headline(browser)
    # Same settings on both sides: identical numbers, zero differences.
    assert all(cur == base and diff == "0" for cur, base, diff in before.values()), before
    charts_before = _figures(browser)

    thumb = _thumb(browser, "Downstream partner share")
    assert thumb.get_attribute("aria-label") == "Downstream partner share: 0.3"
    thumb.send_keys(Keys.END)
    _wait(browser, lambda d: _thumb(d, "Downstream partner share").get_attribute(
        "aria-label") == "Downstream partner share: 1", "the slider label")
    _wait(browser, lambda d: "downstream.partner_share=1.0" in d.find_element(
        "css selector", ".explorer-override").text, "the override line")
    _wait(browser, lambda d: _headline(d) != before and "Updating" not in d.find_element(
        "css selector", ".explorer-status").text, "new headline numbers")
    after = _headline(browser)
    assert set(after) == set(before)
    # The baseline column is unchanged (same seeds, cached); the current one moved.
    assert {m: v[1] for m, v in after.items()} == {m: v[1] for m, v in before.items()}
    assert any(v[0] != before[m][0] for m, v in after.items())
    assert any(v[2] != "0" for v in after.values())
    # The current side was run anew, the baseline came from the cache.
    assert "1 new run, 1 reused" in browser.find_element("css selector", ".explorer-status").text
    charts_after = _figures(browser)
    assert len(charts_after) == 5
    changed = sum(a != b for a, b in zip(charts_before, charts_after, strict=True))
    assert changed >= 4, f"only {changed} of 5 charts changed"

    # An invalid value typed as an override: the one-line message of sim.from_dict.
    _wait(browser, _ready, "the updated results")
    box = next(i for i in browser.find_elements("css selector", ".v-text-field input")
               if "More overrides" in i.find_element("xpath", "../label").text)
    box.click()
    for key in "talent.candidates=0\n":  # typed like a person: the field syncs per key
        box.send_keys(key)
        time.sleep(0.05)
    _wait(browser, lambda d: any("talent.candidates=0" in e.text for e in d.find_elements(
        "css selector", ".explorer-error")), "the error message")
    message = browser.find_element("css selector", ".explorer-error").text
    assert message.endswith("talent.candidates=0: must be >= 1 and <= 1000")
    assert "Traceback" not in message and "\n" not in message.strip()
