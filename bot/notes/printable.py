"""The parent's notes as a printable page: one self-contained HTML file, with no scripts and nothing
fetched, so it can be saved, opened and printed anywhere. Every value is escaped (Jinja autoescape)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot.notes.document import Document

FILE_NAME = "document.html"  # neutral, like the PDF's
_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=True,  # there is no |safe anywhere: the parent's words are always text
    undefined=StrictUndefined,
)


def render_page(document: Document) -> str:
    return _TEMPLATES.get_template("printable.html").render(document=document)
