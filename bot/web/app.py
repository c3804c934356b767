"""aiohttp application: the chat page and a small JSON endpoint that relays to Rasa's REST channel."""

from __future__ import annotations

import html
import json
import logging
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.config import Settings
from bot.content.render import render
from bot.content.store import ContentStore, ContentUnavailable
from bot.web.chat_input import ChatInputError, clean_bot_messages, parse_chat_input
from bot.web.staff import setup_staff
from bot.web.widget import setup_widget

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
MAX_REQUEST_BYTES = 16 * 1024

SETTINGS = web.AppKey("settings", Settings)
CONTENT = web.AppKey("content", ContentStore)
HTTP = web.AppKey("http", aiohttp.ClientSession)

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def help_now_text(app: web.Application) -> str:
    try:
        content = app[CONTENT].get()
        return render(content.messages["help_now"].text, content.services)
    except (ContentUnavailable, KeyError):
        return ""


@web.middleware
async def security_headers(request: web.Request, handler):  # type: ignore[no-untyped-def]
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
        if exc.status == 413:
            response = _error(413, "That message is too big to send.")
        elif exc.status >= 400 and request.path.startswith("/api/"):
            response = _error(exc.status, exc.reason)
        else:
            raise
    response.headers.update(SECURITY_HEADERS)
    return response


def _error(status: int, message: str, **extra: object) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


async def chat_page(request: web.Request) -> web.Response:
    page = (STATIC / "chat.html").read_text(encoding="utf-8")
    page = page.replace("{{HELP_NOW}}", html.escape(help_now_text(request.app)))
    return web.Response(text=page, content_type="text/html")


async def chat(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _error(400, "The request was not valid JSON.")
    try:
        chat_input = parse_chat_input(body, settings.max_message_chars)
    except ChatInputError as exc:
        return _error(exc.status, str(exc))
    url = f"{settings.rasa_url}/webhooks/rest/webhook"
    try:
        async with request.app[HTTP].post(
            url,
            json={"sender": chat_input.sender, "message": chat_input.message},
            timeout=aiohttp.ClientTimeout(total=settings.rasa_timeout_seconds),
        ) as upstream:
            if upstream.status != 200:
                raise aiohttp.ClientResponseError(upstream.request_info, (), status=upstream.status)
            raw = await upstream.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, json.JSONDecodeError) as exc:
        log.warning("assistant unreachable: %s", type(exc).__name__)
        return _error(
            503,
            "Sorry, the assistant is not answering right now. Your message was not lost: try again in a moment.",
            help_now=help_now_text(request.app),
        )
    return web.json_response({"messages": clean_bot_messages(raw)})


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _http_session(app: web.Application):  # type: ignore[no-untyped-def]
    app[HTTP] = aiohttp.ClientSession()
    yield
    await app[HTTP].close()


def create_app(settings: Settings) -> web.Application:
    app = web.Application(middlewares=[security_headers], client_max_size=MAX_REQUEST_BYTES)
    app[SETTINGS] = settings
    app[CONTENT] = ContentStore(settings.content_dir)
    app.cleanup_ctx.append(_http_session)
    app.router.add_get("/", chat_page)
    app.router.add_post("/api/chat", chat)
    app.router.add_get("/healthz", health)
    app.router.add_static("/static/", STATIC, show_index=False)
    setup_widget(app, settings)
    setup_staff(app, settings)
    return app
