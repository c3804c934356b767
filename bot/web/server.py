"""Serving the web service: timeouts for idle and half-sent connections, and a clean stop.

aiohttp closes a kept-alive connection after `keepalive_timeout` without a new request, but a
connection that never finishes its first request head (slowloris) is held for ever, and so is one
that sends its body a byte at a time. Here:

- a connection must send a whole request head within WEB_HEAD_TIMEOUT_SECONDS of opening, or it is closed;
- kept-alive connections idle for WEB_KEEPALIVE_SECONDS are closed (aiohttp's own timer, which also
  closes a later request head that stalls);
- bodies are read with a deadline (WEB_BODY_TIMEOUT_SECONDS) by bot/web/bodies.py.
A TLS proxy in front should still set its own limits (docs: README, "Security").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable

from aiohttp import web

from bot.config import Settings

log = logging.getLogger(__name__)

_HEAD_END = b"\r\n\r\n"
_MAX_HEAD_SCAN = 64 * 1024


class FirstHeadDeadline(asyncio.Protocol):
    """Forwards everything to aiohttp's protocol; closes the connection if no request head ends in time."""

    def __init__(self, inner: asyncio.Protocol, seconds: float) -> None:
        self.inner = inner
        self.seconds = seconds
        self.transport: asyncio.Transport | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.seen = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.timer = asyncio.get_running_loop().call_later(self.seconds, self._too_slow)
        self.inner.connection_made(transport)

    def _too_slow(self) -> None:
        log.info("closed a connection that sent no whole request in %.0f s", self.seconds)
        if self.transport is not None:
            self.transport.abort()

    def data_received(self, data: bytes) -> None:
        if self.timer is not None:
            self.seen = (self.seen + data)[-_MAX_HEAD_SCAN:]
            if _HEAD_END in self.seen:
                self.timer.cancel()
                self.timer = None
                self.seen = b""
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()


def guarded(factory: Callable[[], asyncio.Protocol], seconds: float) -> Callable[[], asyncio.Protocol]:
    return lambda: FirstHeadDeadline(factory(), seconds)


async def serve(app: web.Application, host: str, port: int, *, head_seconds: float, keepalive_seconds: float) -> None:
    """Serve `app` until cancelled (Ctrl-C, SIGTERM), then shut down cleanly."""
    runner = web.AppRunner(app, keepalive_timeout=keepalive_seconds, access_log=None)
    await runner.setup()
    assert runner.server is not None
    loop = asyncio.get_running_loop()
    server = await loop.create_server(guarded(runner.server, head_seconds), host, port, reuse_address=True)
    log.info("web service on http://%s:%s", host, port)
    try:
        await asyncio.Event().wait()
    finally:
        server.close()
        await server.wait_closed()
        await runner.cleanup()


def run(app: web.Application, settings: Settings) -> None:
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # `kill` stops as cleanly as Ctrl-C
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            serve(
                app,
                settings.web_host,
                settings.web_port,
                head_seconds=settings.web_head_timeout_seconds,
                keepalive_seconds=settings.web_keepalive_seconds,
            )
        )
