"""Request bodies must arrive in time: one that trickles in would hold a connection and a handler for ever."""

from __future__ import annotations

import asyncio

from aiohttp import web

# /staff/ registers the middleware itself, inside its own error pages; /notes/ reads its bodies itself,
# with a larger cap than 16 KB (bot/web/notes.py).
_SUB_APPS = ("/staff/", "/notes/")
IN_SUB_APP = web.AppKey("reads_bodies_itself", bool)


def body_deadline(seconds: float):  # type: ignore[no-untyped-def]
    """A middleware that reads the body within `seconds` (aiohttp keeps it for .json() and .post());
    a body too big still gives 413, from the app whose error pages should say so. No route takes a
    multipart body (no uploads), which aiohttp could only read from the stream, so it is refused."""

    @web.middleware
    async def read_body_in_time(request: web.Request, handler):  # type: ignore[no-untyped-def]
        if request.can_read_body and (request.app.get(IN_SUB_APP) or not request.path.startswith(_SUB_APPS)):
            if request.content_type.startswith("multipart/"):
                raise web.HTTPUnsupportedMediaType()  # worded by the app's error pages, as 408
            try:
                await asyncio.wait_for(request.read(), seconds)
            except asyncio.TimeoutError:
                raise web.HTTPRequestTimeout() from None
        return await handler(request)

    return read_body_in_time
