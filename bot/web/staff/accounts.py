"""Admins manage the accounts (staff, editor, admin): add, change role, disable or enable, set a password.

Every change is audited by bot.storage.staff_repository. An admin cannot take away their own admin role or
disable themselves, so there is always someone who can put a mistake right.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp_session import get_session

from bot.accounts.staff import (
    MAX_PASSWORD_CHARS,
    MIN_PASSWORD_CHARS,
    AccountError,
    account_words,
    add_account,
    normalise_username,
    reset_password,
)
from bot.content.store import ContentUnavailable
from bot.storage.roles import STAFF_ROLES
from bot.web.staff.context import StaffContext, context, db, user
from bot.web.staff.security import ADMIN_ONLY, allow, form_text, read_form, refuse, say


async def accounts_page(request: web.Request) -> web.Response:
    from bot.web.staff.views import page

    accounts = await db(context(request).repo().accounts.all)
    words = context(request).page_section("roles")
    return await page(
        request, "accounts.html", accounts=accounts, roles=STAFF_ROLES, role_words=words,
        min_password=MIN_PASSWORD_CHARS, max_password=MAX_PASSWORD_CHARS,
    )


def _why(ctx: StaffContext, error: AccountError) -> str:
    """The refusal's words (content/staff.yml `account_errors:`); without any, `say` shows nothing anyway."""
    try:
        return account_words(ctx.page_words(), error)
    except ContentUnavailable:
        return error.key


def _back(request: web.Request) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(request.app.router["accounts"].url_for())


def _target(request: web.Request) -> str:
    name = normalise_username(request.match_info["username"])
    if name is None:
        raise refuse(request, web.HTTPNotFound, "no_account")
    return name


async def add(request: web.Request) -> web.Response:
    ctx, me = context(request), user(request)
    form = await read_form(request)
    role = form_text(form, "role")
    session = await get_session(request)
    if role not in STAFF_ROLES:
        raise refuse(request, web.HTTPBadRequest, "choose_role")
    try:
        account = await db(
            add_account,
            ctx.repo().accounts,
            ctx.passwords,
            form_text(form, "username"),
            form_text(form, "password"),
            role,
            actor=me.username,
        )
    except AccountError as exc:
        say(session, ctx, "account_not_added", "error", reason=_why(ctx, exc))
        raise _back(request) from None
    say(session, ctx, "account_added", name=account.username, role=account.role)
    raise _back(request)


async def change_role(request: web.Request) -> web.Response:
    me, name = user(request), _target(request)
    role = form_text(await read_form(request), "role")
    if role not in STAFF_ROLES:
        raise refuse(request, web.HTTPBadRequest, "choose_role")
    session = await get_session(request)
    if name == me.username and role != "admin":
        say(session, context(request), "cannot_demote_yourself", "error")
        raise _back(request)
    previous = await db(context(request).repo().accounts.set_role, name, role, actor=me.username)
    if previous is None:
        raise refuse(request, web.HTTPNotFound, "no_account")
    say(session, context(request), "role_changed" if previous != role else "role_unchanged", name=name, role=role)
    raise _back(request)


async def set_active(request: web.Request) -> web.Response:
    me, name = user(request), _target(request)
    wanted = form_text(await read_form(request), "active")
    if wanted not in ("yes", "no"):
        raise refuse(request, web.HTTPBadRequest, "say_active")
    session = await get_session(request)
    if name == me.username:
        say(session, context(request), "cannot_disable_yourself", "error")
        raise _back(request)
    if not await db(context(request).repo().accounts.set_active, name, wanted == "yes", actor=me.username):
        raise refuse(request, web.HTTPNotFound, "no_account")
    say(session, context(request), "account_enabled" if wanted == "yes" else "account_disabled", name=name)
    raise _back(request)


async def set_password(request: web.Request) -> web.Response:
    ctx, me, name = context(request), user(request), _target(request)
    password = form_text(await read_form(request), "password")
    session = await get_session(request)
    try:
        found = await db(reset_password, ctx.repo().accounts, ctx.passwords, name, password, actor=me.username)
    except AccountError as exc:
        say(session, ctx, "password_not_changed", "error", reason=_why(ctx, exc))
        raise _back(request) from None
    if not found:
        raise refuse(request, web.HTTPNotFound, "no_account")
    say(session, context(request), "password_set", name=name)
    raise _back(request)


def add_account_routes(app: web.Application) -> None:
    router = app.router
    router.add_get("/accounts", accounts_page, name="accounts")
    router.add_post("/accounts", add, name="accounts_add")
    router.add_post("/accounts/{username}/role", change_role, name="accounts_role")
    router.add_post("/accounts/{username}/active", set_active, name="accounts_active")
    router.add_post("/accounts/{username}/password", set_password, name="accounts_password")
    allow(app, ADMIN_ONLY, "accounts", "accounts_add", "accounts_role", "accounts_active", "accounts_password")
