"""Sign-in state, CSRF tokens and security headers for the staff pages.

Sessions live in an encrypted, signed cookie (aiohttp-session's EncryptedCookieStorage, path /staff/,
HttpOnly, SameSite=Strict, Secure over https). A session holds the username, the account's session
version (raised on sign-out, password reset and disabling, which ends old sessions everywhere), when
it signed in, when it was last active, and its CSRF token.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp_session import Session, get_session
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from multidict import MultiDictProxy
from sqlalchemy.exc import DBAPIError

from bot.content.models import fill
from bot.content.store import ContentUnavailable
from bot.storage.roles import STAFF_ROLES
from bot.storage.staff_repository import StaffAccount
from bot.web.staff.context import USER, StaffContext, context, db

log = logging.getLogger(__name__)

COOKIE_NAME = "staff_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_ROUTES = frozenset({"login", "login_submit", "static"})
API_PREFIX = "/staff/api/"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

# Which roles may use a route, by route name. A route not listed here works with referrals: staff and admins.
EVERYONE = frozenset(STAFF_ROLES)
REFERRAL_ROLES = frozenset({"staff", "admin"})
EDITOR_ROLES = frozenset({"editor", "admin"})
ADMIN_ONLY = frozenset({"admin"})
ROUTE_ROLES = web.AppKey("staff_route_roles", dict)


# Forms that carry a whole file (the safety lexicon) may be larger than the web service's usual request cap.
LARGE_FORMS = web.AppKey("staff_large_forms", dict)


def allow_large(app: web.Application, max_bytes: int, *route_names: str) -> None:
    app.setdefault(LARGE_FORMS, {}).update(dict.fromkeys(route_names, max_bytes))


def allow(app: web.Application, roles: frozenset[str], *route_names: str) -> None:
    app.setdefault(ROUTE_ROLES, {}).update(dict.fromkeys(route_names, roles))

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "X-Robots-Tag": "noindex, nofollow",
}


class StaffCookieStorage(EncryptedCookieStorage):
    """EncryptedCookieStorage whose cookie is Secure whenever the request came over https.

    `X-Forwarded-Proto: https` (a TLS proxy in front) counts too: trusting it can only add Secure.
    """

    def __init__(self, secret_key: str, *, max_age: int, always_secure: bool) -> None:
        super().__init__(
            secret_key, cookie_name=COOKIE_NAME, path="/staff/", max_age=max_age, httponly=True, samesite="Strict"
        )
        self.always_secure = always_secure

    async def save_session(self, request: web.Request, response: web.StreamResponse, session: Session) -> None:
        await super().save_session(request, response, session)
        https = request.secure or request.headers.get("X-Forwarded-Proto", "").lower() == "https"
        morsel = response.cookies.get(self.cookie_name)
        if morsel is not None and (self.always_secure or https):
            morsel["secure"] = True


def is_api(request: web.Request) -> bool:
    return request.path.startswith(API_PREFIX)


def csrf_token(session: Session) -> str:
    """This session's CSRF token, made on first use."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


def _same_origin(request: web.Request) -> bool:
    """A POST that names another site as its Origin is refused even with a token.

    "null" is allowed: with `Referrer-Policy: no-referrer` browsers send "Origin: null" on their own
    forms. The token and the SameSite=Strict cookie still stand in that case.
    """
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return True
    return urlsplit(origin).netloc.lower() == (request.host or "").lower()


async def read_form(request: web.Request) -> MultiDictProxy:
    """The posted form (cached by aiohttp); 400 for a body that is not text in the charset it names."""
    try:
        return await request.post()
    except (UnicodeDecodeError, LookupError, ValueError) as exc:
        log.warning("staff %s refused: unreadable form body (%s)", request.match_info.route.name, type(exc).__name__)
        raise refuse(request, web.HTTPBadRequest, "form_unreadable") from None


def form_text(form: MultiDictProxy, name: str) -> str:
    """A text field of the form; "" when it is missing or is a file or bytes."""
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


async def _csrf_ok(request: web.Request, session: Session) -> bool:
    if not _same_origin(request):
        return False
    expected = session.get("csrf")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.content_type in FORM_TYPES:
        sent = form_text(await read_form(request), CSRF_FIELD) or None
    return bool(expected) and isinstance(sent, str) and hmac.compare_digest(sent.encode(), str(expected).encode())


def flash(session: Session, text: str, kind: str = "ok") -> None:
    """A one-off message for the next page (staff-facing words only, never personal data)."""
    session["flash"] = {"text": text, "kind": kind}


