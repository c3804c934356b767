"""Staff notifications: a real local webhook stands in for staff; a webhook that is down loses nothing."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import socket
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.config import get_settings
from bot.handoff import outbox
from bot.handoff.outbox import (
    DeliveryReport,
    OutboxWorker,
    WebhookSettings,
    backoff,
    deliver_due,
    outbox_worker_ctx,
    webhook_settings_from_env,
)

SECRET = "test-webhook-secret"
MARKER = "Jamie-Private-Detail"  # stands for personal data: must never reach logs or stored errors
NOW = datetime(2026, 11, 22, 23, 10, tzinfo=timezone.utc)
RESERVED_PORTS = {5005, 5055, 8000, 5105, 5155, 8105}


@dataclass
class Item:
    id: int
    referral_id: int
    kind: str
    payload: dict
    attempts: int = 0
    next_attempt_at: datetime = NOW - timedelta(minutes=1)
    delivered_at: datetime | None = None
    last_error: str | None = None


@dataclass
class FakeRepo:
    """In-memory OutboxRepository; `broken_reads` makes the next reads raise, as a database outage would."""

    items: dict[int, Item] = field(default_factory=dict)
    broken_reads: int = 0
    calls: list[str] = field(default_factory=list)
    threads: set[int] = field(default_factory=set)

    def add(self, item: Item) -> None:
        self.items[item.id] = item

    def _record(self, name: str) -> None:
        self.calls.append(name)
        self.threads.add(threading.get_ident())

    def claim_due_notifications(self, now: datetime, lease: timedelta, limit: int = 20) -> list[Item]:
        self._record("due")
        if self.broken_reads:
            self.broken_reads -= 1
            raise RuntimeError(f"database unavailable while reading {MARKER}")
        due = [i for i in self.items.values() if i.delivered_at is None and i.next_attempt_at <= now]
        claimed = [replace(i, payload=dict(i.payload)) for i in sorted(due, key=lambda i: i.id)][:limit]
        for item in claimed:
            self.items[item.id].next_attempt_at = now + lease
        return claimed

    def mark_delivered(self, item_id: int, at: datetime) -> None:
        self._record("delivered")
        self.items[item_id].delivered_at = at

    def mark_failed(self, item_id: int, error: str, next_attempt_at: datetime) -> None:
        self._record("failed")
        item = self.items[item_id]
        item.attempts += 1
        item.last_error = error
        item.next_attempt_at = next_attempt_at


def new_item(item_id: int = 1) -> Item:
    return Item(
        id=item_id,
        referral_id=100 + item_id,
        kind="referral.created",
        payload={"reference": "ABCD-EFGH", "priority": "urgent", "note": MARKER},
    )


class Webhook:
    """Behaviour switches for the stand-in staff webhook; `received` holds (headers, raw body) pairs."""

    def __init__(self) -> None:
        self.status = 200
        self.fail_ids: set[str] = set()
        self.slow = False
        self.release = asyncio.Event()
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.received.append((dict(request.headers), body))
        if self.slow:
            with contextlib.suppress(asyncio.TimeoutError):  # held until the test ends, past the client timeout
                await asyncio.wait_for(self.release.wait(), timeout=5)
        if request.headers.get("X-Delivery-Id") in self.fail_ids:
            return web.Response(status=500)
        return web.Response(status=self.status)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        return app


@pytest.fixture
async def webhook():
    hook = Webhook()
    server = TestServer(hook.app(), host="127.0.0.1")
    await server.start_server()
    hook.url = str(server.make_url("/hook"))
    yield hook
    hook.release.set()
    await server.close()


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as client_session:
        yield client_session


def settings_for(url: str | None, timeout: float = 5.0) -> WebhookSettings:
    return WebhookSettings(url=url, secret=SECRET, timeout_seconds=timeout)


def closed_port() -> int:
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in RESERVED_PORTS:
            return port


async def wait_until(condition, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)


# --- delivery -------------------------------------------------------------------------------------


async def test_delivered_on_200_with_a_signature_that_verifies(webhook, session) -> None:
    repo = FakeRepo()
    repo.add(new_item())

    report = await deliver_due(repo, session, settings_for(webhook.url), now=NOW)

    assert report == DeliveryReport(delivered=1, failed=0)
    assert repo.items[1].delivered_at == NOW
    [(headers, body)] = webhook.received
    assert json.loads(body) == {
        "event": "referral.created",
        "reference": "ABCD-EFGH",
        "priority": "urgent",
        "note": MARKER,
    }
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Signature"] == f"sha256={expected}"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Delivery-Id"] == "1"
    # Repository calls ran in worker threads, not on the event loop.
    assert threading.get_ident() not in repo.threads


async def test_no_signature_header_without_a_secret(webhook, session) -> None:
    repo = FakeRepo()
    repo.add(new_item())

    await deliver_due(repo, session, WebhookSettings(url=webhook.url, secret=None), now=NOW)

    [(headers, _)] = webhook.received
    assert "X-Signature" not in headers
    assert repo.items[1].delivered_at == NOW


async def test_500_marks_failed_for_later_then_delivers_when_the_webhook_recovers(webhook, session, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.handoff.outbox")
    repo = FakeRepo()
    repo.add(new_item())
    webhook.status = 500

    report = await deliver_due(repo, session, settings_for(webhook.url), now=NOW)

    item = repo.items[1]
    assert report == DeliveryReport(delivered=0, failed=1)
    assert item.delivered_at is None
    assert item.attempts == 1
    assert item.last_error == "HTTP 500"
    assert item.next_attempt_at > NOW
    # Not due again straight away, so a retry storm cannot happen.
    assert await deliver_due(repo, session, settings_for(webhook.url), now=NOW) == DeliveryReport(0, 0)
    assert len(webhook.received) == 1

    webhook.status = 200
    later = item.next_attempt_at + timedelta(seconds=1)
    assert await deliver_due(repo, session, settings_for(webhook.url), now=later) == DeliveryReport(1, 0)
    assert item.delivered_at == later
    assert json.loads(webhook.received[-1][1])["reference"] == "ABCD-EFGH"
    assert MARKER not in caplog.text


async def test_webhook_down_keeps_the_item_and_delivers_once_it_is_back(session, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.handoff.outbox")
    port = closed_port()
    settings = settings_for(f"http://127.0.0.1:{port}/hook")
    repo = FakeRepo()
    repo.add(new_item())

    assert await deliver_due(repo, session, settings, now=NOW) == DeliveryReport(delivered=0, failed=1)
    item = repo.items[1]
    assert (item.attempts, item.delivered_at) == (1, None)
    assert item.last_error is not None and "Connect" in item.last_error and MARKER not in item.last_error
    assert item.next_attempt_at > NOW

    # Second failure: attempts counted, and the wait grows.
    first_wait = item.next_attempt_at - NOW
    second_now = item.next_attempt_at
    assert await deliver_due(repo, session, settings, now=second_now) == DeliveryReport(0, 1)
    assert item.attempts == 2
    assert item.next_attempt_at - second_now > first_wait

    hook = Webhook()
    server = TestServer(hook.app(), host="127.0.0.1", port=port)
    await server.start_server()
    try:
        report = await deliver_due(repo, session, settings, now=item.next_attempt_at)
    finally:
        await server.close()
    assert report == DeliveryReport(delivered=1, failed=0)
    assert item.delivered_at is not None
    assert len(hook.received) == 1
    assert MARKER not in caplog.text


async def test_timeout_marks_failed(webhook, session) -> None:
    webhook.slow = True
    repo = FakeRepo()
    repo.add(new_item())

    started = asyncio.get_running_loop().time()
    report = await deliver_due(repo, session, settings_for(webhook.url, timeout=0.2), now=NOW)

    assert asyncio.get_running_loop().time() - started < 3
    assert report == DeliveryReport(delivered=0, failed=1)
    item = repo.items[1]
    assert item.last_error == "timeout after 0.2s"
    assert (item.attempts, item.delivered_at) == (1, None)
    assert item.next_attempt_at > NOW


async def test_one_failing_item_does_not_hold_back_the_others(webhook, session) -> None:
    repo = FakeRepo()
    for item_id in (1, 2, 3):
        repo.add(new_item(item_id))
    webhook.fail_ids = {"2"}

    report = await deliver_due(repo, session, settings_for(webhook.url), now=NOW)

    assert report == DeliveryReport(delivered=2, failed=1)
    assert [repo.items[i].delivered_at is not None for i in (1, 2, 3)] == [True, False, True]


async def test_no_url_sends_nothing_marks_nothing_and_says_so_once(webhook, session, caplog, monkeypatch) -> None:
    monkeypatch.setattr(outbox, "_no_webhook_logged", False)
    caplog.set_level(logging.INFO, logger="bot.handoff.outbox")
    repo = FakeRepo()
    repo.add(new_item())

    for _ in range(3):
        assert await deliver_due(repo, session, settings_for(None), now=NOW) == DeliveryReport(0, 0)

    assert webhook.received == []
    assert repo.calls == []
    assert repo.items[1] == new_item()
    assert caplog.text.count("no staff webhook configured") == 1


# --- backoff --------------------------------------------------------------------------------------


def test_backoff_grows_exponentially_and_is_capped() -> None:
    waits = [backoff(n, jitter=0).total_seconds() for n in range(8)]
    assert waits == [5, 10, 20, 40, 80, 160, 320, 640]
    assert backoff(20, jitter=0) == timedelta(hours=1)
    assert backoff(10_000) <= timedelta(hours=1)  # no overflow for absurd counts
    assert backoff(-3, jitter=0) == timedelta(seconds=5)
    assert backoff(3, base=1, cap=4, jitter=0) == timedelta(seconds=4)


def test_backoff_jitter_stays_within_bounds_and_varies() -> None:
    samples = {backoff(2).total_seconds() for _ in range(200)}  # 20 s +- 10 %
    assert all(18 <= s <= 22 for s in samples)
    assert len(samples) > 1
    assert all(backoff(50) <= timedelta(hours=1) for _ in range(50))


# --- settings -------------------------------------------------------------------------------------


def test_webhook_settings_from_env(monkeypatch) -> None:
    monkeypatch.setenv("STAFF_WEBHOOK_URL", " https://staff.example.org/hook ")
    monkeypatch.setenv("STAFF_WEBHOOK_SECRET", "s3cret")
    assert webhook_settings_from_env() == WebhookSettings(url="https://staff.example.org/hook", secret="s3cret")

    monkeypatch.setenv("STAFF_WEBHOOK_URL", "")
    monkeypatch.setenv("STAFF_WEBHOOK_SECRET", "")
    get_settings.cache_clear()
    assert webhook_settings_from_env() == WebhookSettings(url=None, secret=None)


def test_webhook_settings_reject_a_url_that_is_not_http(monkeypatch) -> None:
    monkeypatch.setenv("STAFF_WEBHOOK_URL", "ftp://staff.example.org/hook")
    with pytest.raises(ValueError, match="STAFF_WEBHOOK_URL"):
        webhook_settings_from_env()


# --- worker ---------------------------------------------------------------------------------------


async def test_worker_survives_repository_errors_and_keeps_delivering(webhook, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.handoff.outbox")
    repo = FakeRepo(broken_reads=2)
    repo.add(new_item(1))
    factory_calls = 0

    def factory() -> FakeRepo:
        nonlocal factory_calls
        factory_calls += 1
        if factory_calls == 1:
            raise ConnectionError(f"cannot connect for {MARKER}")
        return repo

    worker = OutboxWorker(factory, settings_for(webhook.url), interval=0.01)
    await worker.start()
    try:
        await wait_until(lambda: repo.items[1].delivered_at is not None)
        repo.add(new_item(2))  # queued later: picked up by the running loop
        await wait_until(lambda: repo.items[2].delivered_at is not None)
    finally:
        await worker.stop()

    assert factory_calls == 2
    assert repo.calls.count("due") >= 4
    assert "(ConnectionError)" in caplog.text
    assert caplog.text.count("(RuntimeError)") == 2
    assert MARKER not in caplog.text
    # Stopped means stopped.
    calls = len(repo.calls)
    await asyncio.sleep(0.05)
    assert len(repo.calls) == calls


async def test_worker_runs_inside_an_aiohttp_app_via_cleanup_ctx(webhook, aiohttp_server) -> None:
    repo = FakeRepo()
    repo.add(new_item())
    app = web.Application()
    app.cleanup_ctx.append(outbox_worker_ctx(lambda: repo, settings_for(webhook.url), interval=0.01))

    server = await aiohttp_server(app)
    await wait_until(lambda: repo.items[1].delivered_at is not None)
    await server.close()

    calls = len(repo.calls)
    await asyncio.sleep(0.05)
    assert len(repo.calls) == calls
