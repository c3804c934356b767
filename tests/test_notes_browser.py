"""The parent's notes in the widget, in headless Chromium against the real stack, on ports of its own.

Two entries are added and one edited on a 320 px phone, the PDF is downloaded and read back, the sheet
opens from a topic's "Start my notes" button, email reaches a real local SMTP server, Clear chat and
Exit this page wipe everything, nothing is stored in the browser, no note text reaches a service log,
and axe-core finds nothing in the panel. Screenshots go to results/screenshots/, axe reports to results/axe/.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from pypdf import PdfReader
from selenium.webdriver.common.keys import Keys

from bot.training import MODEL_PATH
from tests.browser_support import (
    BrowserUnavailable,
    browser_window,
    choose,
    element,
    js,
    make_driver,
    messages,
    open_widget,
    run_axe,
    screenshot,
    wait,
)
from tests.smtp_support import Inbox, smtp_server
from tests.stack_support import ports, running_stack

pytestmark = [
    pytest.mark.stack,
    pytest.mark.browser,
    pytest.mark.skipif(not MODEL_PATH.exists(), reason="needs a trained model: run `make train` (make test does)"),
]

PORTS = ports(6)
WEB = "http://localhost:8605"
# Words that must never reach a log, each in a different box.
SECRET_WHAT = "Kestrelwood van waited by the chip shop"
SECRET_EDITED = "Kestrelwood van waited by the bus stop"
SECRET_EARLIER = "Marsupial message on Snapchat from Dazza"
SECRET_SHEET = "Quillon grey parka"


@pytest.fixture(scope="module")
def inbox() -> Iterator[Inbox]:
    with smtp_server() as received:
        yield received


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("notes-logs")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, inbox, logs: Path) -> Iterator[object]:
    env = {
        **PORTS,
        "SERVICE_LOG_DIR": str(logs),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(inbox.port),
        "SMTP_SECURITY": "none",
        "SMTP_FROM": "assistant@example.org",
        "SMTP_USERNAME": "",
    }
    with running_stack(tmp_path_factory, env) as running:
        yield running


@pytest.fixture
def phone(tmp_path: Path) -> Iterator[object]:
    """A 320 px wide phone screen that saves downloads into the test's own folder."""
    try:
        driver = make_driver(width=400, height=800)
    except BrowserUnavailable as exc:
        pytest.skip(str(exc))
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 320, "height": 640, "deviceScaleFactor": 1, "mobile": True}
    )
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    driver.downloads = tmp_path
    yield driver
    driver.quit()


@pytest.fixture
def wide() -> Iterator[object]:
    yield from browser_window(1280, 900)


# ---- helpers ---------------------------------------------------------------------------------------------


class Taps:
    """Counts what a parent touches: taps (clicks) and boxes typed into."""

    def __init__(self, driver) -> None:
        self.driver = driver
        self.taps = 0
        self.typed: set[str] = set()

    def tap(self, node) -> None:
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", node)
        node.click()
        self.taps += 1

    def type(self, selector: str, text: str) -> None:
        box = element(self.driver, selector)
        self.tap(box)
        box.send_keys(text)
        self.typed.add(selector)


def button(driver, text: str):
    node = js(
        driver,
        "return Array.from(root.querySelectorAll('button, summary')).find(b => b.textContent.trim() === arguments[0]"
        " && b.getClientRects().length) || null;",
        text,
    )
    assert node is not None, f"no visible button {text!r}"
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", node)  # not under the sticky header
    return node


def entry_headings(driver) -> list[str]:
    return js(driver, "return Array.from(root.querySelectorAll('.psa-entry__heading')).map(h => h.textContent);")


def status(driver) -> str:
    return js(driver, "return root.querySelector('.psa-keep__status').textContent;")


def no_browser_storage(driver, origins: list[str]) -> None:
    """No cookies, and nothing in localStorage, sessionStorage, IndexedDB or the Cache API, for every origin."""
    assert driver.execute_cdp_cmd("Storage.getCookies", {})["cookies"] == []
    for origin in origins:
        usage = driver.execute_cdp_cmd("Storage.getUsageAndQuota", {"origin": origin})
        assert [u for u in usage["usageBreakdown"] if u["usage"]] == [], origin
    driver.set_script_timeout(10)
    stored = driver.execute_async_script(
        "const done = arguments[0]; Promise.all([indexedDB.databases(), caches.keys()]).then(([d, c]) => done("
        "[localStorage.length, sessionStorage.length, document.cookie, d.length, c.length]));"
    )
    assert stored == [0, 0, "", 0, 0]


