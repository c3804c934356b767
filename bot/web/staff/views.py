"""The staff pages: sign-in, the queue, a referral, exports, the team overview and the audit log."""

from __future__ import annotations

import logging
import math
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_session import get_session, new_session

from bot.content.models import Content
from bot.content.store import ContentUnavailable
from bot.handoff.reference import normalise_reference
from bot.handoff.render import render_text
from bot.handoff.summary import Summary
from bot.storage.models import PRIORITIES, STATUSES
from bot.storage.staff_repository import MAX_NOTE_CHARS, STATUS_FILTERS, StaffAccount
from bot.web.client import client_address
from bot.web.staff import charts
from bot.web.staff.accounts import add_account_routes
from bot.web.staff.context import USER, StaffContext, context, db, user
from bot.web.staff.export import FORMATS, to_csv, to_json
from bot.web.staff.present import UK, case_view
from bot.web.staff.security import (
    EVERYONE,
    REFERRAL_ROLES,
    allow,
    csrf_token,
    form_text,
    is_api,
    read_form,
    refuse,
    say,
    start_session,
)
from bot.web.staff.signin import sign_in
from bot.web.staff.workspace import add_workspace_routes

log = logging.getLogger(__name__)

JINJA = web.AppKey("staff_jinja", jinja2.Environment)
STATIC = Path(__file__).parent / "static"
PAGE_SIZE = 50
AUDIT_PAGE_SIZE = 100
MAX_EXPORT = 500
MAX_SHOWN_NAME = 64  # of a typed username shown again on the sign-in page (the field's maxlength)


# -- rendering -------------------------------------------------------------------------------------------


# The one sentence not in content/: the pages' own words are there (staff.yml), so without them no page can be
# drawn (the content check says what is wrong).
NO_WORDS = "The staff pages cannot be shown right now: the wording in content/ does not load. Run the content check."


def _no_words() -> web.Response:
    log.error("staff pages: no valid content, so no page can be worded")
    return web.Response(status=503, text=NO_WORDS, content_type="text/plain")


async def page(request: web.Request, template: str, *, http_status: int = 200, **values: Any) -> web.Response:
    ctx = context(request)
    try:
        staff = ctx.page_words()
    except ContentUnavailable:
        return _no_words()
    session = await get_session(request)
    base = {
        "user": request.get(USER),
        "csrf_token": csrf_token(session),
        "flash": session.pop("flash", None),
        "now": ctx.now(),
        "status_words": staff["statuses"],
        "priority_words": staff["priorities"],
        "w": staff["pages"],
        "l": staff["labels"],
        "words": staff,  # every section, for the pages' own (check_page, history_page ...)
        "team_name": ctx.team_name(),
    }
    return aiohttp_jinja2.render_template(template, request, {**base, **values}, app_key=JINJA, status=http_status)


