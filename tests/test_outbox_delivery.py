"""A saved referral reaches the staff webhook through the real outbox, and a webhook that is down loses nothing."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import aiohttp
from aiohttp import web
from sqlalchemy.engine import Engine

from bot.handoff.outbox import OutboxWorker, WebhookSettings
from bot.storage.crypto import Cipher, generate_key
from bot.storage.repository import NewReferral, ReferralStore

NOW = datetime(2026, 11, 22, 23, 0, tzinfo=timezone.utc)


async def test_a_new_referral_is_announced_once_the_webhook_answers(engine: Engine, aiohttp_server) -> None:
    store = ReferralStore(engine, Cipher([generate_key()]), clock=lambda: NOW)
    store.save(
        NewReferral(
            reference="ACDE-FG34",
            submission_key="b" * 64,
            summary={"contact": {"preferred_name": "Sam", "phone": "+447700900123"}},
            priority="urgent",
            channel="rest",
            created_at=NOW,
            notify=True,
        )
    )
    received: list[dict] = []
    up = {"answering": False}

    async def webhook(request: web.Request) -> web.Response:
        if not up["answering"]:
            return web.Response(status=503)
        received.append(json.loads(await request.read()))
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", webhook)
    server = await aiohttp_server(app)
    session = aiohttp.ClientSession()
    # run_once by hand (no background loop), as the web service's loop does every few seconds
    worker = OutboxWorker(lambda: store, WebhookSettings(url=str(server.make_url("/hook")), secret="s3cret"), session=session)
    try:
        first = await worker.run_once()  # the webhook is down: the notification waits for a retry
        assert (first.delivered, first.failed) == (0, 1)
        later = datetime.now(timezone.utc) + timedelta(days=1)
        (waiting,) = store.due_notifications(later)
        assert waiting.attempts == 1
        assert await worker.run_once() == first.__class__(delivered=0, failed=0)  # not due again yet
        up["answering"] = True
        store.mark_failed(waiting.id, "test: due now", datetime.now(timezone.utc) - timedelta(seconds=1))
        second = await worker.run_once()
    finally:
        await session.close()
    assert (second.delivered, second.failed) == (1, 0)
    assert received == [{"event": "new_referral", "reference": "ACDE-FG34", "priority": "urgent",
                         "created_at": NOW.isoformat()}]
    assert "Sam" not in json.dumps(received)
    assert store.due_notifications(datetime.now(timezone.utc) + timedelta(days=1)) == []
