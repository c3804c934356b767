"""The parent's notes: plates, numbers and dates written the standard way, the schema, the documents (PDF
text read back, the printable page), and the email through a real local SMTP server."""

from __future__ import annotations

import io
import logging
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from pypdf import PdfReader

from bot.config import PROJECT_ROOT, get_settings, load_settings
from bot.content.loader import load_content
from bot.content.words import words as words_of
from bot.notes.document import build_document
from bot.notes.formatting import format_phones, normalise_plates, readable_date, readable_time
from bot.notes.mail import BadAddress, MailSettings, build_message, checked_address, one_line, send
from bot.notes.model import NotesError, parse_notes
from bot.notes.pdf import PdfUnavailable, render_pdf
from bot.notes.printable import render_page
from tests.smtp_support import smtp_server

SENDER = "0b6c9d3e5f7a4b1c"
CONTENT, _ = load_content(PROJECT_ROOT / "content")


# ---- plates, numbers, dates --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("ab12cde", "AB12 CDE"),
        ("silver Focus ab12 cde, then Ab12Cde", "silver Focus AB12 CDE, then AB12 CDE"),
        ("a123bcd", "A123 BCD"),  # prefix plates (1983-2001)
        ("abc123d", "ABC 123D"),  # suffix plates (1963-1983)
        ("A123 BCD", "A123 BCD"),
        ("on the M62 and the M6 toll", "on the M62 and the M6 toll"),  # roads are not plates
        ("1 ABC and ABC 1", "1 ABC and ABC 1"),  # dateless and cherished plates: as typed
        ("AB1 2CD maybe", "AB1 2CD maybe"),  # half-remembered: kept as typed, never rejected
        ("Zoë's car, X-trail", "Zoë's car, X-trail"),
    ],
)
def test_number_plates_are_written_the_standard_way_and_nothing_else_changes(typed: str, written: str) -> None:
    assert normalise_plates(typed) == written


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("07400123456", "07400 123456"),
        ("+447400123456 and 0044 7400 123456", "07400 123456 and 07400 123456"),
        ("(0161) 4960000", "0161 496 0000"),
        ("02079460018", "020 7946 0018"),
        ("+33 1 23 45 67 89", "+33 1 23 45 67 89"),
        ("his snap is kez_99, number 0740012", "his snap is kez_99, number 0740012"),  # too short: as typed
        ("ref 01234/5678/25", "ref 01234/5678/25"),  # a reference, not a number
    ],
)
def test_uk_phone_numbers_are_formatted_and_anything_else_kept(typed: str, written: str) -> None:
    assert format_phones(typed) == written


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("2025-12-01", "Monday 1 December 2025"),
        ("1/12/2025", "Monday 1 December 2025"),
        ("1.12.25", "Monday 1 December 2025"),
        ("2025-02-30", "2025-02-30"),
        ("last Tuesday night", "last Tuesday night"),
    ],
)
def test_dates_are_written_in_full_or_kept_as_typed(typed: str, written: str) -> None:
    assert readable_date(typed, CONTENT.web["widget_notes"]) == written


def test_times_are_24_hour_or_kept_as_typed() -> None:
    assert [readable_time(t) for t in ("9:05", "21.30", "25:00", "teatime")] == ["09:05", "21:30", "25:00", "teatime"]


# ---- what the widget may send ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (["a list"], 400, "could not be read"),
        ({"entries": []}, 400, "could not be read"),  # no conversation id
        ({"sender": "short", "entries": []}, 400, "sender"),
        ({"sender": SENDER, "entries": [{"what": 5}]}, 400, "entries/0/what"),
        ({"sender": SENDER, "entries": [{"what": "x", "html": "<b>"}]}, 400, "additionalProperties"),
        ({"sender": SENDER, "entries": {"what": "x"}}, 400, "entries"),
        ({"sender": SENDER, "sheet": {"name": ["Zoë"]}}, 400, "sheet/name"),
        ({"sender": SENDER, "entries": [{"what": "x" * 4001}]}, 413, "too long"),
        ({"sender": SENDER, "entries": [{"what": "x"}] * 201}, 413, "200 entries"),
        ({"sender": SENDER, "consent": "yes"}, 400, "consent"),
    ],
)
def test_anything_but_the_widgets_shape_is_refused_saying_where(body: object, status: int, words: str) -> None:
    with pytest.raises(NotesError) as refused:
        parse_notes(body)
    said = words_of(CONTENT, "notes_errors", refused.value.key, **refused.value.values)
    assert refused.value.status == status and words in said


def test_invisible_and_control_characters_are_removed_and_empty_boxes_dropped() -> None:
    notes = parse_notes(
        {
            "sender": SENDER,
            "entries": [{"what": "da\u200bnger\u202e \x00car", "people": "   "}, {"people": "\u200b"}],
            "sheet": {"name": "Sia\u0302n", "medical": ""},
        }
    )
    assert notes.entries == ({"what": "danger car"},)
    assert notes.sheet == {"name": "Siân"}


# ---- the documents -----------------------------------------------------------------------------------

HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">'
NOTES = parse_notes(
    {
        "sender": SENDER,
        "entries": [
            {"date": "2025-12-02", "time": "21:30", "what": f"A car outside school {HOSTILE}", "vehicles": "silver ab12cde"},
            {"what": "Undated worry, written first"},
            {"date": "2025-12-01", "what": "Zoë came home late. Siân Ó Briain drove", "phones": "07400123456"},
        ],
        "sheet": {"clothing": "Grey parka", "phones_accounts": "07400123456, snap kez_99"},
    }
)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_pdf_has_the_notes_in_time_order_with_plates_numbers_and_the_missing_steps() -> None:
    data = render_pdf(build_document(NOTES, CONTENT))
    text = pdf_text(data)
    assert text.index("Monday 1 December 2025") < text.index("Tuesday 2 December 2025, 21:30") < text.index("Date not given")
    assert "Zoë came home late. Siân Ó Briain drove" in text  # accents kept (a Unicode font)
    assert "silver AB12 CDE" in text and text.count("07400 123456") == 2
    assert HOSTILE in text  # markup is only text in a PDF
    assert "My notes for the police" in text and "If my child goes missing" in text
    assert "What your child looks like" in text  # every box of the sheet, the empty ones to fill in by hand
    assert "What to do if your child goes missing" in text and "no need to wait 24 hours" in text
    assert "call 999" in text and "{{" not in text  # the missing topic's own steps, with the numbers filled in


def test_the_pdf_has_a_title_a_language_and_tagged_headings_in_its_outline() -> None:
    reader = PdfReader(io.BytesIO(render_pdf(build_document(NOTES, CONTENT))))
    catalog = reader.trailer["/Root"]
    assert reader.metadata.title == "My notes"
    assert catalog["/Lang"] == "en-GB" and catalog["/MarkInfo"]["/Marked"] and "/StructTreeRoot" in catalog
    assert [item.title for item in reader.outline if not isinstance(item, list)] == [
        "My notes for the police",
        "If my child goes missing",
    ]


def test_odd_unicode_never_breaks_the_pdf_and_is_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    odd = "中文 ☃ \U0001f494 \u0645\u0631\u062d\u0628\u0627 \U0001d54f e\u0301"
    notes = parse_notes({"sender": SENDER, "entries": [{"what": odd}], "sheet": {"name": "\U000e0041"}})
    with caplog.at_level(logging.DEBUG):
        text = pdf_text(render_pdf(build_document(notes, CONTENT)))
    assert "?" in text  # what the font cannot draw shows as a question mark, never a crash
    assert all(ch not in caplog.text for ch in "中文☃")
    assert "glyph" not in caplog.text.lower() and "uni4E2D" not in caplog.text  # fontTools names no glyphs


def test_without_the_font_the_pdf_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NOTES_FONT_DIR", str(tmp_path))
    get_settings.cache_clear()
    with pytest.raises(PdfUnavailable, match="fonts-dejavu-core"):
        render_pdf(build_document(NOTES, CONTENT))


def test_the_printable_page_escapes_the_notes_and_runs_nothing() -> None:
    page = render_page(build_document(NOTES, CONTENT))
    assert HOSTILE not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<script") == 0 and "default-src 'none'" in page
    assert '<html lang="en-GB">' in page and "<title>My notes</title>" in page
    assert "<h2" in page and "<h3>Monday 1 December 2025</h3>" in page
    assert "silver AB12 CDE" in page


def test_empty_notes_make_no_parts() -> None:
    assert build_document(parse_notes({"sender": SENDER}), CONTENT).parts == ()


# ---- email ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    ["parent@example.org\r\nBcc: x@example.net", "a@example.org, b@example.org", "not an address", "x" * 300 + "@e.org",
     "<a@example.org>", "parent@exa mple.org"],
)
def test_addresses_that_could_add_a_header_or_a_recipient_are_refused(address: str) -> None:
    with pytest.raises(BadAddress):
        checked_address(address)


def test_a_subject_is_one_line_whatever_is_typed() -> None:
    assert one_line("Hi\r\nBcc: x@example.net\n", "Your notes") == "Hi Bcc: x@example.net"
    assert one_line(" \n ", "Your notes\n") == "Your notes"


def test_the_email_reaches_one_real_smtp_server_with_the_text_and_the_pdf() -> None:
    document = build_document(NOTES, CONTENT)
    with smtp_server() as inbox:
        settings = MailSettings(host="127.0.0.1", port=inbox.port, security="none", sender="assistant@example.org")
        message = build_message(
            settings,
            checked_address("Parent@Example.org"),
            one_line("Notes\r\nBcc: someone@example.net", "x"),
            document.plain_text(),
            ("document.pdf", render_pdf(document)),
        )
        send(settings, message)
    (received,) = inbox.messages
    assert received.recipients == ["Parent@example.org"]
    mail = message_from_bytes(received.content, policy=default)
    assert mail["Subject"] == "Notes Bcc: someone@example.net" and mail["Bcc"] is None
    body = mail.get_body(("plain",)).get_content()
    assert "silver AB12 CDE" in body and "Zoë came home late" in body
    (attachment,) = mail.iter_attachments()
    assert attachment.get_filename() == "document.pdf"
    assert "Zoë came home late" in pdf_text(attachment.get_content())


def test_email_is_off_without_a_server(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SMTP_HOST", "SMTP_FROM"):
        monkeypatch.setenv(name, "")
    assert not MailSettings.from_settings(load_settings(env_file=None)).enabled
