"""The short words that used to be in code live in content/ (bot/content/words.py): the chat's standard
buttons (messages.yml `buttons:`), statuses, priorities and the staff pages' headings and notes (staff.yml),
the web service's words to parents and the widget's (web.yml). An edit shows on the page or in the reply;
a missing, empty or broken one is a content-check error naming the file and the key, and never goes live."""

from __future__ import annotations

import os
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
from tests.staff_support import REF, Staff

TODAY = date(2026, 11, 22)
SENDER = "0b6c9d3e5f7a4b1c9d2e3f4a5b6c7d8e"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SHIPPED_CONTENT_DIR, tmp_path / "content"))


def edit(root: Path, file: str, change) -> None:  # noqa: ANN001 (a function of the file's data)
    """Change a YAML file of the copy and make its modification time move on, as a save would."""
    path = root / file
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000))


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
    settings = load_settings().copy(update=dict(rasa_url=fake_rasa.url, content_dir=copy))
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
