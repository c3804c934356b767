"""A stand-in for the Rasa server's REST channel, for the web service's tests (the `fake_rasa` fixture).

It records every message it is sent, answers with `answer(body)` (by default one "hello"), hangs for
five seconds on the message "hang" (a Rasa turn that times out), and answers `GET /` as Rasa does, so
the widget's status check sees an assistant that is up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

HANG = "hang"


def say_hello(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"recipient_id": body["sender"], "text": "hello"}]


@dataclass
class FakeRasa:
    received: list[dict[str, Any]] = field(default_factory=list)
    answer: Callable[[dict[str, Any]], list[dict[str, Any]]] = say_hello
    server: TestServer | None = None

    @property
    def url(self) -> str:
        """The base address, as the `rasa_url` setting takes it."""
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    def app(self) -> web.Application:
        async def webhook(request: web.Request) -> web.Response:
            body = await request.json()
            self.received.append(body)
            if body.get("message") == HANG:
                await asyncio.sleep(5)
            return web.json_response(self.answer(body))

        async def root(request: web.Request) -> web.Response:
            return web.Response(text="Hello from Rasa: 3.6.21")

        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", webhook)
        app.router.add_get("/", root)
        return app
