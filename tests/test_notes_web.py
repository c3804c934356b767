"""The /notes/ routes: a PDF, a printable page, an email through a real SMTP server, and a copy added to the
referral sent in the same conversation; refused when oversized, malformed, forged or too fast; nothing
logged, written or kept; and the copy shown to staff on the referral page and in the CSV export."""

from __future__ import annotations

import csv
import io
import logging
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from aiohttp import web
from pydantic import SecretStr
from pypdf import PdfReader

from bot.config import load_settings
from bot.handoff.form import CONSENT_ACTION
from bot.handoff.parent_notes import parent_notes_section, with_parent_notes
from bot.handoff.submit import Submission, submit
from bot.storage.crypto import Cipher, generate_key
from bot.storage.models import AuditLog
from bot.storage.repository import ReferralStore, SpoolDirectory, make_engine
from bot.web.app import create_app
from tests.helpers import migrated_sqlite, save
from tests.smtp_support import Inbox, smtp_server
from tests.staff_support import HOSTILE, REF, Staff

SENDER = "0b6c9d3e-5f7a-4b1c-9d2e-3f4a5b6c7d8e"
SECRET = "Kestrelwood van by the chip shop"
NOTES = {
    "sender": SENDER,
    "entries": [
        {"date": "2025-12-02", "time": "21:30", "what": SECRET, "vehicles": "ab12cde", "phones": "07400123456"},
        {"date": "2025-12-01", "what": f"Earlier {HOSTILE}"},
    ],
    "sheet": {"clothing": "Grey parka"},
}
STARTED = datetime(2026, 11, 22, 21, 0, tzinfo=timezone.utc)


# ---- a Rasa server that knows one conversation, and a web service with a real SMTP server ----------------


@pytest.fixture
async def rasa(aiohttp_server):
    """Answers the tracker of SENDER only: that conversation agreed to a referral at STARTED."""
    asked: list[dict] = []

    async def tracker(request: web.Request) -> web.Response:
        asked.append(dict(request.query))
        if request.match_info["sender"] != SENDER:
            return web.json_response({"events": []})
        events = [
            {"event": "user", "text": "talk to someone", "timestamp": STARTED.timestamp() - 5},
            {"event": "action", "name": CONSENT_ACTION, "timestamp": STARTED.timestamp()},
        ]
        return web.json_response({"sender_id": SENDER, "events": events})

    app = web.Application()
    app.router.add_get("/conversations/{sender}/tracker", tracker)
    server = await aiohttp_server(app)
    server.asked = asked
    return server


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as received:
        yield received


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ReferralStore:
    url = migrated_sqlite(tmp_path / "notes.db")
    key = generate_key()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DATA_ENCRYPTION_KEYS", key)
    return ReferralStore(make_engine(url), Cipher([key]))


@pytest.fixture
async def client(aiohttp_client, rasa, inbox: Inbox, database, monkeypatch: pytest.MonkeyPatch):
    for name, value in {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(inbox.port),
        "SMTP_SECURITY": "none",
        "SMTP_FROM": "assistant@example.org",
        "SMTP_USERNAME": "",
        "NOTES_RATE_PER_CONVERSATION": "1000/minute",
        "NOTES_RATE_PER_ADDRESS": "1000/minute",
    }.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(env_file=None).copy(update=dict(rasa_url=str(rasa.make_url("")).rstrip("/"), rasa_token=SecretStr("the-token")))
    return await aiohttp_client(create_app(settings))


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# ---- the documents and the email ---------------------------------------------------------------------


async def test_the_pdf_download_has_a_neutral_name_and_the_notes_in_time_order(client) -> None:
    response = await client.post("/notes/pdf", json=NOTES)
    assert response.status == 200 and response.content_type == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="document.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    text = pdf_text(await response.read())
    assert text.index("Earlier") < text.index(SECRET) and "AB12 CDE" in text and "07400 123456" in text


