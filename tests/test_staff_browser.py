"""The staff review in a real browser against the real stack: a parent refers themselves through a real
conversation, then a staff member signs in (headless Chromium), finds the referral first in the queue,
opens it, changes its status and exports it."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from bot import cli
from bot.benchmark.conversations import REFERRAL_ANSWERS
from bot.storage.crypto import Cipher
from bot.storage.repository import ReferralStore, make_engine
from bot.training import MODEL_PATH
from tests.browser_support import screenshot
from tests.helpers import save
from tests.stack_support import ports, post, running_stack, start_referral, texts

pytestmark = [
    pytest.mark.stack, pytest.mark.browser,
    pytest.mark.skipif(not MODEL_PATH.exists(), reason="needs a trained model: run `make train` (make test does)"),
]

PORTS = ports(3)
WEB = "http://localhost:8305"
USERNAME, PASSWORD = "casey", "blue harbour lantern 42"


@pytest.fixture(scope="module")
def stack_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The three services on their own ports, with a fresh SQLite database and spool folder."""
    database = f"sqlite:///{tmp_path_factory.mktemp('staff-stack-db') / 'parent_support.db'}"
    env = {**PORTS, "DATABASE_URL": database, "STAFF_SESSION_KEY": Fernet.generate_key().decode()}
    with running_stack(tmp_path_factory, env):
        yield database


def chat(message: str, sender: str) -> list[dict]:
    status, body = post(f"{WEB}/api/chat", {"sender": sender, "message": message})
    assert status == 200, body
    return body["messages"]


def refer_through_a_conversation() -> str:
    """The parent's whole self-referral over HTTP, as in test_stack, with a child of 12 (so: urgent)."""
    sender = "staff-browser-0001"
    start_referral(chat, sender)
    for answer, next_question in REFERRAL_ANSWERS:
        reply = texts(chat("12" if answer == "14" else answer, sender))
        assert next_question in reply, (answer, reply)
    done = texts(chat("/affirm", sender))
    return next(word.rstrip(".") for word in done.split() if len(word.rstrip(".")) == 9 and word[4] == "-")


def seed_older_referrals(database: str) -> list[str]:
    """Referrals already waiting: older standard ones, and an older urgent one that is closed."""
    store = ReferralStore(make_engine(database), Cipher.from_env())
    now = datetime.now(timezone.utc)
    older = [save(store, n, at=now - timedelta(days=n)) for n in (1, 2, 3)]
    closed = save(store, 4, age=6, at=now - timedelta(days=4))
    store.engine.dispose()
    from bot.storage.staff_repository import StaffRepository

    StaffRepository(ReferralStore(make_engine(database), Cipher.from_env())).change_status(
        closed, "closed", actor="seed"
    )
    return older


def wait_for_download(folder: Path, timeout: float = 20) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in folder.iterdir() if not p.name.endswith(".crdownload")]
        if done:
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"nothing was downloaded into {folder}")


def test_a_referral_from_a_real_conversation_is_found_first_worked_on_and_exported(
    stack_database: str, browser, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    older = seed_older_referrals(stack_database)
    reference = refer_through_a_conversation()
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert cli.main(["staff", "add", USERNAME, "--role", "staff", "--password-stdin"]) == 0

    driver = browser
    driver.set_window_size(1280, 1000)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    wait = WebDriverWait(driver, 15)

    # Signing in: the queue sends us to the sign-in page first.
    driver.get(f"{WEB}/staff/")
    wait.until(expected_conditions.title_contains("Sign in"))
    driver.find_element(By.ID, "username").send_keys(USERNAME)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    screenshot(driver, "staff-1-sign-in")
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()

    # The queue: the new urgent referral comes first, ahead of older standard ones.
    wait.until(expected_conditions.title_contains("Queue"))
    rows = driver.find_elements(By.CSS_SELECTOR, "table.queue tbody tr")
    shown = [row.find_element(By.CSS_SELECTOR, "a.reference").text for row in rows]
    assert shown == [reference, *reversed(older)]
    assert rows[0].find_element(By.CSS_SELECTOR, ".badge").text == "Urgent"
    assert driver.find_element(By.ID, "count-open-urgent").text == "1"
    assert driver.find_element(By.ID, "tick-all").is_displayed()  # queue.js ran under the CSP
    screenshot(driver, "staff-2-queue")

    # The referral, laid out for the person about to phone.
    rows[0].find_element(By.CSS_SELECTOR, "a.reference").click()
    wait.until(expected_conditions.title_contains(reference))
    caller = driver.find_element(By.CSS_SELECTOR, "section.caller").text
    assert "07700 900123" in caller and "Sam" in caller
    assert "OK to leave a message?\nYes" in caller
    assert "OK to say who is calling?\nNo — do not say you are from the charity" in caller
    assert "the child is 12, under 13" in driver.find_element(By.CSS_SELECTOR, "section.urgent-reasons").text
    assert f"URGENT - parent support referral {reference}" in driver.find_element(By.ID, "case-summary").get_attribute(
        "value"
    )
    screenshot(driver, "staff-3-referral")
    copy = driver.find_element(By.ID, "copy-summary")
    assert copy.is_displayed()  # copy.js ran
    copy.click()
    wait.until(lambda d: d.find_element(By.ID, "copy-result").text)  # "Copied", or how to copy by hand

    # Changing its status.
    Select(driver.find_element(By.ID, "new-status")).select_by_visible_text("Contacted")
    driver.find_element(By.XPATH, "//button[text()='Change status']").click()
    wait.until(
        expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, ".flash"), "Status changed to Contacted.")
    )
    assert driver.find_element(By.ID, "current-status").text == "Contacted"
    screenshot(driver, "staff-4-status-changed")

    # Exporting it as CSV: the browser downloads a file with the reference in it.
    driver.find_element(By.CSS_SELECTOR, "form[action='/staff/export'] button[value=csv]").click()
    exported = wait_for_download(downloads)
    assert exported.name == f"referral-{reference}.csv"
    content = exported.read_text(encoding="utf-8-sig")
    assert reference in content and ",contacted," in content and "07700 900123" in content
    screenshot(driver, "staff-5-exported")

    # The team overview draws its charts without any script.
    driver.find_element(By.LINK_TEXT, "Overview").click()
    wait.until(expected_conditions.title_contains("Overview"))
    assert len(driver.find_elements(By.CSS_SELECTOR, "svg.chart rect.bar-urgent")) >= 2
    screenshot(driver, "staff-6-overview")

    store = ReferralStore(make_engine(stack_database), Cipher.from_env())
    assert store.get(reference).status == "contacted"
    from bot.storage.staff_repository import StaffRepository

    entries, _ = StaffRepository(store).audit_log(actor="test", reference=reference)
    assert {(e.actor, e.action) for e in entries} >= {
        (USERNAME, "view"),
        (USERNAME, "status_change"),
        (USERNAME, "export"),
    }
