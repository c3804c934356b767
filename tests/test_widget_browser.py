"""The website widget in headless Chromium against the real stack (Rasa server, action server, web service).

A second local website (another origin) plays the charity's site: it embeds the widget with one script
tag, and also serves the neutral page that "Exit this page" goes to. Screenshots go to results/screenshots/,
the axe-core report to results/axe/. The last test stops the Rasa server.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from bot.runner import Service, restart
from bot.training import MODEL_PATH
from tests.browser_support import (
    ROOT,
    bot_count,
    browser_window,
    choose,
    element,
    focused,
    js,
    messages,
    no_trace_left,
    open_widget,
    reply_button,
    run_axe,
    say,
    screenshot,
    type_message,
    wait,
    wait_for_reply,
)
from tests.stack_support import ports, running_stack

pytestmark = [
    pytest.mark.stack, pytest.mark.browser,
    pytest.mark.skipif(not MODEL_PATH.exists(), reason="needs a trained model: run `make train` (make test does)"),
]

WEB = "http://localhost:8405"
PORTS = ports(4)

# ---- the other website: a start page, the charity page embedding the widget, and the neutral exit page ----

PAGE = """<!doctype html><html lang="en-GB"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title></head>
<body><main><h1>{title}</h1><p>{body}</p></main>{extra}</body></html>"""


def site_pages(origin: str) -> dict[str, str]:
    embed = (
        f'<script src="{WEB}/widget/widget.js" defer data-server="{WEB}" data-exit-url="{origin}/weather.html" '
        'data-primary-colour="#00703c" data-exit-colour="#ffdd00"></script>'
    )
    return {
        "/start.html": PAGE.format(title="Start", body="A page visited before the charity's site.", extra=""),
        "/charity.html": PAGE.format(title="A charity page", body="Support for parents.", extra=embed),
        "/weather.html": PAGE.format(title="Weather", body="Sunny spells.", extra=""),
    }


@pytest.fixture(scope="module")
def other_site() -> Iterator[str]:
    pages: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server API)
            page = pages.get(self.path)
            self.send_response(200 if page else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write((page or "not found").encode())

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    pages.update(site_pages(origin))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield origin
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def stack(other_site: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Service]]:
    env = {
        **PORTS,
        "WIDGET_ALLOWED_ORIGINS": other_site,
        "CHAT_RATE_PER_CONVERSATION": f"{RATE_LIMIT}/minute",  # low enough to reach in a test, above any other test's use
    }
    with running_stack(tmp_path_factory, env) as running:
        yield running


@pytest.fixture
def desktop() -> Iterator[object]:
    """A wide browser window (the chat sits beside the page)."""
    yield from browser_window(1280, 900)


# ---- a conversation ------------------------------------------------------------------------------------


def test_a_conversation_with_buttons_links_and_typed_messages(stack, browser) -> None:
    open_widget(browser, f"{WEB}/")
    welcome = messages(browser)[0][1]
    assert "not a person" in welcome and "999" in welcome
    assert "Support for you" in js(browser, "return root.querySelector('.psa-log').textContent;")

    group = choose(browser, "Support for you")  # a group of the topics menu (content/menu.yml)
    assert group and ("me", "Support for you") in messages(browser)
    first_step = choose(browser, "Who else can help")
    assert ("me", "Who else can help") in messages(browser)  # the button's title, not its payload
    assert "NSPCC" in first_step and "0808" in first_step  # services filled in from services.yml
    for _ in range(3):
        choose(browser, "Next")
    links = js(
        browser,
        "return Array.from(root.querySelectorAll('.psa-msg--bot a')).map(a => [a.href, a.target, a.rel]);",
    )
    assert ["https://www.ceop.police.uk/", "_blank", "noopener noreferrer"] in links
    # only the latest reply buttons stay usable
    assert js(browser, "return root.querySelectorAll('.psa-replies:not(.psa-replies--used)').length;") == 1

    question = "what are the signs my son is being groomed"
    reply = say(browser, question)
    shown = messages(browser)
    asked_at = max(i for i, (who, text) in enumerate(shown) if who == "me")
    assert reply and shown[asked_at] == ("me", question) and shown[asked_at + 1][0] == "bot"
    screenshot(browser, "widget-conversation")
    # nothing was blocked by the page's strict Content Security Policy, and nothing failed
    errors = [
        m["message"] for m in browser.get_log("browser") if m["level"] == "SEVERE" and "favicon" not in m["message"]
    ]
    assert errors == []


def test_nothing_anyone_types_is_treated_as_html(stack, browser) -> None:
    open_widget(browser, f"{WEB}/")
    attack = '<img src=x onerror="window.__injected=1"><b>bold</b>'
    say(browser, attack)
    assert ("me", attack) in messages(browser)
    assert js(browser, "return root.querySelectorAll('.psa-log img, .psa-log b').length;") == 0
    assert browser.execute_script("return window.__injected === undefined;")


def test_help_now_safety_note_and_clear_chat(stack, browser) -> None:
    open_widget(browser, f"{WEB}/")
    say(browser, "hello")
    element(browser, ".psa-help-button[aria-controls='psa-help']").click()
    help_text = element(browser, "#psa-help").text
    assert "999" in help_text and "116 123" in help_text
    calls = js(browser, "return Array.from(root.querySelectorAll('#psa-help a')).map(a => a.getAttribute('href'));")
    assert "tel:999" in calls and "tel:116123" in calls
    screenshot(browser, "widget-help-now")

    element(browser, "[aria-controls='psa-safety']").click()
    note = element(browser, "#psa-safety").text
    assert "private" in note and "history" in note and "Shift" in note
    screenshot(browser, "widget-staying-safe")

    # record the conversation id of every message from here on
    browser.execute_script(
        "window.__senders = []; const f = window.fetch; window.fetch = (url, o) => {"
        " if (String(url).endsWith('/api/chat')) window.__senders.push(JSON.parse(o.body).sender); return f(url, o); };"
    )
    say(browser, "one more")
    element(browser, ".psa-footer .psa-link-button").click()  # Clear chat
    wait(browser, lambda: len(messages(browser)) == 1 and messages(browser)[0][0] == "bot")
    assert "not a person" in messages(browser)[0][1]  # a fresh start, nothing of the old chat on screen
    assert "Chat cleared" in element(browser, ".psa-note").text
    before, after = browser.execute_script("return window.__senders;")
    assert before != after  # a new conversation: the old one cannot be reached from this tab


def test_keyboard_alone_reaches_every_control_with_a_visible_focus(stack, desktop) -> None:
    open_widget(desktop, f"{WEB}/")
    seen = []
    for _ in range(30):
        ActionChains(desktop).send_keys(Keys.TAB).perform()
        now = focused(desktop)
        seen.append(now["text"])
        if now["tag"] != "BODY":
            assert now["outline"] != "none" and now["width"] >= 3, now  # a 3 px ring on everything
    for control in (
        "Close chat",
        "Help now",
        "Exit this page",
        "Conversation",
        "What is happening to my child",  # the first group of the topics menu
        "psa-input",
        "Send",
        "Clear chat",
        "Staying safe online",
    ):
        assert control in seen, (control, seen)

    # choose a reply with the keyboard: focus stays on it, and the answer arrives
    reply_button(desktop, "Support for you").send_keys(Keys.ENTER)
    wait_for_reply(desktop, 1)
    assert focused(desktop)["text"] == "Support for you"
    assert ("me", "Support for you") in messages(desktop)
    # Escape closes the chat and gives focus back to the button that opens it
    shown = messages(desktop)
    ActionChains(desktop).send_keys(Keys.ESCAPE).perform()
    assert focused(desktop)["text"] == "Chat with us"
    ActionChains(desktop).send_keys(Keys.ENTER).perform()
    assert not js(desktop, "return root.querySelector('.psa-panel').hidden;")
    assert messages(desktop) == shown  # the conversation was kept while closed


def test_the_log_announces_only_new_messages(stack, browser) -> None:
    open_widget(browser, f"{WEB}/")
    log = js(
        browser,
        "const l = root.querySelector('[role=log]'); return [l.getAttribute('aria-live'), "
        "l.getAttribute('aria-relevant'), l.getAttribute('aria-label')];",
    )
    assert log == ["polite", "additions", "Conversation"]
    js(
        browser,
        "window.__added = []; new MutationObserver(ms => ms.forEach(m => m.addedNodes.forEach("
        "n => window.__added.push(n.nodeType === 1 ? n.className : '#text')))).observe(root.querySelector('[role=log]'), "
        "{childList: true, subtree: true, characterData: true});",
    )
    say(browser, "hello")
    added = browser.execute_script("return window.__added;")
    # one bubble for the parent, then the reply's bubble and its buttons: nothing old is re-added
    assert added[0] == "psa-msg psa-msg--me" and "psa-msg psa-msg--bot" in added
    assert set(added) <= {"psa-msg psa-msg--me", "psa-msg psa-msg--bot", "psa-replies"}


def test_no_serious_accessibility_problems_axe(stack, desktop, browser, axe_script: str) -> None:
    found = {}
    open_widget(desktop, f"{WEB}/")
    choose(desktop, "Support for you")
    found["desktop-chat"] = run_axe(desktop, axe_script, "widget-desktop-chat")
    element(desktop, ".psa-help-button[aria-controls='psa-help']").click()
    element(desktop, "[aria-controls='psa-safety']").click()
    found["desktop-help-and-note"] = run_axe(desktop, axe_script, "widget-desktop-help")
    element(desktop, ".psa-close").click()
    found["desktop-closed"] = run_axe(desktop, axe_script, "widget-desktop-closed")
    screenshot(desktop, "widget-desktop-closed")

    open_widget(browser, f"{WEB}/")
    say(browser, "hello")
    found["phone-chat"] = run_axe(browser, axe_script, "widget-phone-chat")
    serious = {
        name: [v for v in found_here if v["impact"] in ("serious", "critical")] for name, found_here in found.items()
    }
    assert serious == {name: [] for name in found}, serious


def _emulate(driver, width: int, height: int, scale: float, mobile: bool) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile},
    )


def _nothing_lost(driver, width: int) -> None:
    """No sideways scrolling, every control inside the screen's width, no clipped button text, and the
    message box and Send reachable by scrolling."""
    assert driver.execute_script("return document.documentElement.scrollWidth;") <= width
    problems = js(
        driver,
        """
        const out = [];
        const panel = root.querySelector('.psa-panel');
        if (panel.scrollWidth > panel.clientWidth) out.push('panel scrolls sideways');
        root.querySelectorAll('button, a, textarea, .psa-msg').forEach(e => {
          if (!e.getClientRects().length) return;
          const r = e.getBoundingClientRect();
          if (r.left < 0 || r.right > arguments[0] + 0.5) out.push('outside: ' + e.textContent.slice(0, 30));
          if (e.tagName === 'BUTTON' && e.scrollWidth > e.clientWidth + 1) out.push('clipped: ' + e.textContent);
        });
        return out;
        """,
        width,
    )
    assert problems == []
    height = driver.execute_script("return innerHeight;")

    def on_screen(selector: str) -> bool:
        top, bottom = driver.execute_script(
            "const r = arguments[0].getBoundingClientRect(); return [r.top, r.bottom];", element(driver, selector)
        )
        return top >= -1 and bottom <= height + 1  # allow sub-pixel rounding

    for selector in (".psa-footer .psa-link-button", "#psa-input", ".psa-send", "#psa-help a"):
        driver.execute_script("arguments[0].scrollIntoView({block: 'nearest'});", element(driver, selector))
        assert on_screen(selector), selector
        # wherever the panel is scrolled to, Help now and Exit stay on screen
        assert on_screen(".psa-header .psa-exit") and on_screen(".psa-header .psa-help-button"), selector


def test_320_px_wide_and_200_percent_zoom_lose_nothing(stack, desktop) -> None:
    open_widget(desktop, f"{WEB}/")
    choose(desktop, "Support for you")
    choose(desktop, "Who else can help")
    element(desktop, ".psa-help-button[aria-controls='psa-help']").click()

    _emulate(desktop, 320, 640, 1, True)
    _nothing_lost(desktop, 320)
    screenshot(desktop, "widget-320px")
    # 1280 x 800 at 200% zoom is a 640 x 400 CSS-pixel screen
    _emulate(desktop, 640, 400, 2, False)
    _nothing_lost(desktop, 640)
    screenshot(desktop, "widget-zoom-200")


def test_reduced_motion_stops_the_typing_animation(stack, browser) -> None:
    open_widget(browser, f"{WEB}/")
    probe = (
        "const d = root.querySelector('.psa-typing'); d.textContent = ''; const s = document.createElement('span');"
        "s.className = 'psa-dots'; s.appendChild(document.createElement('span')); d.appendChild(s);"
        "return getComputedStyle(s.firstChild).animationName;"
    )
    assert js(browser, probe) == "psa-blink"
    browser.execute_cdp_cmd(
        "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-reduced-motion", "value": "reduce"}]}
    )
    assert js(browser, probe) == "none"


# ---- quick exit, on the charity's own site (another origin) ----------------------------------------------


def test_colours_from_the_host_page_are_used_only_when_readable(stack, browser, other_site: str) -> None:
    browser.get(f"{other_site}/charity.html")
    wait(
        browser, lambda: element(browser, ".psa-launch") is not None and element(browser, ".psa-launch").is_displayed()
    )
    colours = js(
        browser,
        "return [getComputedStyle(root.querySelector('.psa-launch')).backgroundColor, "
        "getComputedStyle(root.querySelector('.psa-exit')).backgroundColor];",
    )
    assert colours == ["rgb(0, 112, 60)", "rgb(177, 14, 30)"]  # yellow exit is too light for white text


def test_quick_exit_button_blanks_the_page_and_back_does_not_return(stack, browser, other_site: str) -> None:
    browser.get(f"{other_site}/start.html")
    open_widget(browser, f"{other_site}/charity.html")  # the welcome arrives across origins (CORS)
    say(browser, "hello")
    screenshot(browser, "widget-on-charity-site")
    # In the same moment as the click: the page is blank and the conversation gone, before the new page loads.
    at_click = browser.execute_script(
        f"{ROOT}.querySelector('.psa-header .psa-exit').click();"
        "return [getComputedStyle(document.documentElement).display, !!document.getElementById('parent-support-widget'),"
        " document.title];"
    )
    assert at_click == ["none", False, ""]
    wait(browser, lambda: browser.current_url == f"{other_site}/weather.html")
    screenshot(browser, "widget-after-exit")
    browser.back()
    wait(browser, lambda: browser.title == "Start")
    assert browser.current_url == f"{other_site}/start.html"  # the charity page is no longer in the history
    browser.forward()
    wait(browser, lambda: browser.title == "Weather")
    no_trace_left(browser, [other_site, WEB])


def test_shift_three_times_exits_but_shift_for_capitals_does_not(stack, browser, other_site: str) -> None:
    browser.get(f"{other_site}/start.html")
    open_widget(browser, f"{other_site}/charity.html")
    box = element(browser, "#psa-input")
    box.click()
    for _ in range(3):
        ActionChains(browser).key_down(Keys.SHIFT).send_keys("a").key_up(Keys.SHIFT).perform()
    assert box.get_attribute("value") == "AAA" and browser.title == "A charity page"

    def shift() -> None:
        ActionChains(browser).key_down(Keys.SHIFT).key_up(Keys.SHIFT).perform()

    shift()
    shift()
    assert "1 more time" in js(browser, "return root.querySelector('.psa > [role=status]').textContent;")
    shift()
    wait(browser, lambda: browser.current_url == f"{other_site}/weather.html")
    browser.back()
    wait(browser, lambda: browser.title == "Start")
    no_trace_left(browser, [other_site, WEB])


# ---- when things go wrong (these stop services: keep them last, in this order) ---------------------------


def _stop(service: Service) -> None:
    assert service.process is not None
    os.killpg(service.process.pid, signal.SIGTERM)
    service.process.wait(timeout=15)


RATE_LIMIT = 20


def test_sending_too_fast_is_explained_with_help_and_the_message_kept(stack, browser) -> None:
    open_widget(browser, f"{WEB}/")  # the welcome is the first message of the minute
    for number in range(RATE_LIMIT - 1):
        say(browser, f"hello {number}")
    type_message(browser, "one more hello")
    wait(browser, lambda: element(browser, ".psa-alert__box").is_displayed())
    alert = element(browser, ".psa-alert").text
    assert "faster than I can take them" in alert and "999" in alert and "116 123" in alert
    assert element(browser, "#psa-input").get_attribute("value") == "one more hello"  # nothing lost
    element(browser, ".psa-help-button[aria-controls='psa-help']").click()
    assert "116 123" in element(browser, "#psa-help").text  # Help now is never held up
    screenshot(browser, "widget-slowed-down")


def test_connection_drop_gives_help_then_reconnects(stack, browser) -> None:
    web = next(s for s in stack if s.name == "web service")
    open_widget(browser, f"{WEB}/")
    _stop(web)
    type_message(browser, "hello again")
    wait(browser, lambda: element(browser, ".psa-alert__box").is_displayed())
    alert = element(browser, ".psa-alert").text
    assert "can't reach the assistant" in alert and "999" in alert and "116 123" in alert  # kept from the config
    assert "Not sent yet" in messages(browser)[-1][1]
    screenshot(browser, "widget-connection-lost")
    element(browser, ".psa-help-button[aria-controls='psa-help']").click()
    assert "116 123" in element(browser, "#psa-help").text  # Help now works with no server at all

    restart(web)
    wait(browser, lambda: "connected again" in element(browser, ".psa-alert").text, timeout=60)
    before = bot_count(browser)
    element(browser, ".psa-retry").click()
    wait_for_reply(browser, before)
    assert ("me", "hello again") in messages(browser) and not element(browser, ".psa-alert__box").is_displayed()


def test_help_now_with_the_assistant_server_stopped(stack, browser) -> None:
    rasa = next(s for s in stack if s.name == "Rasa server")
    _stop(rasa)
    browser.get(f"{WEB}/")
    wait(
        browser,
        lambda: element(browser, ".psa-alert__box") is not None and element(browser, ".psa-alert__box").is_displayed(),
    )
    alert = element(browser, ".psa-alert").text
    assert "can't reach the assistant" in alert and "999" in alert and "116 123" in alert
    element(browser, ".psa-help-button[aria-controls='psa-help']").click()
    help_text = element(browser, "#psa-help").text
    assert "999" in help_text and "Samaritans" in help_text and "116 123" in help_text
    screenshot(browser, "widget-help-now-assistant-down")
    type_message(browser, "is anyone there")
    wait(browser, lambda: "Not sent yet" in messages(browser)[-1][1])
    assert element(browser, ".psa-retry").is_displayed()
    screenshot(browser, "widget-message-not-sent-assistant-down")