async def test_the_printable_page_is_a_download_with_markup_escaped_and_a_policy_that_runs_nothing(client) -> None:
    response = await client.post("/notes/page", json=NOTES)
    page = await response.text()
    assert response.status == 200 and response.content_type == "text/html"
    assert response.headers["Content-Disposition"] == 'attachment; filename="document.html"'
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert HOSTILE not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


async def test_the_email_goes_to_the_one_address_given_with_header_injection_refused(client, inbox: Inbox) -> None:
    bad = await client.post("/notes/email", json={**NOTES, "to": "parent@example.org\r\nBcc: x@example.net"})
    assert bad.status == 400 and "one email address" in (await bad.json())["error"]
    assert inbox.messages == []
    sent = await client.post(
        "/notes/email", json={**NOTES, "to": "parent@example.org", "subject": "Mine\r\nBcc: x@example.net"}
    )
    assert sent.status == 200 and "Nothing from your notes is kept" in (await sent.json())["message"]
    (received,) = inbox.messages
    assert received.recipients == ["parent@example.org"]
    mail = message_from_bytes(received.content, policy=default)
    assert mail["Subject"] == "Mine Bcc: x@example.net" and mail["Bcc"] is None and mail["From"] == "assistant@example.org"
    assert SECRET in mail.get_body(("plain",)).get_content()
    assert [part.get_filename() for part in mail.iter_attachments()] == ["document.pdf"]


async def test_an_smtp_server_that_is_down_is_a_plain_502(client, aiohttp_client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_PORT", "1")  # nothing listens there
    down = await aiohttp_client(create_app(load_settings(env_file=None)))
    response = await down.post("/notes/email", json={**NOTES, "to": "parent@example.org"})
    assert response.status == 502 and "still here" in (await response.json())["error"]


# ---- refusals ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/notes/pdf", "/notes/page", "/notes/email", "/notes/referral"])
@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"not json", {"Content-Type": "application/json"}, 400),
        (b'{"sender": "' + SENDER.encode() + b'", "entries": [[[[[[]]]]]]}', {"Content-Type": "application/json"}, 400),
        pytest.param(b"[" * 50_000, {"Content-Type": "application/json"}, 400, id="deeply-nested"),
        (b'{"sender": "' + SENDER.encode() + b'"}', {"Content-Type": "application/json"}, 400),  # nothing in it
        (b"sender=" + SENDER.encode(), {"Content-Type": "application/x-www-form-urlencoded"}, 415),  # a form elsewhere
        (b'{"sender": "x"}', {"Content-Type": "application/json", "Origin": "https://elsewhere.example"}, 403),
        (b'{"sender": "x"}', {"Content-Type": "application/json", "Origin": "null"}, 403),
        pytest.param(b"x" * (65 * 1024), {"Content-Type": "application/json"}, 413, id="over-64-KB"),
    ],
)
async def test_bad_requests_are_refused_plainly(client, path: str, body: bytes, headers: dict, status: int) -> None:
    response = await client.post(path, data=body, headers=headers)
    assert response.status == status
    assert isinstance((await response.json())["error"], str)


async def test_a_body_too_big_is_refused_before_it_is_read_whole_even_without_a_length(client) -> None:
    async def chunks():
        for _ in range(20):
            yield b"x" * 16 * 1024

    response = await client.post("/notes/pdf", data=chunks(), headers={"Content-Type": "application/json"})
    assert response.status == 413


async def test_one_conversation_downloading_too_fast_is_slowed(client, monkeypatch: pytest.MonkeyPatch, aiohttp_client) -> None:
    monkeypatch.setenv("NOTES_RATE_PER_CONVERSATION", "2/minute")
    slow = await aiohttp_client(create_app(load_settings(env_file=None)))
    statuses = [(await slow.post("/notes/page", json=NOTES)).status for _ in range(3)]
    assert statuses == [200, 200, 429]
    refused = await slow.post("/notes/page", json=NOTES)
    assert int(refused.headers["Retry-After"]) >= 1 and "still here" in (await refused.json())["error"]


