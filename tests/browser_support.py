"""Headless Debian Chromium driven by its matching chromedriver (selenium), for the browser tests."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from bot.config import PROJECT_ROOT

INSTALLER = PROJECT_ROOT / "scripts" / "test-browser.sh"
ARTEFACTS = PROJECT_ROOT / "results" / "screenshots"


class BrowserUnavailable(RuntimeError):
    """Chromium could not be installed or started; the message says why."""


def ensure_chromium() -> tuple[str, str]:
    """(chromium, chromedriver) paths, installing Debian's packages first where missing."""
    result = subprocess.run([str(INSTALLER)], capture_output=True, text=True, timeout=900, check=False)
    if result.returncode != 0:
        raise BrowserUnavailable(f"scripts/test-browser.sh failed: {result.stderr.strip()[-300:]}")
    paths = dict(line.split("=", 1) for line in result.stdout.strip().splitlines() if "=" in line)
    return paths["CHROMIUM"], paths["CHROMEDRIVER"]


def make_driver(width: int = 390, height: int = 844) -> webdriver.Chrome:
    """A fresh headless browser with an empty profile (a phone-sized window by default)."""
    chromium, chromedriver = ensure_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tempfile.mkdtemp(prefix='chromium-profile-')}",
        f"--window-size={width},{height}",
    ):
        options.add_argument(flag)
    try:
        return webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))
    except Exception as exc:  # any start-up failure becomes the skip reason
        raise BrowserUnavailable(f"Chromium did not start: {type(exc).__name__}: {exc}") from exc


def screenshot(driver: webdriver.Chrome, name: str) -> Path:
    """Save a screenshot as a test artefact under results/screenshots/."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path
