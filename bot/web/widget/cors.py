"""Cross-origin access for the widget: only the charity's own sites (WIDGET_ALLOWED_ORIGINS) may embed it.

With the setting empty the widget works on the assistant's own origin only. No credentials are ever
allowed: the widget sends no cookies.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

from bot.config import normalise_origin

ALLOWED_ORIGINS = web.AppKey("widget_allowed_origins", frozenset)
# Paths a widget on another origin needs: the chat relay, the reconnect probe, the widget's own files and
# the parent's notes (bot/web/notes.py).
CORS_PREFIXES = ("/api/chat", "/api/status", "/widget/", "/notes/")


def _is_cors_path(path: str) -> bool:
    return path.startswith(CORS_PREFIXES)


def _listed_origin(request: web.Request) -> str | None:
    """The request's Origin when it is one of the allowed embedding sites."""
    origin = normalise_origin(request.headers.get("Origin", ""))
    return origin if origin in request.config_dict.get(ALLOWED_ORIGINS, frozenset()) else None  # sub-apps too


def origin_may_post(request: web.Request) -> bool:
    """A browser request from a site that is neither this one nor an allowed one is refused.

    Browsers send Origin on every cross-site POST, so this also stops pages elsewhere from posting
    to the relay with a "simple" request that skips the CORS preflight.
    """
    raw = request.headers.get("Origin")
    if raw is None:
        return True  # not from a browser page (curl, the tests, the benchmark)
    origin = normalise_origin(raw)
    if origin is None:
        return False  # includes "null" (sandboxed frames, local files)
    same_site = urlsplit(origin).netloc == (request.host or "").lower()
    return same_site or _listed_origin(request) is not None


async def add_cors_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: let allowed sites read the widget's responses (every status, errors included)."""
    if not _is_cors_path(request.path):
        return
    response.headers.add("Vary", "Origin")
    origin = _listed_origin(request)
    if origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin


async def preflight(request: web.Request) -> web.Response:
    """OPTIONS for a cross-origin POST of JSON to the relay."""
    method = request.headers.get("Access-Control-Request-Method", "")
    asked = {
        h.strip().lower() for h in request.headers.get("Access-Control-Request-Headers", "").split(",") if h.strip()
    }
    if _listed_origin(request) is None or method not in ("GET", "POST") or not asked <= {"content-type"}:
        return web.Response(status=403)
    return web.Response(
        status=204,
        headers={
            "Access-Control-Allow-Methods": "GET, POST",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": "600",
        },
    )


def setup_cors(app: web.Application, origins: frozenset[str]) -> None:
    app[ALLOWED_ORIGINS] = origins
    app.on_response_prepare.append(add_cors_headers)
    for path in ("/api/chat", "/api/status"):
        app.router.add_route("OPTIONS", path, preflight)
