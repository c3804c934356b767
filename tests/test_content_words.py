"""The short words that used to be in code live in content/ (bot/content/words.py): the chat's standard
buttons (messages.yml `buttons:`), statuses, priorities and the staff pages' headings and notes (staff.yml),
the web service's words to parents and the widget's (web.yml). An edit shows on the page or in the reply;
a missing, empty or broken one is a content-check error naming the file and the key, and never goes live."""

from __future__ import annotations

import io
import json
import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

from bot import cli, conversation
from bot.config import load_settings
from bot.content.check import check_content
from bot.content.loader import load_content
from bot.content.store import ContentStore
from bot.handoff.form import REFERRAL_NEEDS
from bot.web.app import create_app
from tests.helpers import NO_NODE, SHIPPED_CONTENT_DIR, run_widget, save
from tests.helpers import edit_content as edit
from tests.staff_support import PASSWORD, REF, Staff

TODAY = date(2026, 11, 22)
SENDER = "0b6c9d3e5f7a4b1c9d2e3f4a5b6c7d8e"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SHIPPED_CONTENT_DIR, tmp_path / "content"))


def errors_for(root: Path) -> list[str]:
    content, loaded = load_content(root)
    return [str(f) for f in check_content(content, loaded, TODAY, REFERRAL_NEEDS) if f.is_error]


# ---- the check ---------------------------------------------------------------------------------------------


def test_the_shipped_content_words_everything_the_code_needs() -> None:
    assert errors_for(SHIPPED_CONTENT_DIR) == []


@pytest.mark.parametrize(
    ("file", "change", "expected"),
    [
        ("messages.yml", lambda d: d["buttons"].pop("next"),
         'ERROR content/messages.yml, "buttons": missing "next": the code needs this label'),
        ("messages.yml", lambda d: d.pop("buttons"), 'ERROR content/messages.yml, "buttons": missing "help_now"'),
        ("web.yml", lambda d: d["widget"].pop("exit"), 'ERROR content/web.yml, "widget": missing "exit": the code needs this label'),
        ("web.yml", lambda d: d["widget"].update(help_now="  "), 'ERROR content/web.yml, "widget", "help_now": needs some words'),
        ("web.yml", lambda d: d["chat_errors"].update(unavailable=None),
         'ERROR content/web.yml, "chat_errors", "unavailable": should be words'),
        ("web.yml", lambda d: d["notes_errors"].update(too_fast="Please wait, then try again."),
         'ERROR content/web.yml, "notes_errors", "too_fast": these words must use {seconds}'),
        ("web.yml", lambda d: d["widget"].update(exit="Exit\u202e this page"),
         'ERROR content/web.yml, "widget", "exit": should be one line, without invisible characters'),
        ("web.yml", lambda d: d["widget"].update(notice="x" * 201), 'ERROR content/web.yml, "widget", "notice": is 201 characters long'),
        ("staff.yml", lambda d: d["statuses"].pop("closed"), 'ERROR content/staff.yml, "statuses": missing "closed": the code needs this label'),
        ("staff.yml", lambda d: d["priorities"].update(urgent=True), 'ERROR content/staff.yml, "priorities", "urgent": should be words'),
        ("staff.yml", lambda d: d["pages"].pop("referrals"), 'ERROR content/staff.yml, "pages": missing "referrals": the code needs this label'),
        ("staff.yml", lambda d: d["flash"].update(status_changed="Status changed to {state}."),
         'ERROR content/staff.yml, "flash", "status_changed": these words must use {status}'),
        ("staff.yml", lambda d: d["flash"].update(erased="{reference.__class__} erased."),
         'ERROR content/staff.yml, "flash", "erased": use curly brackets only around a name'),
    ],
    ids=[
        "a button", "every button", "a widget word", "an empty one", "no words", "a placeholder dropped",
        "bidi override", "oversized", "a status", "yaml true", "a heading", "a wrong placeholder", "attribute access",
    ],
)
def test_a_missing_or_broken_word_is_an_error_naming_the_file_and_key(copy: Path, file: str, change, expected: str) -> None:
    edit(copy, file, change)
    assert any(e.startswith(expected) for e in errors_for(copy)), errors_for(copy)


