"""What every staff handler needs, kept on the staff sub-application."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from aiohttp import web

from bot.accounts.staff import Passwords
from bot.config import Settings
from bot.content.models import Labels, fill
from bot.content.organisation import TEAM_ID
from bot.content.store import ContentStore, ContentUnavailable
from bot.storage.models import utc_now
from bot.storage.staff_repository import StaffAccount, StaffRepository
from bot.web.staff.config import StaffConfig

T = TypeVar("T")


@dataclass
class StaffContext:
    settings: Settings
    config: StaffConfig
    passwords: Passwords
    content: ContentStore
    clock: Callable[[], datetime] = utc_now  # replaceable in tests
    repository: StaffRepository | None = None  # made on start-up
    problem: str | None = None  # why the referrals cannot be opened (a setting's problem: shown to staff, logged)

    def now(self) -> datetime:
        return self.clock()

    def repo(self) -> StaffRepository:
        if self.repository is None:
            if self.problem:
                raise self.refusal(web.HTTPServiceUnavailable, "cannot_open_referrals", reason=self.problem)
            raise self.refusal(web.HTTPServiceUnavailable, "starting")
        return self.repository

    def page_words(self) -> Labels:
        """content/staff.yml's sections for the pages (bot.content.store.ContentStore.staff_words)."""
        return self.content.staff_words()

    def error_words(self, key: str, **values: object) -> str | None:
        """One message of content/staff.yml `errors:`, filled; None where staff.yml cannot word the pages."""
        try:
            return fill(self.page_words()["errors"][key], **values)
        except ContentUnavailable:
            return None

    def refusal(
        self, exc_class: type[web.HTTPException], key: str, *, as_json: bool = False, **values: object
    ) -> web.HTTPException:
        """An HTTP error in the words of content/staff.yml `errors:` (as JSON for the pages' scripts); the bare
        error where staff.yml cannot word the pages (the error pages then say that the wording does not load)."""
        text = self.error_words(key, **values)
        if text is None and not as_json:
            return exc_class()
        if text is None:
            text = exc_class().reason  # HTTP's own phrase: JSON all the same, for the pages' scripts
        if as_json:
            return exc_class(text=json.dumps({"error": text}), content_type="application/json")
        return exc_class(text=text)

    def page_section(self, name: str) -> dict[str, str]:
        """One section of `page_words`; the page cannot be drawn (503) without it."""
        try:
            return self.page_words()[name]
        except ContentUnavailable:
            raise web.HTTPServiceUnavailable(text="content/staff.yml cannot word the staff pages.") from None

    def team_name(self) -> str:
        """The support team's name from content/organisation.yml (the one place it is set)."""
        try:
            team = self.content.get().services.get(TEAM_ID)
        except ContentUnavailable:
            team = None
        return team.name if team is not None else ""

    def topic_titles(self) -> dict[str, str]:
        try:
            return {topic_id: topic.title for topic_id, topic in self.content.get().topics.items()}
        except ContentUnavailable:
            return {}


STAFF = web.AppKey("staff_context", StaffContext)
USER = "staff_user"  # request key: the signed-in StaffAccount


def context(request: web.Request) -> StaffContext:
    return request.config_dict[STAFF]


def user(request: web.Request) -> StaffAccount:
    return request[USER]


async def db(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a (blocking) database call in a worker thread."""
    return await asyncio.to_thread(call, *args, **kwargs)
