"""What the widget may send about the notes: a JSON schema, then every string cleaned.

The schema is built from the boxes the content layer names (bot/content/notes.py), so a box can never
be worded in content and refused here, or the other way round. A request that does not match is
refused with where and which rule, never with the value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import jsonschema

from bot.content.notes import LOG_FIELDS, SHEET_FIELDS
from bot.content.words import WordedError
from bot.text import clean_message

# About 100 entries of a few sentences each. fpdf2 lays out about 20,000 characters a second, so this also
# bounds the time one PDF can take (about 3 s).
MAX_BODY_BYTES = 64 * 1024
MAX_ENTRIES = 200
LONG_TEXT = 4000  # what happened, what the child said
SHORT_TEXT = 1000
LONG_FIELDS = frozenset({"what", "child_said"})
SENDER_PATTERN = "^[A-Za-z0-9_-]{8,64}$"  # the conversation id, as the chat relay takes it


class NotesError(WordedError):
    """The request cannot be used; its words are in content/web.yml `notes_errors:`."""


def _text(limit: int) -> dict[str, Any]:
    return {"type": "string", "maxLength": limit}


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    entry_properties = {"date": _text(40), "time": _text(20)}
    entry_properties |= {
        key: _text(LONG_TEXT if key in LONG_FIELDS else SHORT_TEXT) for key in LOG_FIELDS if key not in entry_properties
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "The parent's notes, as the widget sends them",
        "type": "object",
        "additionalProperties": False,
        "required": ["sender"],
        "properties": {
            "sender": {"type": "string", "pattern": SENDER_PATTERN},
            "entries": {
                "type": "array",
                "maxItems": MAX_ENTRIES,
                "items": {"type": "object", "additionalProperties": False, "properties": entry_properties},
            },
            "sheet": {
                "type": "object",
                "additionalProperties": False,
                "properties": {key: _text(SHORT_TEXT * 2) for key in SHEET_FIELDS},
            },
            "to": {"type": "string", "maxLength": 254},
            "subject": {"type": "string", "maxLength": 120},
            "consent": {"type": "boolean"},
        },
    }


@lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(schema())
    cls.check_schema(schema())
    return cls(schema())


@dataclass(frozen=True)
class Notes:
    """The notes, cleaned: only boxes with something in them, entries in the order they were sent."""

    sender: str
    entries: tuple[dict[str, str], ...] = ()
    sheet: dict[str, str] = field(default_factory=dict)
    to: str | None = None
    subject: str | None = None
    consent: bool = False

    @property
    def empty(self) -> bool:
        return not self.entries and not self.sheet


def _cleaned(values: dict[str, str]) -> dict[str, str]:
    kept = {key: clean_message(value) for key, value in values.items()}
    return {key: value for key, value in kept.items() if value}


def parse_notes(body: object) -> Notes:
    """The notes from a parsed JSON body; NotesError when it is not what the widget sends."""
    error = jsonschema.exceptions.best_match(_validator().iter_errors(body))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "the request"
        if error.validator == "maxLength":
            raise NotesError("part_too_long", 413, where=where)
        if error.validator == "maxItems":
            raise NotesError("too_many_entries", 413, max=MAX_ENTRIES)
        raise NotesError("unreadable", where=where, rule=error.validator)
    assert isinstance(body, dict)
    entries = tuple(entry for entry in (_cleaned(raw) for raw in body.get("entries", [])) if entry)
    return Notes(
        sender=body["sender"],
        entries=entries,
        sheet=_cleaned(body.get("sheet", {})),
        to=body.get("to"),
        subject=body.get("subject"),
        consent=body.get("consent") is True,
    )
