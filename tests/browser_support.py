"""Headless Debian Chromium driven by its matching chromedriver (selenium), axe-core, and the widget helpers
the browser tests share (reading and driving the widget inside its shadow root)."""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from bot.config import PROJECT_ROOT

INSTALLER = PROJECT_ROOT / "scripts" / "test-browser.sh"
ARTEFACTS = PROJECT_ROOT / "results" / "screenshots"
AXE_VERSION = "4.14.1"
AXE_DIR = PROJECT_ROOT / ".cache" / "axe"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_REPORTS = PROJECT_ROOT / "results" / "axe"


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


def browser_window(width: int, height: int) -> Iterator[webdriver.Chrome]:
    """For a fixture (`yield from browser_window(...)`): a window of that size, closed afterwards; the test
    is skipped where Chromium cannot start."""
    try:
        driver = make_driver(width=width, height=height)
    except BrowserUnavailable as exc:
        pytest.skip(str(exc))
    yield driver
    driver.quit()


def screenshot(driver: webdriver.Chrome, name: str) -> Path:
    """Save a screenshot as a test artefact under results/screenshots/."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path

    """axe-core's script, from the npm registry, installed once into the git-ignored .cache/axe."""
    path = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
    if not path.exists():
        try:
            result = subprocess.run(
                [
                    "npm",
                    "install",
                    "--prefix",
                    str(AXE_DIR),
                    f"axe-core@{AXE_VERSION}",
                    "--no-audit",
                    "--no-fund",
                    "--ignore-scripts",
                    "--no-save",
                ],
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise BrowserUnavailable(f"npm could not run to install axe-core: {exc}") from exc
        if result.returncode != 0 or not path.exists():
            raise BrowserUnavailable(f"npm install axe-core@{AXE_VERSION} failed: {result.stderr.strip()[-300:]}")
    return path.read_text(encoding="utf-8")


# ---- the widget, inside its shadow root ----------------------------------------------------------------

ROOT = "document.getElementById('parent-support-widget').shadowRoot"


def js(driver, body: str, *args: object) -> object:
    return driver.execute_script(f"const root = {ROOT}; {body}", *args)


def wait(driver, condition: Callable[[], object], timeout: float = 30, message: str = "") -> object:
    return WebDriverWait(driver, timeout, poll_frequency=0.2).until(lambda _: condition(), message)


def messages(driver) -> list[tuple[str, str]]:
    """(who, text) for every bubble, without the hidden "Assistant: " / "You: " prefix."""
    return [
        (who, text.split(": ", 1)[1])
        for who, text in js(
            driver,
            "return Array.from(root.querySelectorAll('.psa-msg')).map("
            "m => [m.classList.contains('psa-msg--bot') ? 'bot' : 'me', m.textContent]);",
        )
    ]


def bot_count(driver) -> int:
    return sum(who == "bot" for who, _ in messages(driver))


def wait_for_reply(driver, before: int) -> str:
    wait(driver, lambda: bot_count(driver) > before and not js(driver, "return !!root.querySelector('.psa-dots');"))
    return [text for who, text in messages(driver) if who == "bot"][-1]


def reply_button(driver, title: str):
    button = js(
        driver,
        "return Array.from(root.querySelectorAll('.psa-reply:not([aria-disabled])'))"
        ".reverse().find(b => b.textContent === arguments[0]) || null;",
        title,
    )
    assert button is not None, f"no reply button {title!r}"
    return button


def element(driver, selector: str):
    return js(driver, "return root.querySelector(arguments[0]);", selector)


def choose(driver, title: str) -> str:
    before = bot_count(driver)
    reply_button(driver, title).click()
    return wait_for_reply(driver, before)


def type_message(driver, text: str) -> None:
    box = element(driver, "#psa-input")
    box.click()
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


def say(driver, text: str) -> str:
    before = bot_count(driver)
    type_message(driver, text)
    return wait_for_reply(driver, before)


def open_widget(driver, url: str) -> None:
    driver.get(url)
    wait(
        driver,
        lambda: driver.execute_script(
            "const host = document.getElementById('parent-support-widget');"
            "return !!host && getComputedStyle(host).display !== 'none';"  # shown once its stylesheet has loaded
        ),
        message="no widget",
    )
    if js(driver, "return root.querySelector('.psa-panel').hidden;"):
        element(driver, ".psa-launch").click()
    wait(driver, lambda: bot_count(driver) >= 1, message="no welcome message")


def focused(driver) -> dict:
    """The element that really has focus (through the shadow root), with its focus styling."""
    return driver.execute_script(
        """
        let a = document.activeElement;
        while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
        const s = getComputedStyle(a);
        return {tag: a.tagName, text: (a.getAttribute('aria-label') || a.textContent || a.id || '').trim().slice(0, 40),
                cls: a.className, outline: s.outlineStyle, width: parseFloat(s.outlineWidth), shadow: s.boxShadow};
        """
    )


def no_trace_left(driver, origins: list[str]) -> None:
    """No cookies anywhere in the browser, and nothing in localStorage or sessionStorage for either site."""
    assert driver.execute_cdp_cmd("Storage.getCookies", {})["cookies"] == []
    for origin in origins:
        driver.get(f"{origin}/start.html" if "127.0.0.1" in origin else f"{origin}/healthz")
        stored = driver.execute_script("return [localStorage.length, sessionStorage.length, document.cookie];")
        assert stored == [0, 0, ""], origin


def run_axe(driver, axe_source: str, name: str) -> list[dict]:
    driver.execute_script(axe_source)
    driver.set_script_timeout(120)
    raw = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})
          .then(r => done(JSON.stringify({violations: r.violations.map(v => ({id: v.id, impact: v.impact,
                 help: v.help, nodes: v.nodes.map(n => n.target)})), passes: r.passes.length,
                 incomplete: r.incomplete.map(v => v.id)})))
          .catch(e => done(JSON.stringify({error: String(e)})));
        """,
        AXE_TAGS,
    )
    result = json.loads(raw)
    assert "error" not in result, result
    AXE_REPORTS.mkdir(parents=True, exist_ok=True)
    (AXE_REPORTS / f"{name}.json").write_text(json.dumps(result, indent=2))
    return result["violations"]


def axe_core() -> str:
    """axe-core from the npm registry, installed once into the git-ignored .cache/axe (BrowserUnavailable if npm cannot)."""
    path = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
    if not path.exists():
        command = ["npm", "install", "--prefix", str(AXE_DIR), f"axe-core@{AXE_VERSION}"]
        command += ["--no-audit", "--no-fund", "--ignore-scripts", "--no-save"]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise BrowserUnavailable(f"npm could not run to install axe-core: {exc}") from exc
        if result.returncode != 0 or not path.exists():
            raise BrowserUnavailable(f"npm install axe-core@{AXE_VERSION} failed: {result.stderr.strip()[-300:]}")
    return path.read_text(encoding="utf-8")
