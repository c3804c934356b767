"""Work that several web services share: each staff notification delivered once, each spooled referral saved once.

Every test runs on SQLite and on a real PostgreSQL server (the `database_url` fixture), each worker with
its own engine, as separate web service processes would have.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.handoff.outbox import OutboxWorker, WebhookSettings
from bot.storage.crypto import Cipher, generate_key
from bot.storage.models import Referral
from bot.storage.repository import NewReferral, ReferralStore, SpoolDirectory, make_engine

NOW = datetime(2026, 11, 30, 2, 40, tzinfo=timezone.utc)
WORKERS = 4
T = TypeVar("T")


def referral(n: int) -> NewReferral:
    return NewReferral(
        reference=f"WXYZ-{n:04d}",
        submission_key=f"{n:064x}",
        summary={"schema_version": 1, "answers": {"preferred_name": "Robin"}, "priority_reasons": []},
        priority="standard",
        channel="web",
        created_at=NOW,
        notify=True,
    )


@pytest.fixture
def cipher() -> Cipher:
    return Cipher([generate_key()])


@pytest.fixture
def stores(database_url: str, cipher: Cipher) -> Iterator[list[ReferralStore]]:
    """One store per worker, each on its own engine (its own connections), on one database."""
    engines = [make_engine(database_url) for _ in range(WORKERS)]
    yield [ReferralStore(engine, cipher, clock=lambda: NOW) for engine in engines]
    for engine in engines:
        engine.dispose()


def all_at_once(jobs: list[Callable[[], T]]) -> list[T]:
    """Run each job in its own thread, all released at the same moment."""
    start = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(index: int) -> None:
        start.wait()
        results[index] = jobs[index]()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_workers_claiming_at_once_each_get_different_notifications(stores: list[ReferralStore], database_url: str) -> None:
    for n in range(30):
        stores[0].save(referral(n))
    lease = timedelta(minutes=2)
    taken: Counter[int] = Counter()
    for round_number in range(1, 10):
        claims = all_at_once([lambda store=store: store.claim_due_notifications(NOW, lease, limit=10) for store in stores])
        taken.update(item.id for claim in claims for item in claim)
        if round_number == 1 and database_url.startswith("postgresql"):
            # Rows another worker has locked are skipped, not waited for: four workers share out 30 at once.
            assert len(taken) == 30
        if not any(claims):
            break
    assert len(taken) == 30 and set(taken.values()) == {1}, taken  # every one claimed, none twice
    # Claimed items are not due again for anyone until the lease ends; then they are.
    assert stores[1].claim_due_notifications(NOW + lease - timedelta(seconds=1), lease) == []
    again = stores[2].claim_due_notifications(NOW + lease, lease, limit=100)
    assert len(again) == 30


def test_a_delivered_notification_is_never_claimed_again(stores: list[ReferralStore]) -> None:
    stores[0].save(referral(1))
    (item,) = stores[0].claim_due_notifications(NOW, timedelta(seconds=30))
    stores[0].mark_delivered(item.id, NOW)
    assert stores[1].claim_due_notifications(NOW + timedelta(days=1), timedelta(seconds=30)) == []


async def test_several_web_services_deliver_each_notification_exactly_once(stores, aiohttp_server) -> None:  # noqa: ANN001
    for n in range(40):
        stores[0].save(referral(n))
    deliveries: Counter[str] = Counter()

    async def webhook(request: web.Request) -> web.Response:
        deliveries[request.headers["X-Delivery-Id"]] += 1
        await asyncio.sleep(0.005)  # a real receiver takes a moment, so the workers overlap
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", webhook)
    server = await aiohttp_server(app)
    settings = WebhookSettings(url=str(server.make_url("/hook")), secret="s3cret")
    async with aiohttp.ClientSession() as session:
        workers = [OutboxWorker(lambda store=store: store, settings, session=session) for store in stores]
        for _ in range(3):
            reports = await asyncio.gather(*(worker.run_once() for worker in workers))
    assert sum(report.delivered for report in reports) == 0  # all done in the earlier rounds
    assert len(deliveries) == 40 and set(deliveries.values()) == {1}, deliveries


def test_spooled_referrals_drained_by_several_services_at_once_are_saved_once(
    stores: list[ReferralStore], cipher: Cipher, tmp_path: Path, database_url: str
) -> None:
    spool_dir = tmp_path / "spool"
    for n in range(25):
        SpoolDirectory(spool_dir, cipher).write(referral(n))
    drained = all_at_once([lambda store=store: SpoolDirectory(spool_dir, cipher).drain(store) for store in stores])
    assert sum(drained) == 25  # one drain took the lock and saved them; the others left them to it
    assert SpoolDirectory(spool_dir, cipher).pending() == []
    engine: Engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(select(func.count()).select_from(Referral)).scalar_one() == 25
            notifications = stores[0].claim_due_notifications(NOW, timedelta(seconds=30), limit=100)
            assert len(notifications) == 25
    finally:
        engine.dispose()


@pytest.mark.redis
async def test_two_web_services_count_one_conversations_messages_together_in_redis(redis_server) -> None:  # noqa: ANN001
    import redis

    from bot.web.rate_limits import ChatRateLimits, RateLimitSettings

    database = 5

    redis.Redis.from_url(f"{redis_server.url}/{database}").flushdb()
    shared = RateLimitSettings("100/minute", "6/minute", f"{redis_server.url}/{database}")
    first, second = ChatRateLimits(shared), ChatRateLimits(shared)
    waits = [await (first if n % 2 else second).wait_needed("203.0.113.9", "chat-1") for n in range(7)]
    assert waits[:6] == [0] * 6 and 50 <= waits[6] <= 60  # the seventh waits, whichever service it reaches
    assert await first.wait_needed("203.0.113.9", "chat-2") == 0  # another conversation has its own count

    alone = RateLimitSettings("100/minute", "6/minute", "async+memory://")
    apart = [ChatRateLimits(alone), ChatRateLimits(alone)]
    assert [await apart[n % 2].wait_needed("203.0.113.9", "chat-1") for n in range(7)] == [0] * 7  # why Redis is needed