def test_without_web_yml_the_check_says_the_file_is_missing(copy: Path) -> None:
    (copy / "web.yml").unlink()
    errors = errors_for(copy)
    assert "ERROR content/web.yml: this file is missing" in errors
    assert 'ERROR content/web.yml, "widget": missing "exit": the code needs this label' in errors


def test_the_content_check_command_fails_and_names_the_file_and_key(
    copy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(copy, "web.yml", lambda d: d["widget"].pop("help_now"))
    monkeypatch.setenv("CONTENT_DIR", str(copy))
    assert cli.main(["content", "check", "--quiet"]) == 1
    assert 'ERROR content/web.yml, "widget": missing "help_now": the code needs this label' in capsys.readouterr().out


# ---- the chat's buttons ----------------------------------------------------------------------------------------


def test_an_edited_button_word_reaches_the_parent_and_a_broken_one_never_does(copy: Path) -> None:
    store = ContentStore(copy, REFERRAL_NEEDS)
    titles = [b["title"] for b in conversation.start_topic(store.get(), "grooming").messages[0].buttons]
    assert "Talk to someone" in titles and "I need help now" in titles
    edit(copy, "messages.yml", lambda d: d["buttons"].update(talk_to_someone="Speak to a person", carry_on="Back to {topic}"))
    content = store.get()
    titles = [b["title"] for b in conversation.start_topic(content, "grooming").messages[0].buttons]
    assert "Speak to a person" in titles and "Talk to someone" not in titles
    resume = conversation.resume_offer(content, conversation.Place("grooming", content.topics["grooming"].steps[0].id))
    assert resume is not None and resume.buttons[0]["title"] == f"Back to {content.topics['grooming'].title}"
    edit(copy, "messages.yml", lambda d: d["buttons"].pop("help_now"))
    titles = [b["title"] for b in conversation.start_topic(store.get(), "grooming").messages[0].buttons]
    assert "Speak to a person" in titles and "I need help now" in titles  # the last good wording stays
    assert any('missing "help_now"' in str(problem) for problem in store.last_problems)


# ---- the staff pages ---------------------------------------------------------------------------------------------


async def test_edited_statuses_headings_and_notes_show_on_the_staff_pages(staff: Staff, copy: Path) -> None:
    staff.ctx.content = ContentStore(copy, REFERRAL_NEEDS)
    save(staff.store, 0)
    token = await staff.sign_in()

    def reword(data: dict) -> None:
        data["statuses"]["new"] = "Waiting for a call"
        data["priorities"]["standard"] = "Routine"
        data["pages"]["referrals"] = "Hand-offs to ring back"
        data["pages"]["staff_notes"] = "The team's own notes"
        data["flash"]["note_added"] = "Your note is on the referral."

    edit(copy, "staff.yml", reword)
    queue = await (await staff.client.get("/staff/")).text()
    assert "<h1>Hand-offs to ring back</h1>" in queue and "Waiting for a call" in queue and "Routine" in queue
    page = await (await staff.client.get(f"/staff/referrals/{REF}")).text()
    assert "The team&#39;s own notes" in page or "The team's own notes" in page
    added = await staff.client.post(f"/staff/referrals/{REF}/notes", data={"body": "Rang, no answer", "csrf_token": token})
    assert "Your note is on the referral." in await added.text()


def test_the_accounts_page_words_every_role_there_is() -> None:
    from bot.content.words import STAFF_PAGE_WORDS
    from bot.storage.models import STAFF_ROLES

    assert set(STAFF_PAGE_WORDS["roles"]) == set(STAFF_ROLES)


async def test_edited_role_and_finding_words_show_on_the_admin_and_check_pages(staff: Staff, copy: Path) -> None:
    staff.ctx.content = ContentStore(copy, REFERRAL_NEEDS)
    staff.ctx.settings = staff.ctx.settings.copy(update=dict(content_dir=copy))
    edit(copy, "staff.yml", lambda d: (d["roles"].update(editor="Editor: changes the words, sees no referral"),
                                       d["findings"].update(warning="Have a look")))
    await staff.sign_in("root")
    accounts = await (await staff.client.get("/staff/accounts")).text()
    assert "Editor: changes the words, sees no referral" in accounts
    check = await (await staff.client.get("/staff/content/check")).text()
    assert "<strong>Have a look</strong>" in check and "Worth a look" not in check


async def test_a_broken_topic_before_start_up_still_lets_staff_sign_in_with_the_words_of_staff_yml(
    staff: Staff, copy: Path
) -> None:
    edit(copy, "topics/grooming.yml", lambda d: d.update(steps="not a list"))
    staff.ctx.content = ContentStore(copy, REFERRAL_NEEDS)
    edit(copy, "staff.yml", lambda d: d["pages"].update(sign_in="Sign in to the team's pages"))
    page = await (await staff.client.get("/staff/login")).text()
    assert "Sign in to the team" in page
    edit(copy, "staff.yml", lambda d: d["pages"].pop("sign_in"))
    response = await staff.client.get("/staff/login")
    assert response.status == 503 and "the wording in content/ does not load" in await response.text()


# ---- what the web service says to parents ------------------------------------------------------------------------


@pytest.fixture
async def web(aiohttp_client, fake_rasa, copy: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN001, ANN201
    monkeypatch.setenv("WIDGET_ALLOWED_ORIGINS", "https://www.charity.example")
    settings = load_settings(env_file=None).copy(update=dict(rasa_url=fake_rasa.url, content_dir=copy))
    return await aiohttp_client(create_app(settings))


async def test_edited_error_words_reach_the_parent(web, copy: Path) -> None:  # noqa: ANN001
    edit(copy, "web.yml", lambda d: (d["chat_errors"].update(not_allowed="This site cannot use the chat."),
                                     d["notes_errors"].update(nothing_yet="Your notes are empty.")))
    refused = await web.post("/api/chat", json={"sender": SENDER, "message": "hi"}, headers={"Origin": "https://evil.example"})
    assert refused.status == 403 and (await refused.json())["error"] == "This site cannot use the chat."
    empty = await web.post("/notes/page", json={"sender": SENDER, "entries": [], "sheet": {}})
    assert empty.status == 400 and (await empty.json())["error"] == "Your notes are empty."


async def test_the_widget_gets_its_words_from_content_and_keeps_the_last_good_ones(web, copy: Path) -> None:  # noqa: ANN001
    config = await (await web.get("/widget/config.json")).json()
    assert config["words"]["exit"] == "Exit this page" and config["notes"]["words"]["save_pdf"] == "Save as a PDF"
    edit(copy, "web.yml", lambda d: (d["widget"].update(exit="Leave this page now"), d["widget_notes"].update(save_pdf="Keep as a PDF")))
    config = await (await web.get("/widget/config.json")).json()
    assert config["words"]["exit"] == "Leave this page now" and config["notes"]["words"]["save_pdf"] == "Keep as a PDF"
    edit(copy, "web.yml", lambda d: d["widget"].pop("help_now"))
    config = await (await web.get("/widget/config.json")).json()
    assert config["words"]["exit"] == "Leave this page now" and config["words"]["help_now"] == "Help now"


# ---- the widget itself, run in Node -------------------------------------------------------------------------------


# What a parent sees or hears as soon as the chat opens and answers (the rest appears later, or on a tap).
SHOWN_AT_ONCE = (
    "title", "exit", "help_now", "launch", "close", "close_label", "notice", "hide_note", "safety_title", "safety_1",
    "safety_2", "safety_3", "safety_4", "safety_5", "conversation_label", "send", "message_label", "message_hint",
    "clear", "safety_toggle", "you", "assistant", "replies_label",
)


@pytest.mark.skipif(NO_NODE, reason="needs Node.js to run the widget (the browser tests run it too)")
def test_the_widget_shows_the_configs_words_in_place_of_its_own() -> None:
    shipped = yaml.safe_load((SHIPPED_CONTENT_DIR / "web.yml").read_text(encoding="utf-8"))["widget"]
    words = {key: f"[{key}] <b>x</b>" for key in shipped}
    report = run_widget("Hello", "hi", words=words)
    assert report["error"] is None and report["trapped"] == []
    texts = " | ".join(report["texts"])
    for key in SHOWN_AT_ONCE:
        assert f"[{key}] <b>x</b>" in texts, key  # as text: markup in a word is never markup
    for shipped_words in (shipped["exit"], shipped["launch"], shipped["notice"], shipped["safety_1"]):
        assert shipped_words not in texts


@pytest.mark.skipif(NO_NODE, reason="needs Node.js to run the widget (the browser tests run it too)")
@pytest.mark.parametrize(
    "words",
    [None, {"exit": "", "help_now": 7, "launch": ["a"], "__proto__": {"send": "Forged"}, "not_a_word": "Injected"}],
    ids=["no words in the config", "forged or empty words"],
)
def test_without_usable_words_the_widget_keeps_its_own(words: dict | None) -> None:
    shipped = yaml.safe_load((SHIPPED_CONTENT_DIR / "web.yml").read_text(encoding="utf-8"))["widget"]
    report = run_widget("Hello", "hi", words=words)
    assert report["error"] is None
    texts = report["texts"]
    for key in ("exit", "help_now", "launch", "send"):
        assert shipped[key] in texts, key
    assert "Forged" not in texts and "Injected" not in texts


@pytest.mark.skipif(NO_NODE, reason="needs Node.js to run the widget (the browser tests run it too)")
def test_with_no_config_at_all_the_widget_still_has_help_now_exit_and_999() -> None:
    report = run_widget("Hello", "hi", config_help="down")
    assert report["error"] is None
    assert {"Exit this page", "Help now", "Chat with us"} <= set(report["texts"])
    assert report["help"] == "If anyone is in danger right now, call 999."


# ---- the words moved last (issue 14): validation, errors, the queue, the demo page, dates -------------------------


@pytest.mark.parametrize(
    ("file", "change", "expected"),
    [
        ("web.yml", lambda d: d["chat_errors"].update(too_long="That message is too long."),
         'ERROR content/web.yml, "chat_errors", "too_long": these words must use {count}, {max}'),
        ("web.yml", lambda d: d["notes_errors"].pop("unreadable"), 'ERROR content/web.yml, "notes_errors": missing "unreadable"'),
        ("web.yml", lambda d: d["widget_notes"].pop("month_december"), 'ERROR content/web.yml, "widget_notes": missing "month_december"'),
        ("web.yml", lambda d: d["widget_notes"].update(entry_date="{weekday} {day} {month}"),
         'ERROR content/web.yml, "widget_notes", "entry_date": these words must use {day}, {month}, {weekday}, {year}'),
        ("web.yml", lambda d: d["demo"].update(intro=" "), 'ERROR content/web.yml, "demo", "intro": needs some words'),
        ("staff.yml", lambda d: d["errors"].update(referral_gone="There is no referral {ref}."),
         'ERROR content/staff.yml, "errors", "referral_gone": these words must use {reference}'),
        ("staff.yml", lambda d: d["error_pages"].pop("not_found_title"), 'ERROR content/staff.yml, "error_pages": missing "not_found_title"'),
        ("staff.yml", lambda d: d["queue"].update(page_of="Page {number}"),
         'ERROR content/staff.yml, "queue", "page_of": these words must use {number}, {pages}'),
        ("staff.yml", lambda d: d["labels"].pop("change_role"), 'ERROR content/staff.yml, "labels": missing "change_role"'),
        ("staff.yml", lambda d: d.pop("errors"), 'ERROR content/staff.yml, "errors": missing "sign_in_failed"'),
    ],
    ids=[
        "a placeholder dropped", "a notes error", "a month", "the date without its year", "the demo page",
        "a wrong placeholder", "an error page heading", "the queue", "a button", "every error",
    ],
)
def test_a_missing_or_broken_moved_word_is_an_error_naming_the_file_and_key(copy: Path, file: str, change, expected: str) -> None:
    edit(copy, file, change)
    assert any(e.startswith(expected) for e in errors_for(copy)), errors_for(copy)


async def test_reworded_validation_messages_reach_the_parent_and_a_broken_edit_keeps_them(
    web, copy: Path, monkeypatch: pytest.MonkeyPatch  # noqa: ANN001
) -> None:
    too_long = {"sender": SENDER, "message": "a" * 1001}  # over the default MAX_MESSAGE_CHARS, 1000
    said = (await (await web.post("/api/chat", json=too_long)).json())["error"]
    assert said == ("That message is too long (1001 characters). Please keep it under 1000, or send it in parts. "
                    "Your text is still in the box.")

    def reword(data: dict) -> None:
        data["chat_errors"].update(too_long="Over {max} characters ({count}): please shorten it.", bad_sender="Reload the page.",
                                   not_found="Nothing lives here.")
        data["notes_errors"].update(unreadable="Your notes did not arrive whole ({where}, {rule}).")

    edit(copy, "web.yml", reword)
    response = await web.post("/api/chat", json=too_long)
    assert response.status == 413 and (await response.json())["error"] == "Over 1000 characters (1001): please shorten it."
    forged = await web.post("/api/chat", json={"sender": "../../etc", "message": "hi"})
    assert forged.status == 400 and (await forged.json())["error"] == "Reload the page."
    missing = await web.get("/api/nothing-here")
    assert missing.status == 404 and (await missing.json())["error"] == "Nothing lives here."
    notes = await web.post("/notes/page", json={"sender": SENDER, "entries": "not a list"})
    assert notes.status == 400 and (await notes.json())["error"] == "Your notes did not arrive whole (entries, type)."
    edit(copy, "web.yml", lambda d: d["chat_errors"].update(too_long="Too long: {max}"))  # {count} dropped
    response = await web.post("/api/chat", json=too_long)
    assert (await response.json())["error"] == "Over 1000 characters (1001): please shorten it."  # the last good words


async def test_a_reworded_email_refusal_reaches_the_parent(aiohttp_client, fake_rasa, copy: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_FROM", "notes@charity.example")
    settings = load_settings(env_file=None).copy(update=dict(rasa_url=fake_rasa.url, content_dir=copy))
    client = await aiohttp_client(create_app(settings))
    edit(copy, "web.yml", lambda d: d["notes_errors"].update(email_not_valid="Check the address, like name@example.com."))
    body = {"sender": SENDER, "entries": [{"what": "A car"}], "to": "not an address"}
    refused = await client.post("/notes/email", json=body)
    assert refused.status == 400 and (await refused.json())["error"] == "Check the address, like name@example.com."


async def test_the_notes_dates_are_worded_from_web_yml_on_the_documents_and_for_the_widget(web, copy: Path) -> None:  # noqa: ANN001
    notes = {"sender": SENDER, "entries": [{"date": "2025-12-01", "time": "21:30", "what": "A car"}, {"what": "A van"}]}
    page = await (await web.post("/notes/page", json=notes)).text()
    assert "Monday 1 December 2025, 21:30" in page and "Date not given" in page

    def reword(data: dict) -> None:
        data["widget_notes"].update(day_monday="Dydd Llun", month_december="Rhagfyr", entry_date="{weekday}, {day} {month} {year}",
                                    entry_date_time="{date} am {time}", no_date="Dim dyddiad")

    edit(copy, "web.yml", reword)
    page = await (await web.post("/notes/page", json=notes)).text()
    assert "Dydd Llun, 1 Rhagfyr 2025 am 21:30" in page and "Dim dyddiad" in page and "December" not in page
    widget = (await (await web.get("/widget/config.json")).json())["notes"]["words"]
    assert (widget["day_monday"], widget["month_december"], widget["entry_date"]) == ("Dydd Llun", "Rhagfyr", "{weekday}, {day} {month} {year}")
    edit(copy, "web.yml", lambda d: d["widget_notes"].update(entry_date="{weekday} {month}"))  # the day and year dropped
    page = await (await web.post("/notes/page", json=notes)).text()
    assert "Dydd Llun, 1 Rhagfyr 2025 am 21:30" in page  # the last good wording


async def test_the_demo_page_is_worded_from_web_yml(web, copy: Path) -> None:  # noqa: ANN001
    page = await (await web.get("/")).text()
    assert "<h1>Support for parents and carers</h1>" in page and "Open it with Chat with us." in page
    edit(copy, "web.yml", lambda d: (d["demo"].update(title="Help for families", intro="You are not to blame."),
                                     d["widget"].update(launch="Talk to the assistant")))
    page = await (await web.get("/")).text()
    assert "<title>Help for families</title>" in page and "<h1>Help for families</h1>" in page
    assert "You are not to blame." in page and "Open it with Talk to the assistant." in page
    assert "Support for parents and carers" not in page
    edit(copy, "web.yml", lambda d: d["demo"].pop("title"))
    assert "<h1>Help for families</h1>" in await (await web.get("/")).text()  # the last good wording


async def test_reworded_staff_errors_and_error_pages_show_and_a_broken_edit_keeps_them(staff: Staff, copy: Path) -> None:
    staff.ctx.content = ContentStore(copy, REFERRAL_NEEDS)
    api = await staff.client.get("/staff/api/queue")
    assert api.status == 401 and await api.json() == {"error": "Please sign in."}

    def reword(data: dict) -> None:
        data["errors"].update(sign_in_first="Sign in, please.", referral_gone="No referral {reference} here.",
                              sign_in_failed="Those details do not match.")
        data["error_pages"].update(not_found_title="Nothing here", not_found="No such page, sorry.")

    edit(copy, "staff.yml", reword)
    api = await staff.client.get("/staff/api/queue")
    assert api.status == 401 and await api.json() == {"error": "Sign in, please."}
    failed = await staff.login("alice", "wrong password")
    assert failed.status == 401 and "Those details do not match." in await failed.text()
    await staff.sign_in()
    gone = await staff.client.get("/staff/referrals/ACDE-FG34")
    assert gone.status == 404
    text = await gone.text()
    assert "<h1>Nothing here</h1>" in text and "No referral ACDE-FG34 here." in text
    page = await staff.client.get("/staff/no-such-page")
    assert page.status == 404 and "No such page, sorry." in await page.text()
    edit(copy, "staff.yml", lambda d: d["errors"].update(referral_gone="No referral here."))  # {reference} dropped
    assert "No referral ACDE-FG34 here." in await (await staff.client.get("/staff/referrals/ACDE-FG34")).text()


async def test_the_sign_in_throttle_is_worded_from_staff_yml(staff: Staff, copy: Path) -> None:
    staff.ctx.content = ContentStore(copy, REFERRAL_NEEDS)
    edit(copy, "staff.yml", lambda d: d["errors"].update(sign_in_throttled="Slow down: wait {wait}.", wait_one_second="a second"))
    for _ in range(3):
        assert (await staff.login("alice", "wrong password")).status == 401
    throttled = await staff.login("alice", PASSWORD)
    assert throttled.status == 429 and "Slow down: wait a second." in await throttled.text()


async def test_the_queue_filters_table_and_buttons_are_worded_from_staff_yml(staff: Staff, copy: Path) -> None:
    staff.ctx.content = ContentStore(copy, REFERRAL_NEEDS)
    save(staff.store, 0)
    await staff.sign_in()
    queue = await (await staff.client.get("/staff/")).text()
    assert '<label for="status">Status</label>' in queue and "1 referral, urgent first, then oldest first" in queue

    def reword(data: dict) -> None:
        data["queue"].update(status="State", status_open="Still open", received="Came in", show="Filter",
                             caption_one="{count} hand-off, most urgent first")
        data["labels"].update(change_status="Set the status", copy_summary="Copy the text", just_now="a moment ago",
                              route="Ring or write to", add_a_note="Write a note for the team",
                              when="{weekday} {day} {month} {year} at {time}", month_nov="Tach")

    edit(copy, "staff.yml", reword)
    queue = await (await staff.client.get("/staff/")).text()
    assert '<label for="status">State</label>' in queue and ">Still open</option>" in queue
    assert '<th scope="col">Came in</th>' in queue and '<button type="submit">Filter</button>' in queue
    assert "1 hand-off, most urgent first" in queue and "Open (not closed)" not in queue
    assert '<span class="muted">a moment ago</span>' in queue and "just now" not in queue
    referral = await (await staff.client.get(f"/staff/referrals/{REF}")).text()
    assert "Set the status</button>" in referral and "Copy the text</button>" in referral
    assert "<dt>Ring or write to</dt>" in referral and ">Write a note for the team</label>" in referral
    assert "Sun 22 Tach 2026 at 23:10" in queue and "22 Nov 2026" not in queue  # received at NOW (tests/helpers.py)
    edit(copy, "staff.yml", lambda d: d["queue"].update(caption_one="A hand-off"))  # {count} dropped
    assert "1 hand-off, most urgent first" in await (await staff.client.get("/staff/")).text()


# ---- the widget's own words, for when its config never arrives --------------------------------------------------

FALLBACK_READER = r"""
const source = require("fs").readFileSync(process.argv[1], "utf8");
const start = source.indexOf("const FALLBACK_WORDS = {");
const end = source.indexOf("\n  };\n", start);
if (start < 0 || end < 0) throw new Error("FALLBACK_WORDS not found");
const literal = source.slice(source.indexOf("{", start), end + 4);
process.stdout.write(JSON.stringify(require("vm").runInNewContext("(" + literal + ")")));
"""


@pytest.mark.skipif(NO_NODE, reason="needs Node.js to evaluate the widget's script")
def test_the_widgets_own_words_are_the_words_of_web_yml() -> None:
    """The widget keeps its own copy of content/web.yml `widget:` for when /widget/config.json never arrives
    (Help now, Exit this page and the chat must still have their labels): the two may not drift apart."""
    import subprocess

    from tests.helpers import WIDGET_SCRIPT

    run = subprocess.run(["node", "-e", FALLBACK_READER, str(WIDGET_SCRIPT)], capture_output=True, text=True, check=True, timeout=60)
    shipped = yaml.safe_load((SHIPPED_CONTENT_DIR / "web.yml").read_text(encoding="utf-8"))["widget"]
    assert json.loads(run.stdout) == shipped


async def test_the_notes_pdf_footer_is_worded_from_web_yml(web, copy: Path) -> None:  # noqa: ANN001
    from pypdf import PdfReader

    notes = {"sender": SENDER, "entries": [{"date": "2025-12-01", "what": "A car"}]}
    edit(copy, "web.yml", lambda d: d["widget_notes"].update(pdf_page="Tudalen {number} o {pages}"))
    response = await web.post("/notes/pdf", json=notes)
    if response.status == 503:
        pytest.skip("no DejaVu font here for the PDF (fonts-dejavu-core)")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(await response.read())).pages)
    assert "Tudalen 1 o 1" in text and "Page 1 of" not in text


async def test_the_parents_notes_in_the_case_text_are_headed_from_staff_yml(staff: Staff, copy: Path) -> None:
    from datetime import datetime, timezone

    from bot.handoff.parent_notes import parent_notes_section, with_parent_notes

    staff.ctx.content = ContentStore(copy, REFERRAL_NEEDS)
    save(staff.store, 0)
    section = parent_notes_section([{"heading": "Monday 1 December 2025", "rows": [{"label": "What happened", "value": "A car"}]}],
                                   [{"label": "Clothes they often wear", "value": "Grey parka"}], datetime(2026, 11, 22, tzinfo=timezone.utc))
    assert staff.store.update_summary(f"{0:064x}", lambda s: with_parent_notes(s, section), actor="parent", action="parent_notes_added")
    edit(copy, "staff.yml", lambda d: d["case_text"].update(parent_notes="Notes from the parent, added {added}", missing_sheet="Missing-child sheet"))
    await staff.sign_in()
    page = await (await staff.client.get(f"/staff/referrals/{REF}")).text()
    assert "Notes from the parent, added 2026-11-22" in page and "  Missing-child sheet" in page
    assert "The parent&#39;s own notes (added" not in page


async def test_with_no_words_at_all_the_staff_api_still_answers_in_json(staff: Staff, copy: Path) -> None:
    edit(copy, "staff.yml", lambda d: d.pop("errors"))  # broken before the service starts: nothing ever loads
    staff.ctx.content = ContentStore(copy, REFERRAL_NEEDS)
    api = await staff.client.get("/staff/api/queue")
    assert api.status == 401 and await api.json() == {"error": "Unauthorized"}
    page = await staff.client.get("/staff/referrals/ACDE-FG34")  # signed out: to the sign-in page, which says why
    assert page.status == 503 and "the wording in content/ does not load" in await page.text()
