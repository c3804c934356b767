"""Delivery of queued staff notifications to an optional webhook, with retries and backoff.

The outbox rows are written in the same transaction as the referral, so a webhook that is down or
misconfigured loses nothing: an item stays queued until a 2xx answer, and each failure pushes its next
attempt further out. Delivery is at least once; the `X-Delivery-Id` header lets the receiver drop repeats.
Logs and stored errors carry only ids, kinds, statuses and error types, never payload content.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol
from urllib.parse import urlsplit

import aiohttp

log = logging.getLogger(__name__)

_MAX_EXPONENT = 64  # 5 s * 2**64 is far past any cap; stops float overflow for absurd attempt counts
_no_webhook_logged = False


class OutboxItem(Protocol):
    id: int
    referral_id: int
    kind: str
    payload: dict[str, Any]
    attempts: int


class OutboxRepository(Protocol):
    def claim_due_notifications(self, now: datetime, lease: timedelta, limit: int = 20) -> list[OutboxItem]: ...

    def mark_delivered(self, item_id: int, at: datetime) -> None: ...

    def mark_failed(self, item_id: int, error: str, next_attempt_at: datetime) -> None: ...


@dataclass(frozen=True)
class WebhookSettings:
    url: str | None
    secret: str | None
    timeout_seconds: float = 10.0


@dataclass(frozen=True)
class DeliveryReport:
    delivered: int
    failed: int


def backoff(attempts: int, base: float = 5.0, cap: float = 3600.0, jitter: float = 0.1) -> timedelta:
    """Delay before the next try after `attempts` failed ones (0 = first failure): base * 2**attempts,
    spread by +-jitter (a fraction) so queued items do not retry in lockstep, and never above `cap`."""
    raw = min(cap, base * 2.0 ** min(max(attempts, 0), _MAX_EXPONENT))
    spread = raw * random.uniform(-jitter, jitter) if jitter else 0.0
    return timedelta(seconds=min(cap, max(0.0, raw + spread)))


def webhook_settings_from_env() -> WebhookSettings:
    """STAFF_WEBHOOK_URL (optional; empty means no webhook) and STAFF_WEBHOOK_SECRET (optional HMAC key)."""
    from bot.config import get_settings

    settings = get_settings()  # the URL is checked there: http:// or https:// with a host
    url = settings.staff_webhook_url or None
    secret = settings.staff_webhook_secret.get_secret_value() or None
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1", "::1"):
            log.warning("STAFF_WEBHOOK_URL is plain http: referral notifications would travel unencrypted")
    return WebhookSettings(url=url, secret=secret)


def sign(body: bytes, secret: str) -> str:
    """The `X-Signature` header value: HMAC-SHA256 of the exact request body, hex, prefixed `sha256=`."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


async def _post(item: OutboxItem, session: aiohttp.ClientSession, settings: WebhookSettings) -> str | None:
    """Send one item; None on a 2xx answer, else a short error text with no payload content."""
    assert settings.url is not None
    try:
        body = json.dumps({"event": item.kind, **item.payload}, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json", "X-Delivery-Id": str(item.id)}
        if settings.secret:
            headers["X-Signature"] = sign(body, settings.secret)
        async with session.post(
            settings.url,
            data=body,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=settings.timeout_seconds),
            allow_redirects=False,  # a redirect is a misconfiguration, not a reason to resend data elsewhere
        ) as response:
            if 200 <= response.status < 300:
                return None
            return f"HTTP {response.status}"
    except asyncio.TimeoutError:
        return f"timeout after {settings.timeout_seconds:g}s"
    except Exception as exc:  # connection errors and anything odd: the item must stay queued, never be lost
        return type(exc).__name__


async def deliver_due(
    repo: OutboxRepository,
    session: aiohttp.ClientSession,
    settings: WebhookSettings,
    now: datetime | None = None,
    limit: int = 20,
) -> DeliveryReport:
    """Try every due item once. With no webhook configured, nothing is read or marked: items wait."""
    global _no_webhook_logged
    if settings.url is None:
        if not _no_webhook_logged:
            log.info("no staff webhook configured (STAFF_WEBHOOK_URL): notifications stay queued")
            _no_webhook_logged = True
        return DeliveryReport(delivered=0, failed=0)
    fixed_now = now
    now = now or datetime.now(timezone.utc)
    # Long enough to try every claimed item once; a worker that dies leaves them to the others after it.
    lease = timedelta(seconds=limit * settings.timeout_seconds + 30)
    items = await asyncio.to_thread(repo.claim_due_notifications, now, lease, limit)
    delivered = failed = 0
    for item in items:
        error = await _post(item, session, settings)
        if error is None:
            delivered_at = fixed_now or datetime.now(timezone.utc)
            await asyncio.to_thread(repo.mark_delivered, item.id, delivered_at)
            delivered += 1
            log.info("notification delivered: item=%s referral=%s kind=%s", item.id, item.referral_id, item.kind)
        else:
            next_attempt_at = now + backoff(item.attempts)
            await asyncio.to_thread(repo.mark_failed, item.id, error, next_attempt_at)
            failed += 1
            log.warning(
                "notification failed: item=%s referral=%s kind=%s attempts=%s error=%s next=%s",
                item.id,
                item.referral_id,
                item.kind,
                item.attempts + 1,
                error,
                next_attempt_at.isoformat(),
            )
    return DeliveryReport(delivered=delivered, failed=failed)


class OutboxWorker:
    """Runs `deliver_due` every `interval` seconds until stopped; no exception ends the loop.

    The repository is made lazily by `repo_factory` (in a thread), and made again on the next round if
    that fails, so a database that is down at start-up does not stop the worker for good.
    """

    def __init__(
        self,
        repo_factory: Callable[[], OutboxRepository],
        settings: WebhookSettings,
        interval: float = 5.0,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.repo_factory = repo_factory
        self.settings = settings
        self.interval = interval
        self._session = session
        self._owns_session = session is None
        self._repo: OutboxRepository | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, app: object | None = None) -> None:
        if self._task is not None:
            return
        if self._session is None:
            self._session = aiohttp.ClientSession()
        self._task = asyncio.create_task(self._run(), name="outbox-worker")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def run_once(self) -> DeliveryReport:
        assert self._session is not None, "start() the worker first"
        if self._repo is None:
            self._repo = await asyncio.to_thread(self.repo_factory)
        return await deliver_due(self._repo, self._session, self.settings)

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception as exc:
                # The type only: exception messages can quote the data being handled.
                log.error("outbox delivery round failed (%s); retrying in %ss", type(exc).__name__, self.interval)
            await asyncio.sleep(self.interval)


def outbox_worker_ctx(
    repo_factory: Callable[[], OutboxRepository], settings: WebhookSettings, interval: float = 5.0
) -> Callable[[object], AsyncIterator[None]]:
    """For `app.cleanup_ctx.append(outbox_worker_ctx(...))`: runs the worker while the app runs."""

    async def _ctx(app: object) -> AsyncIterator[None]:
        worker = OutboxWorker(repo_factory, settings, interval)
        await worker.start(app)
        try:
            yield
        finally:
            await worker.stop()

    return _ctx