def add_entry(taps: Taps, what: str, *, date: str | None = None, vehicles: str = "", phones: str = "") -> None:
    taps.tap(button(taps.driver, "Add an entry"))
    if date:
        box = element(taps.driver, "#psa-entry-date")
        taps.driver.execute_script(
            "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));", box, date
        )
        taps.taps += 2  # a native date picker: open it, choose a day
    taps.type("#psa-entry-what", what)
    if vehicles or phones:
        taps.tap(element(taps.driver, ".psa-more summary"))
        if vehicles:
            taps.type("#psa-entry-vehicles", vehicles)
        if phones:
            taps.type("#psa-entry-phones", phones)
    taps.tap(button(taps.driver, "Save entry"))
    wait(taps.driver, lambda: "Entry saved" in status(taps.driver))


def wait_for_download(folder: Path, name: str) -> Path:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        path = folder / name
        if path.exists() and path.stat().st_size and not list(folder.glob("*.crdownload")):
            return path
        time.sleep(0.2)
    raise AssertionError(f"{name} was not downloaded: {list(folder.iterdir())}")


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(path.read_bytes())).pages)


def logged(logs: Path) -> str:
    return "\n".join(path.read_text(errors="replace") for path in logs.glob("*.log"))


# ---- the tests -------------------------------------------------------------------------------------------


def test_two_entries_one_edited_then_the_pdf_on_a_320_px_phone(stack, phone, logs: Path) -> None:
    open_widget(phone, f"{WEB}/")
    taps = Taps(phone)
    taps.tap(button(phone, "My notes"))
    assert "stay in this tab only" in element(phone, ".psa-notes__privacy").text
    # The quickest entry: the date and time are filled in already, so "what happened" is the only box.
    before = taps.taps
    add_entry(taps, SECRET_WHAT)
    quickest = (taps.taps - before, len(taps.typed))
    assert quickest == (3, 1), quickest  # Add an entry, the box, Save entry: 3 taps and 1 box (4 with My notes)
    screenshot(phone, "notes-320px-one-entry")

    add_entry(taps, SECRET_EARLIER, date="2024-03-05", vehicles="silver ford focus ab12cde", phones="07400123456")
    # time order: the earlier date first, whatever order they were written in
    headings = entry_headings(phone)
    assert headings[0].startswith("Tuesday 5 March 2024, ") and len(headings) == 2, headings

    # edit the later one
    edit = js(phone, "return root.querySelectorAll('.psa-entry')[1].querySelector('button');")
    taps.tap(edit)
    box = element(phone, "#psa-entry-what")
    assert box.get_attribute("value") == SECRET_WHAT
    box.clear()
    box.send_keys(SECRET_EDITED)
    taps.tap(button(phone, "Save entry"))
    wait(phone, lambda: SECRET_EDITED in element(phone, ".psa-entries").text)
    assert SECRET_WHAT not in element(phone, ".psa-entries").text and len(entry_headings(phone)) == 2
    screenshot(phone, "notes-320px-two-entries")

    # a plain warning before any download, with the safer ways offered
    taps.tap(button(phone, "Save as a PDF"))
    warning = element(phone, ".psa-keep__panel").text
    assert "stays on this device" in warning and "Email it instead" in warning and "referral" in warning
    screenshot(phone, "notes-320px-download-warning")
    _panel_fits(phone, 320)
    taps.tap(button(phone, "Save it on this device"))
    pdf = wait_for_download(phone.downloads, "document.pdf")
    text = pdf_text(pdf)
    assert SECRET_EDITED in text and SECRET_WHAT not in text
    assert text.index(SECRET_EARLIER) < text.index(SECRET_EDITED)  # time order in the PDF too
    assert "AB12 CDE" in text and "07400 123456" in text  # plate and number written the standard way
    assert "Tuesday 5 March 2024" in text
    wait(phone, lambda: "document.pdf" in status(phone))

    no_browser_storage(phone, [WEB])
    for secret in (SECRET_WHAT, SECRET_EDITED, SECRET_EARLIER, "AB12", "ab12cde", "07400"):
        assert secret not in logged(logs), secret


def _panel_fits(driver, width: int) -> None:
    assert driver.execute_script("return document.documentElement.scrollWidth;") <= width
    problems = js(
        driver,
        """
        const out = [];
        root.querySelectorAll('.psa-notes button, .psa-notes input, .psa-notes textarea').forEach(e => {
          if (!e.getClientRects().length) return;
          const r = e.getBoundingClientRect();
          if (r.left < 0 || r.right > arguments[0] + 0.5) out.push('outside: ' + (e.textContent || e.id));
          if (e.tagName === 'BUTTON' && e.scrollWidth > e.clientWidth + 1) out.push('clipped: ' + e.textContent);
        });
        return out;
        """,
        width,
    )
    assert problems == []


