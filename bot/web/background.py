"""Work the web service does in the background for the hand-off: deliver staff notifications from the
outbox, and save referrals that were spooled while the database was down."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from bot.handoff.outbox import outbox_worker_ctx, webhook_settings_from_env
from bot.storage.repository import ReferralStore, SpoolDirectory

log = logging.getLogger(__name__)


def referral_store() -> ReferralStore:
    return ReferralStore.from_env()


async def drain_spool_once(store_factory: Callable[[], ReferralStore]) -> int:
    def drain() -> int:
        store = store_factory()
        return SpoolDirectory.from_env(store.cipher).drain(store)

    return await asyncio.to_thread(drain)


def spool_drain_ctx(
    store_factory: Callable[[], ReferralStore], interval: float = 30.0
) -> Callable[[web.Application], AsyncIterator[None]]:
    """Every `interval` seconds, move spooled referrals into the database; never dies on an error."""

    async def loop() -> None:
        while True:
            try:
                saved = await drain_spool_once(store_factory)
                if saved:
                    log.info("saved %d spooled referral(s)", saved)
            except Exception as exc:  # the next round tries again; the files stay until saved
                log.warning("spooled referrals not saved yet: %s", type(exc).__name__)
            await asyncio.sleep(interval)

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(loop(), name="spool-drain")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return ctx


def add_background_work(app: web.Application) -> None:
    app.cleanup_ctx.append(spool_drain_ctx(referral_store))
    app.cleanup_ctx.append(outbox_worker_ctx(referral_store, webhook_settings_from_env()))
