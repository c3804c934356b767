"""The website widget: the embeddable chat for parents, and its demo host page."""

from __future__ import annotations

from aiohttp import web

from bot.config import Settings


def setup_widget(app: web.Application, settings: Settings) -> None:
    """Add the widget's routes to `app`. (Filled in by the widget work.)"""