def _redirect(request: web.Request, route: str, **parts: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(request.app.router[route].url_for(**parts))


def _reference(request: web.Request) -> str:
    reference = normalise_reference(request.match_info["reference"])
    if reference is None:
        raise refuse(request, web.HTTPNotFound, "no_such_reference")
    return reference


def _content(ctx: StaffContext) -> Content:
    """The live wording; without any (a broken content folder from the start) referrals cannot be shown."""
    try:
        return ctx.content.get()
    except ContentUnavailable:
        log.error("staff pages: no valid content, so referrals cannot be worded")
        raise ctx.refusal(web.HTTPServiceUnavailable, "referrals_unworded") from None


def _summary(ctx: StaffContext, reference: str, document: dict) -> Summary:
    try:
        return Summary.read(document)
    except ValueError as exc:  # names the place and rule, never a value
        log.error("referral %s: the stored summary cannot be read (%s)", reference, exc)
        raise ctx.refusal(web.HTTPInternalServerError, "summary_unreadable", reference=reference) from None


def _admin_only(request: web.Request, what: str) -> StaffAccount:
    account = user(request)
    if not account.is_admin:
        raise refuse(request, web.HTTPForbidden, what)
    return account


# Each error's heading and usual words, by status: content/staff.yml `error_pages:` (NAME and NAME_title).
ERROR_PAGES = {
    400: "bad_request", 401: "sign_in", 403: "forbidden", 404: "not_found", 405: "wrong_method", 408: "too_slow",
    413: "too_big", 415: "no_uploads", 500: "server_error", 503: "unavailable",
}


@web.middleware
async def error_pages(request: web.Request, handler):  # type: ignore[no-untyped-def]
    """Errors as a plain staff page (JSON under /staff/api/); redirects pass through."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or is_api(request) or request.match_info.route.name == "static":
            raise
        try:
            words = context(request).page_words()["error_pages"]
        except ContentUnavailable:
            return web.Response(status=503, text=NO_WORDS, content_type="text/plain")
        name = ERROR_PAGES.get(exc.status, "other")
        default = f"{exc.status}: {exc.reason}"
        ours = exc.text and exc.text != default and exc.status != 413  # aiohttp's own 413 text is technical
        message = exc.text if ours else words[name]
        return await page(request, "error.html", http_status=exc.status, message=message, title=words[f"{name}_title"])


# -- signing in and out --------------------------------------------------------------------------------------


async def login_page(request: web.Request) -> web.Response:
    session = await get_session(request)
    if session.get("user"):
        raise _redirect(request, "queue")
    return await page(request, "login.html", username="", problem=None)


async def login_submit(request: web.Request) -> web.Response:
    ctx = context(request)
    form = await read_form(request)
    typed, password = form_text(form, "username"), form_text(form, "password")
    address = client_address(request, ctx.settings.trusted_proxy_hops)
    outcome = await sign_in(ctx, address, typed, password)
    shown = typed[:MAX_SHOWN_NAME]  # whatever was typed, known or not, so the page says nothing about accounts
    if outcome.retry_after:
        response = await page(
            request, "login.html", http_status=429, username=shown, problem=_throttled(ctx, outcome.retry_after)
        )
        response.headers["Retry-After"] = str(outcome.retry_after)
        return response
    account = outcome.account
    if account is None:
        return await page(request, "login.html", http_status=401, username=shown, problem=ctx.error_words("sign_in_failed"))
    old = await get_session(request)
    target = old.get("next")
    session = await new_session(request)  # a fresh session (and CSRF token) at every sign-in
    start_session(session, account, ctx.now().timestamp())
    log.info("staff sign-in: %s", account.username)
    if isinstance(target, str) and target.startswith("/staff/") and not target.startswith("/staff/login"):
        raise web.HTTPSeeOther(target)
    raise _redirect(request, "queue")


def _throttled(ctx: StaffContext, seconds: int) -> str | None:
    if seconds == 1:
        wait = ctx.error_words("wait_one_second")
    elif seconds < 60:
        wait = ctx.error_words("wait_seconds", count=seconds)
    else:
        minutes = math.ceil(seconds / 60)
        until = f"{(ctx.now() + timedelta(seconds=seconds)).astimezone(UK):%H:%M}"
        wait = ctx.error_words("wait_one_minute" if minutes == 1 else "wait_minutes", count=minutes, time=until)
    return ctx.error_words("sign_in_throttled", wait=wait)


async def logout(request: web.Request) -> web.Response:
    account = user(request)
    await db(context(request).repo().accounts.end_sessions, account.username)
    session = await get_session(request)
    session.invalidate()
    say(session, context(request), "signed_out")
    raise _redirect(request, "login")


# -- the queue ----------------------------------------------------------------------------------------------


def _page_number(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or 1), 10_000))
    except ValueError:
        return 1


async def queue_page(request: web.Request) -> web.Response:
    repo = context(request).repo()
    query = request.query
    status = query.get("status", "open")
    status = status if status in STATUS_FILTERS else "open"
    priority = query.get("priority") or None
    priority = priority if priority in PRIORITIES else None
    search = query.get("q", "").strip()
    reference = normalise_reference(search) if search else None
    number = _page_number(query.get("page"))
    if search and reference is None:
        result, problem = None, context(request).error_words("not_a_reference")
    else:
        result = await db(
            repo.queue,
            status=status,
            priority=priority,
            reference=reference,
            limit=PAGE_SIZE,
            offset=(number - 1) * PAGE_SIZE,
        )
        problem = None
    counts = await db(repo.counts)
    newest = await db(repo.newest_id)
    pages = max(1, -(-result.total // PAGE_SIZE)) if result else 1
    return await page(
        request,
        "queue.html",
        result=result,
        problem=problem,
        counts=counts,
        newest=newest,
        status=status,
        priority=priority or "",
        search=search,
        reference=reference,
        number=number,
        pages=pages,
        status_filters=STATUS_FILTERS,
        priorities=PRIORITIES,
        queue_words=context(request).page_section("queue"),
        gone=context(request).error_words("referral_gone", reference=reference) if reference else None,
    )


async def api_queue(request: web.Request) -> web.Response:
    """The counts and the newest referral, for the queue page's "new referrals" notice. Plain columns only."""
    repo = context(request).repo()
    counts = await db(repo.counts)
    return web.json_response(
        {
            "newest_id": await db(repo.newest_id),
            "counts": {**counts.by_status, "open": counts.open, "open_urgent": counts.by_priority_open["urgent"]},
        }
    )


# -- one referral ----------------------------------------------------------------------------------------------


async def referral_page(request: web.Request) -> web.Response:
    ctx = context(request)
    reference = _reference(request)
    case = await db(ctx.repo().case_file, reference, actor=user(request).username)
    if case is None:
        raise refuse(request, web.HTTPNotFound, "referral_gone", reference=reference)
    content = _content(ctx)
    summary = _summary(ctx, reference, case.referral.summary)
    return await page(
        request,
        "referral.html",
        case=case,
        referral=case.referral,
        view=case_view(summary, content),
        text_summary=render_text(summary, content),
        statuses=STATUSES,
        max_note=MAX_NOTE_CHARS,
    )


async def change_status(request: web.Request) -> web.Response:
    reference = _reference(request)
    status = str((await request.post()).get("status", ""))
    if status not in STATUSES:
        raise refuse(request, web.HTTPBadRequest, "choose_status")
    previous = await db(context(request).repo().change_status, reference, status, actor=user(request).username)
    if previous is None:
        raise refuse(request, web.HTTPNotFound, "no_referral", reference=reference)
    ctx = context(request)
    shown = ctx.page_words()["statuses"][status]
    say(await get_session(request), ctx, "status_changed" if previous != status else "status_unchanged", status=shown)
    raise _redirect(request, "referral", reference=reference)


async def assign(request: web.Request) -> web.Response:
    reference = _reference(request)
    who = str((await request.post()).get("to", ""))
    if who not in ("me", "nobody"):
        raise refuse(request, web.HTTPBadRequest, "assign_who")
    account = user(request)
    assignee = account.username if who == "me" else None
    if not await db(context(request).repo().assign, reference, assignee, actor=account.username):
        raise refuse(request, web.HTTPNotFound, "no_referral", reference=reference)
    say(await get_session(request), context(request), "assigned_to_you" if assignee else "unassigned")
    raise _redirect(request, "referral", reference=reference)


async def add_note(request: web.Request) -> web.Response:
    reference = _reference(request)
    body = str((await request.post()).get("body", ""))
    session = await get_session(request)
    try:
        added = await db(context(request).repo().add_note, reference, body, actor=user(request).username)
    except ValueError:
        say(session, context(request), "note_invalid", "error", max=MAX_NOTE_CHARS)
        raise _redirect(request, "referral", reference=reference) from None
    if not added:
        raise refuse(request, web.HTTPNotFound, "no_referral", reference=reference)
    say(session, context(request), "note_added")
    raise _redirect(request, "referral", reference=reference)


async def erase(request: web.Request) -> web.Response:
    account = _admin_only(request, "admins_only_erase")
    reference = _reference(request)
    confirm = normalise_reference(str((await request.post()).get("confirm", "")))
    session = await get_session(request)
    if confirm != reference:
        say(session, context(request), "erase_not_confirmed", "error")
        raise _redirect(request, "referral", reference=reference)
    if not await db(context(request).repo().erase, reference, actor=account.username):
        raise refuse(request, web.HTTPNotFound, "no_referral", reference=reference)
    say(session, context(request), "erased", reference=reference)
    raise _redirect(request, "queue")


# -- export ----------------------------------------------------------------------------------------------------


async def export(request: web.Request) -> web.Response:
    ctx = context(request)
    form = await request.post()
    fmt = str(form.get("format", ""))
    if fmt not in FORMATS:
        raise refuse(request, web.HTTPBadRequest, "choose_format")
    references = [r for r in (normalise_reference(str(v)) for v in form.getall("reference", [])) if r]
    if not references:
        say(await get_session(request), ctx, "tick_to_export", "error")
        raise _redirect(request, "queue")
    if len(references) > MAX_EXPORT:
        raise refuse(request, web.HTTPBadRequest, "export_too_many", max=MAX_EXPORT)
    account = user(request)
    cases = await db(ctx.repo().export, references, fmt, actor=account.username)
    if not cases:
        raise refuse(request, web.HTTPNotFound, "export_none")
    now = ctx.now()
    if fmt == "csv":
        read = [(case, _summary(ctx, case.referral.reference, case.referral.summary)) for case in cases]
        body = to_csv(read, _content(ctx))
    else:
        body = to_json(cases, exported_by=account.username, exported_at=now)
    name = f"referral-{cases[0].referral.reference}" if len(cases) == 1 else f"referrals-{now:%Y%m%d-%H%M}"
    log.info("staff export: %s, %d referral(s) by %s", fmt, len(cases), account.username)
    return web.Response(
        body=body,
        content_type=FORMATS[fmt],
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


# -- overview and audit ------------------------------------------------------------------------------------------


async def overview_page(request: web.Request) -> web.Response:
    ctx = context(request)
    stats = await db(ctx.repo().overview, weeks=12)
    titles = ctx.topic_titles()
    try:
        words = ctx.page_words()  # the charts' words
    except ContentUnavailable:
        return _no_words()
    return await page(
        request,
        "overview.html",
        stats=stats,
        titles=titles,
        weekly=charts.weekly_chart(stats, words),
        share=charts.urgent_share_chart(stats, words),
        topics=charts.topics_chart(stats.topics, titles, words),
    )


async def audit_page(request: web.Request) -> web.Response:
    account = _admin_only(request, "admins_only_audit")
    search = request.query.get("reference", "").strip()
    reference = normalise_reference(search) if search else None
    number = _page_number(request.query.get("page"))
    entries, total = await db(
        context(request).repo().audit_log,
        actor=account.username,
        reference=reference,
        limit=AUDIT_PAGE_SIZE,
        offset=(number - 1) * AUDIT_PAGE_SIZE,
    )
    return await page(
        request,
        "audit.html",
        entries=entries,
        total=total,
        search=search,
        bad_search=bool(search) and reference is None,
        number=number,
        pages=max(1, -(-total // AUDIT_PAGE_SIZE)),
    )


def add_routes(app: web.Application) -> None:
    router = app.router
    router.add_get("/login", login_page, name="login")
    router.add_post("/login", login_submit, name="login_submit")
    router.add_post("/logout", logout, name="logout")
    router.add_get("/", queue_page, name="queue")
    router.add_get("/referrals/{reference}", referral_page, name="referral")
    router.add_post("/referrals/{reference}/status", change_status, name="status")
    router.add_post("/referrals/{reference}/assign", assign, name="assign")
    router.add_post("/referrals/{reference}/notes", add_note, name="notes")
    router.add_post("/referrals/{reference}/erase", erase, name="erase")
    router.add_post("/export", export, name="export")
    router.add_get("/overview", overview_page, name="overview")
    router.add_get("/audit", audit_page, name="audit")
    router.add_get("/api/queue", api_queue, name="api_queue")
    router.add_static("/static/", STATIC, name="static", show_index=False)
    allow(app, EVERYONE, "logout")
    allow(app, REFERRAL_ROLES, "audit")  # and admins only, with its own words (audit_page)
    add_account_routes(app)
    add_workspace_routes(app)
