"""The parent's notes as one document, in the order and words every output shares (PDF, page, email).

Entries come in time order; plates and phone numbers are written the standard way in the boxes that
hold them, dates and times in full; everything else is as the parent wrote it. The missing sheet shows
every box (an empty one can be filled in by hand once printed) and then the missing topic's own steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.content.models import Content, NoteSection, NotesWording, fill
from bot.content.notes import sheet_steps
from bot.content.render import BrokenReference, render
from bot.notes.formatting import format_phones, normalise_plates, readable_date, readable_time, time_order_key
from bot.notes.model import Notes

PLATE_FIELDS = frozenset({"vehicles"})
PHONE_FIELDS = frozenset({"phones", "phones_accounts"})


@dataclass(frozen=True)
class Row:
    label: str
    value: str  # empty: a box left to fill in by hand


@dataclass(frozen=True)
class Block:
    heading: str | None
    rows: tuple[Row, ...] = ()
    paragraphs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Part:
    heading: str
    intro: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Document:
    title: str
    note: str
    parts: tuple[Part, ...]
    page_of: str  # the PDF's page footer, "Page {number} of {pages}" (content/web.yml `widget_notes: pdf_page`)

    def plain_text(self) -> str:
        """The document as plain text (the email's body)."""
        lines = [self.title, "=" * len(self.title), self.note, ""]
        for part in self.parts:
            lines += [part.heading, "-" * len(part.heading), part.intro, ""]
            for block in part.blocks:
                if block.heading:
                    lines.append(block.heading)
                lines += [f"{row.label}: {row.value or '-'}" for row in block.rows]
                lines += [*block.paragraphs]
                lines.append("")
        return "\n".join(lines).rstrip() + "\n"


def tidy(key: str, value: str) -> str:
    """A box's value written the standard way where the box is one that holds plates or numbers."""
    if key in PLATE_FIELDS:
        value = normalise_plates(value)
    if key in PHONE_FIELDS:
        value = format_phones(value)
    return value


def entry_heading(entry: dict[str, str], words: Mapping[str, str]) -> str:
    """The entry's date and time, worded as the widget words them (content/web.yml `widget_notes:`)."""
    day = readable_date(entry.get("date", ""), words) or words["no_date"]
    time = readable_time(entry.get("time", ""))
    return fill(words["entry_date_time"], date=day, time=time) if time else day


def _labels(section: NoteSection) -> dict[str, str]:
    return {f.key: f.label for f in section.fields}


def ordered_entries(notes: Notes) -> list[dict[str, str]]:
    indexed = list(enumerate(notes.entries))
    indexed.sort(key=lambda item: time_order_key(item[1].get("date", ""), item[1].get("time", ""), item[0]))
    return [entry for _, entry in indexed]


def _log_part(notes: Notes, wording: NotesWording, words: Mapping[str, str]) -> Part:
    labels = _labels(wording.log)
    blocks = []
    for entry in ordered_entries(notes):
        rows = tuple(
            Row(labels[f.key], tidy(f.key, entry[f.key]))
            for f in wording.log.fields
            if f.key not in ("date", "time") and entry.get(f.key)
        )
        blocks.append(Block(entry_heading(entry, words), rows))
    return Part(wording.log.title, wording.log.intro, tuple(blocks))


def _steps(content: Content) -> tuple[str, ...]:
    paragraphs = []
    for text in sheet_steps(content):
        try:
            paragraphs.append(render(text, content.services).strip())
        except BrokenReference:
            continue  # the content check refuses such content; never print a half-filled step
    return tuple(paragraphs)


def _sheet_part(notes: Notes, content: Content, wording: NotesWording) -> Part:
    rows = tuple(Row(f.label, tidy(f.key, notes.sheet.get(f.key, ""))) for f in wording.sheet.fields)
    blocks = [Block(None, rows)]
    steps = _steps(content)
    if steps:
        blocks.append(Block(wording.steps_title, paragraphs=steps))
    return Part(wording.sheet.title, wording.sheet.intro, tuple(blocks))


def build_document(notes: Notes, content: Content) -> Document:
    """The document for `notes`, worded by content/notes.yml (which must have loaded)."""
    wording = content.notes
    if wording is None:
        raise LookupError("content/notes.yml is missing")
    parts = []
    if notes.entries:
        parts.append(_log_part(notes, wording, content.web["widget_notes"]))
    if notes.sheet:
        parts.append(_sheet_part(notes, content, wording))
    page_of = content.web["widget_notes"]["pdf_page"]
    return Document(wording.title, wording.messages.get("document_note", ""), tuple(parts), page_of)
