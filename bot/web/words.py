"""The web service's words to parents (content/web.yml), from the live content."""

from __future__ import annotations

from bot.content.store import ContentStore, ContentUnavailable
from bot.content.words import words


def parent_words(store: ContentStore, section: str, key: str, **values: object) -> str:
    """One web.yml label, filled in; empty where no valid content has ever loaded (the widget then shows its
    own words, and 999)."""
    try:
        return words(store.get(), section, key, **values)
    except ContentUnavailable:
        return ""
