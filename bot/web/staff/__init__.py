"""Staff review: the secure pages where the support team works through hand-offs (mounted at /staff/).

A sub-application with its own middlewares, so that sessions, sign-in and CSRF checks apply to
/staff/ only: the parent's chat page and the public widget set no cookies.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_session import session_middleware

from bot.accounts.staff import Passwords
from bot.config import Settings, SettingsError
from bot.content.models import fill
from bot.content.store import ContentStore
from bot.handoff.form import REFERRAL_NEEDS
from bot.storage.repository import ReferralStore
from bot.storage.staff_repository import StaffRepository
from bot.web.bodies import IN_SUB_APP, body_deadline
from bot.web.staff.config import StaffConfig, staff_config
from bot.web.staff.context import STAFF, StaffContext
from bot.web.staff.present import ago, fill_markup, on_day, when
from bot.web.staff.security import StaffCookieStorage, guard, large_forms, staff_headers
from bot.web.staff.views import JINJA, add_routes, error_pages

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
__all__ = ["STAFF", "StaffContext", "setup_staff"]


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates, kept in memory for the process: each staff app has its own environment (it holds
    the app), but a template's compiled code does not depend on it, and compiling took a fifth of a test's
    time. Jinja checks each template's source against the stored checksum, so an edited one is compiled again."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()

    def clear(self) -> None:
        self._code.clear()


COMPILED_TEMPLATES = _CompiledTemplates()


def _open_storage(ctx: StaffContext) -> None:
    try:
        store = ReferralStore.from_env()
    except SettingsError as exc:
        ctx.problem = str(exc)  # which setting is wrong; worded by StaffContext.repo
        log.error("staff pages unavailable: %s", exc)
        return
    ctx.repository = StaffRepository(store, clock=ctx.now)


def _storage_ctx(ctx: StaffContext):  # type: ignore[no-untyped-def]
    async def storage(app: web.Application) -> AsyncIterator[None]:
        if ctx.repository is None:
            _open_storage(ctx)
        await asyncio.to_thread(ctx.passwords.dummy_hash)  # now, not during the first unknown name's sign-in
        yield
        if ctx.repository is not None:
            ctx.repository.store.engine.dispose()

    return storage


def build_staff_app(ctx: StaffContext) -> web.Application:
    config = ctx.config
    storage = StaffCookieStorage(
        config.session_key,
        max_age=int(config.idle_timeout.total_seconds()),
        always_secure=config.cookie_secure == "always",
    )
    reads_body = body_deadline(ctx.settings.web_body_timeout_seconds)
    app = web.Application(middlewares=[staff_headers, session_middleware(storage), error_pages, large_forms, reads_body, guard])
    app[IN_SUB_APP] = True
    app[STAFF] = ctx
    aiohttp_jinja2.setup(
        app,
        app_key=JINJA,
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every value from a referral is escaped; there is no |safe anywhere
        undefined=jinja2.StrictUndefined,
        filters={"when": when, "ago": ago, "fill": fill, "fill_markup": fill_markup, "on_day": on_day},
        bytecode_cache=COMPILED_TEMPLATES,
    )
    app.cleanup_ctx.append(_storage_ctx(ctx))
    add_routes(app)
    return app


def setup_staff(app: web.Application, settings: Settings, config: StaffConfig | None = None) -> StaffContext:
    """Mount the staff review sub-application on `app` at /staff/ and return its context."""
    ctx = StaffContext(
        settings=settings,
        config=config or staff_config(settings),
        passwords=Passwords(),
        content=ContentStore(settings.content_dir, REFERRAL_NEEDS),  # an edit that drops a staff label waits
    )

    async def to_queue(request: web.Request) -> web.Response:
        raise web.HTTPPermanentRedirect("/staff/")

    app.router.add_get("/staff", to_queue)  # before the sub-application, which would also match "/staff"
    app.add_subapp("/staff/", build_staff_app(ctx))
    app[STAFF] = ctx
    return ctx