def say(session: Session, ctx: StaffContext, key: str, kind: str = "ok", **values: object) -> None:
    """`flash` with the words of content/staff.yml `flash:`; none where no content has ever loaded (what was
    done stays done: only the note about it is left out)."""
    try:
        words = ctx.page_words()["flash"][key]
    except ContentUnavailable:
        return
    flash(session, fill(words, **values), kind)


def start_session(session: Session, account: StaffAccount, now: float) -> None:
    session.update(user=account.username, v=account.session_version, login=now, seen=now)
    session["csrf"] = secrets.token_urlsafe(32)


async def signed_in_user(request: web.Request, session: Session, ctx: StaffContext) -> StaffAccount | None:
    """The account this session belongs to, or None (an ended session is cleared, with a note for the sign-in page)."""
    username = session.get("user")
    if not username:
        return None
    now = ctx.now().timestamp()
    idle = now - float(session.get("seen", 0))
    if (
        idle > ctx.config.idle_timeout.total_seconds()
        or now - float(session.get("login", 0)) > ctx.config.max_session.total_seconds()
    ):
        session.invalidate()
        say(session, ctx, "idle_signed_out", minutes=int(ctx.config.idle_timeout.total_seconds() // 60))
        return None
    account = await db(ctx.repo().accounts.get, username)
    if account is None or not account.active or account.session_version != session.get("v"):
        session.invalidate()
        say(session, ctx, "session_ended")
        return None
    if not is_api(request):
        # Background polling by the queue page must not keep a session alive: only pages and forms do.
        session["seen"] = now
    return account


def refuse(request: web.Request, exc_class: type[web.HTTPException], key: str, **values: object) -> web.HTTPException:
    """An HTTP error in the words of content/staff.yml `errors:`, as JSON under /staff/api/."""
    return context(request).refusal(exc_class, key, as_json=is_api(request), **values)


def _login_redirect(request: web.Request, session: Session) -> web.HTTPException:
    if request.method == "GET" and request.path.startswith("/staff/") and not request.path.startswith("/staff/login"):
        session["next"] = request.path_qs
    return web.HTTPSeeOther(request.app.router["login"].url_for())


@web.middleware
async def guard(request: web.Request, handler):  # type: ignore[no-untyped-def]
    """Every route needs a signed-in account except the sign-in page and static files; every POST a CSRF token."""
    ctx = context(request)
    route_name = request.match_info.route.name
    if route_name != "static":
        ctx.repo()  # 503 with the reason when the referrals cannot be opened (a missing key, say)
    session = await get_session(request)
    if route_name not in PUBLIC_ROUTES:
        account = await signed_in_user(request, session, ctx)
        if account is None:
            if is_api(request):
                raise refuse(request, web.HTTPUnauthorized, "sign_in_first")
            raise _login_redirect(request, session)
        request[USER] = account
        roles = request.app.get(ROUTE_ROLES, {}).get(route_name, REFERRAL_ROLES)
        if account.role not in roles:
            if route_name == "queue":  # where sign-in lands: an editor's own start page instead
                raise web.HTTPSeeOther(request.app.router["content_home"].url_for())
            log.info("staff %s refused: role %s", route_name, account.role)
            raise refuse(request, web.HTTPForbidden, "api_role_no_access" if is_api(request) else "role_no_access")
    if request.method not in SAFE_METHODS and request.content_type in FORM_TYPES:
        await read_form(request)  # a body that cannot be read is a 400 here, for every form
    if request.method not in SAFE_METHODS and not await _csrf_ok(request, session):
        log.warning("staff %s %s refused: missing or wrong CSRF token", request.method, route_name)
        raise refuse(request, web.HTTPForbidden, "api_token_stale" if is_api(request) else "form_expired")
    return await handler(request)


@web.middleware
async def large_forms(request: web.Request, handler):  # type: ignore[no-untyped-def]
    """A larger body cap for the few routes in LARGE_FORMS, and only with a session that names an account
    (the guard, after the body is read, still checks the account and its role as for every route)."""
    large = request.app.get(LARGE_FORMS, {}).get(request.match_info.route.name)
    if large and request.method not in SAFE_METHODS and (await get_session(request)).get("user"):
        request = request.clone(client_max_size=large)
    return await handler(request)


@web.middleware
async def staff_headers(request: web.Request, handler):  # type: ignore[no-untyped-def]
    """Security headers and no caching on every staff response, errors and redirects included."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers.update(HEADERS)
        raise
    except DBAPIError as exc:
        log.error("staff page %s: database error %s", request.match_info.route.name, type(exc.orig).__name__)
        said = context(request).error_words("database_down") or web.HTTPServiceUnavailable().text
        response = web.Response(status=503, text=said, content_type="text/plain")
    response.headers.update(HEADERS)
    return response
