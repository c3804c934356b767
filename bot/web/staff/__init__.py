"""Staff review: the secure pages where the support team works through hand-offs (mounted at /staff/)."""

from __future__ import annotations

from aiohttp import web

from bot.config import Settings


def setup_staff(app: web.Application, settings: Settings) -> None:
    """Mount the staff review sub-application on `app`. (Filled in by the staff review work.)"""