async def test_the_widget_on_an_allowed_site_may_post_its_notes(aiohttp_client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIDGET_ALLOWED_ORIGINS", "https://charity.example")
    allowed = await aiohttp_client(create_app(load_settings(env_file=None)))
    preflight = await allowed.options(
        "/notes/pdf",
        headers={"Origin": "https://charity.example", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"},
    )
    assert preflight.status == 204
    response = await allowed.post("/notes/page", json=NOTES, headers={"Origin": "https://charity.example"})
    assert response.status == 200 and response.headers["Access-Control-Allow-Origin"] == "https://charity.example"


async def test_one_pdf_is_made_at_a_time_and_a_long_wait_is_a_plain_503(client) -> None:
    from bot.web.notes import NOTES_SERVICE

    service = client.app[NOTES_SERVICE]
    service.pdf_queue_seconds = 0.2
    await service.pdf_slot.acquire()  # another PDF is being made
    try:
        response = await client.post("/notes/pdf", json=NOTES)
        assert response.status == 503 and "still here" in (await response.json())["error"]
        assert (await client.post("/notes/page", json=NOTES)).status == 200  # the page needs no slot
    finally:
        service.pdf_slot.release()
    assert (await client.post("/notes/pdf", json=NOTES)).status == 200


# ---- privacy: nothing logged, nothing written --------------------------------------------------------


async def test_no_word_of_the_notes_is_logged_or_written_anywhere(client, inbox, caplog) -> None:
    written: list[str] = []

    def watch(event: str, args: tuple) -> None:
        if event == "open" and len(args) > 1 and isinstance(args[1], str) and any(m in args[1] for m in "wax+"):
            written.append(str(args[0]))
        elif event in ("sqlite3.connect", "os.rename", "os.remove", "shutil.copyfile"):
            written.append(f"{event} {args[0]}")

    watching = {"on": False}
    sys.addaudithook(lambda event, args: watch(event, args) if watching["on"] else None)
    with caplog.at_level(logging.DEBUG):
        watching["on"] = True
        try:
            for path in ("/notes/pdf", "/notes/page"):
                assert (await client.post(path, json=NOTES)).status == 200
            assert (await client.post("/notes/email", json={**NOTES, "to": "parent@example.org"})).status == 200
            assert (await client.post("/notes/pdf", json={**NOTES, "entries": [{"what": "x" * 5000}]})).status == 413
        finally:
            watching["on"] = False
    assert written == []  # no file opened for writing, no database opened, nothing moved or deleted
    # every record, with its arguments filled in, but those of mail.log: the test's own SMTP server
    ours = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail.log"))
    assert "POST /notes/email" in ours  # the log was captured
    for word in (SECRET, "Kestrelwood", "AB12", "ab12cde", "07400", "Grey parka", "parent@example.org", "alert(1)"):
        assert word not in ours, word


# ---- added to the referral, with consent -------------------------------------------------------------


def referral_of_sender(store: ReferralStore, tmp_path: Path) -> str:
    submission = Submission(
        sender_id=SENDER,
        answers={"preferred_name": "Sam", "include_transcript": False},
        safety_events=[],
        topics_viewed=["recording"],
        channel="rest",
        started_at=STARTED,
    )
    return submit(submission, lambda: store, SpoolDirectory(tmp_path / "spool", store.cipher), notify=False).reference


async def test_notes_are_added_to_this_conversations_referral_with_consent_only(client, rasa, database, tmp_path) -> None:
    reference = referral_of_sender(database, tmp_path)
    refused = await client.post("/notes/referral", json=NOTES)
    assert refused.status == 400 and "only if you say yes" in (await refused.json())["error"]
    assert "parent_notes" not in database.get(reference).summary

    added = await client.post("/notes/referral", json={**NOTES, "consent": True})
    assert added.status == 200 and "added to your referral" in (await added.json())["message"]
    assert rasa.asked[-1] == {"include_events": "ALL", "token": "the-token"}
    section = database.get(reference).summary["parent_notes"]
    assert [entry["heading"] for entry in section["entries"]] == ["Monday 1 December 2025", "Tuesday 2 December 2025, 21:30"]
    rows = {row["label"]: row["value"] for row in section["entries"][1]["rows"]}
    assert rows["What happened"] == SECRET and rows["Cars and other vehicles"] == "AB12 CDE"
    assert section["missing_sheet"] == [{"label": "Clothes they often wear", "value": "Grey parka"}]
    with database._session() as session:  # noqa: SLF001
        audit = [(row.actor, row.action, row.reference, row.detail) for row in session.query(AuditLog)]
    assert ("parent", "parent_notes_added", reference, "entries=2 missing_sheet=yes") in audit

    again = await client.post("/notes/referral", json={**NOTES, "entries": NOTES["entries"][:1], "consent": True})
    assert again.status == 200
    assert len(database.get(reference).summary["parent_notes"]["entries"]) == 1  # the newer copy replaces the old


async def test_another_conversation_cannot_add_to_a_referral_it_did_not_send(client, database, tmp_path) -> None:
    reference = referral_of_sender(database, tmp_path)
    other = {**NOTES, "sender": "f" * 32, "consent": True}
    response = await client.post("/notes/referral", json=other)
    assert response.status == 404 and "no referral from this chat" in (await response.json())["error"]
    assert "parent_notes" not in database.get(reference).summary


async def test_before_any_referral_the_parent_is_told_how_to_make_one(client) -> None:
    response = await client.post("/notes/referral", json={**NOTES, "consent": True})
    assert response.status == 404 and "Talk to someone" in (await response.json())["error"]


# ---- what staff see ------------------------------------------------------------------------------------


def add_notes(store: ReferralStore) -> None:
    entries = [
        {"heading": "Monday 1 December 2025", "rows": [{"label": "What happened", "value": f"A car {HOSTILE}"}]},
        {"heading": "Tuesday 2 December 2025, 21:30", "rows": [{"label": "Cars and other vehicles", "value": "AB12 CDE"}]},
    ]
    section = parent_notes_section(entries, [{"label": "Clothes they often wear", "value": "=Grey parka"}], STARTED)
    assert store.update_summary(f"{0:064x}", lambda s: with_parent_notes(s, section), actor="parent", action="parent_notes_added")


async def test_staff_see_the_parents_notes_escaped_on_the_referral_page_and_in_the_csv(staff: Staff) -> None:
    save(staff.store, 0)
    add_notes(staff.store)
    token = await staff.sign_in()
    page = await (await staff.client.get(f"/staff/referrals/{REF}")).text()
    assert "The parent&#39;s own notes" in page and "Tuesday 2 December 2025, 21:30" in page and "AB12 CDE" in page
    assert HOSTILE not in page and "A car &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.index("Monday 1 December 2025") < page.index("Tuesday 2 December 2025")
    assert "parent notes added" in page  # in the referral's history
    response = await staff.client.post("/staff/export", data={"reference": REF, "format": "csv", "csrf_token": token})
    (row,) = csv.DictReader(io.StringIO((await response.read()).decode("utf-8-sig")))
    assert row["parent_notes"].startswith("Monday 1 December 2025\nWhat happened: A car")
    assert "Clothes they often wear: =Grey parka" in row["parent_notes"]


def test_a_summary_without_parent_notes_still_matches_the_schema_and_a_wrong_one_does_not(database) -> None:
    from bot.handoff.summary import validate_summary
    from tests.helpers import make_summary

    summary = make_summary("ACDE-AAGH")
    validate_summary(summary)  # every summary saved before this section existed
    with pytest.raises(ValueError, match="parent_notes"):
        with_parent_notes(summary, {"added_at": "yesterday", "entries": [], "missing_sheet": None})


async def test_the_widget_config_carries_the_notes_wording_and_which_ways_to_keep_them(client) -> None:
    from bot.content.notes import LOG_FIELDS, SHEET_FIELDS

    notes = (await (await client.get("/widget/config.json")).json())["notes"]
    assert [f["key"] for f in notes["log"]["fields"]] == list(LOG_FIELDS)
    assert [f["key"] for f in notes["sheet"]["fields"]] == list(SHEET_FIELDS)
    assert "stays on this device" in notes["messages"]["download_warning"]
    assert notes["pdf"] is True and notes["email"] is True  # SMTP is set for these tests
