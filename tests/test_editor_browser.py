"""The editors' workspace in a real browser against the real stack (ports(7)): an editor signs in, previews a
topic, edits a step, sees the change on the widget's next message, and restores the earlier version.
The stack runs on a copy of the content folder, so the project's own files are never changed."""

from __future__ import annotations

import io
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from bot import cli
from bot.training import MODEL_PATH
from tests.browser_support import screenshot
from tests.helpers import SHIPPED_CONTENT_DIR
from tests.stack_support import ports, running_stack

pytestmark = [
    pytest.mark.stack, pytest.mark.browser,
    pytest.mark.skipif(not MODEL_PATH.exists(), reason="needs a trained model: run `make train` (make test does)"),
]

PORTS = ports(7)
WEB = "http://localhost:8705"
USERNAME, PASSWORD = "edna", "quiet meadow lantern 17"
ROOT = "document.getElementById('parent-support-widget').shadowRoot"
NEW_WORDS = "Grooming is when someone wins a child's trust on purpose, so that they can abuse them."


@pytest.fixture(scope="module")
def content_copy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("editor-content") / "content"
    shutil.copytree(SHIPPED_CONTENT_DIR, folder)
    env = {**PORTS, "STAFF_SESSION_KEY": Fernet.generate_key().decode(), "CONTENT_DIR": str(folder), "INSIGHT_KEY": "k"}
    with running_stack(tmp_path_factory, env):
        yield folder


def js(driver, body: str) -> object:
    return driver.execute_script(f"const root = {ROOT}; {body}")


def bot_texts(driver) -> list[str]:
    texts = js(driver, "return Array.from(root.querySelectorAll('.psa-msg--bot')).map(m => m.textContent);")
    return [str(t).removeprefix("Assistant: ") for t in texts]  # type: ignore[union-attr]


def ask_widget_for_grooming(driver) -> str:
    """In the widget on the demo page: open the grooming topic the way its button does, and give the reply."""
    driver.get(f"{WEB}/")
    WebDriverWait(driver, 30).until(lambda d: d.execute_script(
        "const h = document.getElementById('parent-support-widget'); return !!h && getComputedStyle(h).display !== 'none';"))
    if js(driver, "return root.querySelector('.psa-panel').hidden;"):
        js(driver, "root.querySelector('.psa-launch').click();")
    WebDriverWait(driver, 30).until(lambda d: len(bot_texts(d)) >= 1)
    before = len(bot_texts(driver))
    box = driver.execute_script(f"return {ROOT}.querySelector('#psa-input');")
    box.click()
    box.send_keys('/open_topic{"topic":"grooming"}')
    box.send_keys(Keys.ENTER)
    WebDriverWait(driver, 30, poll_frequency=0.1).until(lambda d: len(bot_texts(d)) > before)
    return bot_texts(driver)[-1]


def test_an_editor_previews_edits_sees_it_live_and_restores(content_copy: Path, browser, monkeypatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert cli.main(["staff", "add", USERNAME, "--role", "editor", "--password-stdin"]) == 0
    driver = browser
    driver.set_window_size(1280, 1000)
    wait = WebDriverWait(driver, 20)
    original_file = (content_copy / "topics/grooming.yml").read_text(encoding="utf-8")

    # Before: the widget says what the file says.
    assert ask_widget_for_grooming(driver).startswith("Grooming is when someone builds trust")

    # Sign in: an editor lands on the content, not the referrals.
    driver.get(f"{WEB}/staff/")
    wait.until(expected_conditions.title_contains("Sign in"))
    driver.find_element(By.ID, "username").send_keys(USERNAME)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait.until(expected_conditions.title_contains("Content"))
    assert not driver.find_elements(By.LINK_TEXT, "Queue")
    screenshot(driver, "editor-1-content")

    # Preview: each step in a phone frame and a desktop frame, in the widget's own styles.
    driver.find_element(By.CSS_SELECTOR, "a[href='/staff/content/topics/grooming']").click()
    wait.until(expected_conditions.title_contains("Preview"))
    phone = driver.find_element(By.CSS_SELECTOR, ".frame-phone .psa-msg--bot")
    assert phone.text.startswith("Grooming is when someone builds trust")
    assert phone.value_of_css_property("white-space") == "pre-line"  # widget.css applied, under the CSP
    assert driver.find_element(By.CSS_SELECTOR, ".frame-phone").size["width"] < 400
    desktop = driver.find_element(By.CSS_SELECTOR, ".frame-desktop")
    assert desktop.size["width"] > 700
    # Side by side on a laptop-sized window, so an editor compares the two without scrolling.
    assert desktop.location["y"] == driver.find_element(By.CSS_SELECTOR, ".frame-phone").location["y"]
    screenshot(driver, "editor-2-preview")

    # Edit the first step.
    driver.find_element(By.LINK_TEXT, "Edit this step").click()
    wait.until(expected_conditions.title_contains("Edit"))
    box = driver.find_element(By.ID, "text")
    first_paragraph = box.get_attribute("value").split("\n\n")[0]
    box.clear()
    rest = original_text_after(original_file, first_paragraph)
    box.send_keys(NEW_WORDS + rest)
    screenshot(driver, "editor-3-edit")
    driver.find_element(By.CSS_SELECTOR, "form.card button[type=submit]").click()
    wait.until(expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, ".flash"), "Saved."))
    saved_at = time.monotonic()
    screenshot(driver, "editor-4-saved")

    # The widget shows the new words on the very next message after the save (no restart, no retry).
    # How fast that is, is measured by `python -m bot bench load` (content_live), not asserted here.
    window = driver.current_window_handle
    driver.switch_to.new_window("tab")
    reply = ask_widget_for_grooming(driver)
    assert reply.startswith(NEW_WORDS), reply
    print(f"change live in the widget {time.monotonic() - saved_at:.2f} s after the save (page load included)")
    screenshot(driver, "editor-5-widget-live")
    driver.close()
    driver.switch_to.window(window)

    # History: the save is there as a diff; restore the version before it.
    driver.get(f"{WEB}/staff/content/history?file=topics/grooming.yml")
    wait.until(expected_conditions.title_contains("History"))
    assert driver.find_elements(By.CSS_SELECTOR, ".diff-add")
    screenshot(driver, "editor-6-history")
    driver.find_elements(By.XPATH, "//button[starts-with(text(), 'Restore version')]")[0].click()
    wait.until(expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, ".flash"), "restored"))
    screenshot(driver, "editor-7-restored")
    assert (content_copy / "topics/grooming.yml").read_text(encoding="utf-8") == original_file
    assert ask_widget_for_grooming(driver).startswith("Grooming is when someone builds trust")


def original_text_after(original_file: str, first_paragraph: str) -> str:
    """The step's text after its first paragraph, as the form shows it (so only the first paragraph changes)."""
    import yaml

    steps = yaml.safe_load(original_file)["steps"]
    text = steps[0]["text"].strip()
    return text[len(first_paragraph):]
