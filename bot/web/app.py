"""The web service's aiohttp application: `/api/chat` (checked, rate-limited, relayed to Rasa's REST channel),
`/api/status` and security headers on every response; the widget and the staff pages plug in."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.config import Settings
from bot.content.store import ContentStore
from bot.web.bodies import body_deadline
from bot.web.chat_input import ChatInputError, clean_bot_messages, parse_chat_input
from bot.web.client import address_group, came_over_tls, client_address
from bot.web.notes import setup_notes
from bot.web.rate_limits import ChatRateLimits, RateLimitSettings
from bot.web.relay import NoReplicaAnswered, RasaReplicas, ReplicaHttpError, relay
from bot.web.staff import setup_staff
from bot.web.widget import setup_widget
from bot.web.widget.cors import origin_may_post
from bot.web.widget.helpnow import help_now
from bot.web.words import parent_words

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
MAX_REQUEST_BYTES = 16 * 1024

SETTINGS = web.AppKey("settings", Settings)
CONTENT = web.AppKey("content", ContentStore)
HTTP = web.AppKey("http", aiohttp.ClientSession)
RATE_LIMITS = web.AppKey("rate_limits", ChatRateLimits)
REPLICAS = web.AppKey("replicas", RasaReplicas)
HSTS = "max-age=31536000; includeSubDomains"
SERVER_NAME = "parent-support"  # aiohttp would announce its version and Python's

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
    return help_now(app[CONTENT]).text


# The words (content/web.yml `chat_errors:`) for the errors aiohttp raises itself under /api/; any other is
# "not_right".
API_ERROR_WORDS = {404: "not_found", 405: "wrong_method", 408: "too_slow", 413: "too_big", 415: "no_uploads"}


@web.middleware
async def json_errors_for_the_api(request: web.Request, handler):  # type: ignore[no-untyped-def]
    """Errors under /api/ (and any 413) answer in JSON, in words a parent can act on."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status == 413 or (exc.status >= 400 and request.path.startswith("/api/")):
            return _error(exc.status, _said(request, API_ERROR_WORDS.get(exc.status, "not_right")) or exc.reason)
        raise


def security_headers(trusted_proxy_hops: int):  # type: ignore[no-untyped-def]
    """A response-prepare hook: headers on every response, errors and static files included (the staff
    pages keep their own stricter policy); HSTS when the request came over TLS."""

    async def add(request: web.Request, response: web.StreamResponse) -> None:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers["Server"] = SERVER_NAME
        if came_over_tls(request, trusted_proxy_hops):
            response.headers["Strict-Transport-Security"] = HSTS

    return add


def _said(request: web.Request, key: str, **values: object) -> str:
    return parent_words(request.config_dict[CONTENT], "chat_errors", key, **values)


def _error(status: int, message: str, **extra: object) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


async def chat(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    if not origin_may_post(request):
        return _error(403, _said(request, "not_allowed"))
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return _error(400, _said(request, "not_json"))
    try:
        chat_input = parse_chat_input(body, settings.max_message_chars)
    except ChatInputError as exc:
        return _error(exc.status, _said(request, exc.key, **exc.values))
    address = address_group(client_address(request, settings.trusted_proxy_hops))
    wait = await request.app[RATE_LIMITS].wait_needed(address, chat_input.sender)
    if wait:
        response = _error(
            429,
            _said(request, "too_fast", seconds=wait),
            retry_after=wait,
            help_now=help_now_text(request.app),
        )
        response.headers["Retry-After"] = str(wait)
        return response
    try:
        relayed = await relay(
            request.app[HTTP],
            request.app[REPLICAS],
            chat_input.sender,
            "POST",
            "/webhooks/rest/webhook",
            json={"sender": chat_input.sender, "message": chat_input.message},
            timeout=settings.rasa_timeout_seconds,
        )
        raw = relayed.body
    except (NoReplicaAnswered, ReplicaHttpError, aiohttp.ClientError, json.JSONDecodeError) as exc:
        log.warning("assistant unreachable: %s", type(exc).__name__)
        return _error(
            503,
            _said(request, "unavailable"),
            help_now=help_now_text(request.app),
        )
    return web.json_response({"messages": clean_bot_messages(raw)})


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def assistant_status(request: web.Request) -> web.Response:
    """Whether any Rasa replica answers: the widget polls this to reconnect without re-sending a message."""
    settings = request.app[SETTINGS]
    timeout = aiohttp.ClientTimeout(total=min(3.0, settings.rasa_timeout_seconds))

    async def answers(url: str) -> bool:
        try:
            async with request.app[HTTP].get(f"{url}/", timeout=timeout) as upstream:
                return upstream.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError, TimeoutError):
            return False

    up = any(await asyncio.gather(*(answers(url) for url in request.app[REPLICAS].urls)))
    if up:
        return web.json_response({"assistant": "ok"})
    return _error(503, _said(request, "not_answering_yet"), assistant="unreachable")


async def _http_session(app: web.Application):  # type: ignore[no-untyped-def]
    app[HTTP] = aiohttp.ClientSession()
    yield
    await app[HTTP].close()


def create_app(settings: Settings) -> web.Application:
    app = web.Application(middlewares=[json_errors_for_the_api, body_deadline(settings.web_body_timeout_seconds)], client_max_size=MAX_REQUEST_BYTES)
    app.on_response_prepare.append(security_headers(settings.trusted_proxy_hops))
    app[SETTINGS] = settings
    app[RATE_LIMITS] = ChatRateLimits(
        RateLimitSettings(settings.chat_rate_per_address, settings.chat_rate_per_conversation, settings.rate_limit_storage)
    )
    app[REPLICAS] = RasaReplicas(settings.rasa_replica_urls)
    app[CONTENT] = ContentStore(settings.content_dir)
    app.cleanup_ctx.append(_http_session)
    app.router.add_post("/api/chat", chat)
    app.router.add_get("/api/status", assistant_status)
    app.router.add_get("/healthz", health)
    app.router.add_static("/static/", STATIC, show_index=False)
    setup_widget(app, settings, app[CONTENT])
    setup_notes(app, settings, app[CONTENT], app[REPLICAS])
    setup_staff(app, settings)
    return app
