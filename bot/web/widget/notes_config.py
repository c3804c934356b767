"""What the widget's notes panel needs from the content (content/notes.yml), sent with /widget/config.json.

Loaded with the help numbers when the widget starts and kept in the tab's memory, so the panel works
while the assistant is away (only saving, emailing and sharing need the server).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.content.models import NoteSection, NotesWording

# Set by bot/web/notes.py: which ways of keeping the notes this server offers ({"pdf": bool, "email": bool}).
NOTES_FEATURES = web.AppKey("notes_features", dict)


def _section(section: NoteSection) -> dict[str, Any]:
    return {
        "title": section.title,
        "intro": section.intro,
        "fields": [{"key": f.key, "label": f.label, "hint": f.hint or ""} for f in section.fields],
    }


def notes_config(notes: NotesWording | None, features: dict[str, bool], words: dict[str, str]) -> dict[str, Any] | None:
    """`words`: the panel's buttons and short notes (content/web.yml `widget_notes:`)."""
    if notes is None:
        return None
    return {
        "words": dict(words),
        "title": notes.title,
        "privacy": notes.privacy,
        "log": _section(notes.log),
        "sheet": _section(notes.sheet),
        "messages": dict(notes.messages),
        "pdf": bool(features.get("pdf")),
        "email": bool(features.get("email")),
    }