def test_start_my_notes_in_the_missing_topic_opens_the_sheet_and_email_sends_it(stack, wide, inbox: Inbox) -> None:
    open_widget(wide, f"{WEB}/")
    box = element(wide, "#psa-input")
    box.send_keys('/open_topic{"topic":"missing"}')
    box.send_keys(Keys.ENTER)
    wait(wide, lambda: any("straight away" in text for who, text in messages(wide) if who == "bot"))
    choose(wide, "What else can I do?")
    choose(wide, "Next")
    reply = choose(wide, "Fill in a sheet before it happens")  # the chat says what opened, for any reader
    assert "is open now" in reply and "{{" not in reply
    assert not js(wide, "return root.querySelector('#psa-notes').hidden;")
    assert js(wide, "return root.querySelector('#psa-notes-sheet').hidden;") is False  # the sheet, not the log
    labels = element(wide, ".psa-sheet").text
    assert "What your child looks like" in labels and "Earlier times they went missing" in labels
    element(wide, "#psa-sheet-clothing").send_keys(SECRET_SHEET)
    element(wide, "#psa-sheet-phones_accounts").send_keys("07400123456, snap: kez_22")
    screenshot(wide, "notes-desktop-missing-sheet")

    button(wide, "Email them to me").click()
    element(wide, "#psa-notes-email").send_keys("parent@example.org, someone@example.net")  # a box holds no line breaks
    button(wide, "Send").click()
    wait(wide, lambda: "email address" in status(wide))  # refused, with what would work
    assert inbox.messages == []
    address = element(wide, "#psa-notes-email")
    address.clear()
    address.send_keys("parent@example.org")
    button(wide, "Send").click()
    wait(wide, lambda: "Sent" in status(wide))
    (received,) = inbox.messages
    assert received.recipients == ["parent@example.org"]
    body = message_from_bytes(received.content, policy=default)
    text = body.get_body(("plain",)).get_content()
    assert SECRET_SHEET in text and "07400 123456" in text  # the number written the standard way
    assert [part.get_filename() for part in body.iter_attachments()] == ["document.pdf"]
    screenshot(wide, "notes-desktop-sent")


def test_clear_chat_and_exit_this_page_wipe_the_notes(stack, phone) -> None:
    open_widget(phone, f"{WEB}/")
    taps = Taps(phone)
    taps.tap(button(phone, "My notes"))
    add_entry(taps, SECRET_WHAT)
    taps.tap(button(phone, "If my child goes missing"))
    element(phone, "#psa-sheet-clothing").send_keys(SECRET_SHEET)
    taps.tap(button(phone, "Back to the chat"))
    taps.tap(button(phone, "Clear chat"))
    wait(phone, lambda: "your notes too" in element(phone, ".psa-note").text)
    taps.tap(button(phone, "My notes"))
    assert entry_headings(phone) == [] and element(phone, "#psa-sheet-clothing").get_attribute("value") == ""

    add_entry(taps, SECRET_EDITED)
    # In the same moment as the click: the notes are gone from the page (kept hold of here to look).
    gone = phone.execute_script(
        "const root = document.getElementById('parent-support-widget').shadowRoot;"
        "root.querySelector('.psa-header .psa-exit').click();"
        "return [root.querySelectorAll('.psa-entry').length, root.querySelector('.psa-notes').textContent.includes(arguments[0]),"
        " getComputedStyle(document.documentElement).display];",
        SECRET_EDITED,
    )
    assert gone == [0, False, "none"]


def test_no_accessibility_problems_in_the_notes_axe(stack, wide, phone, axe_script: str) -> None:  # noqa: F811
    found = {}
    open_widget(wide, f"{WEB}/")
    button(wide, "My notes").click()
    button(wide, "Add an entry").click()
    element(wide, ".psa-more summary").click()
    found["desktop-entry-form"] = run_axe(wide, axe_script, "notes-desktop-entry-form")
    element(wide, "#psa-entry-what").send_keys("A note")
    button(wide, "Save entry").click()
    button(wide, "Save a page to print").click()
    found["desktop-warning"] = run_axe(wide, axe_script, "notes-desktop-warning")
    screenshot(wide, "notes-desktop-warning")
    button(wide, "If my child goes missing").click()
    found["desktop-sheet"] = run_axe(wide, axe_script, "notes-desktop-sheet")

    open_widget(phone, f"{WEB}/")
    button(phone, "My notes").click()
    found["phone-notes"] = run_axe(phone, axe_script, "notes-phone")
    screenshot(phone, "notes-320px-empty")
    button(phone, "Add an entry").click()
    found["phone-entry-form"] = run_axe(phone, axe_script, "notes-phone-entry-form")
    screenshot(phone, "notes-320px-entry-form")
    _panel_fits(phone, 320)
    assert found == {name: [] for name in found}, found
