"""The content editors' workspace (/staff/content/): preview, check, edit with versions, insight.

Editors and admins only (staff who work with referrals do not edit content, and editors never see a
referral). The safety replies and the lexicon are changed by admins only. Every edit is checked on a copy
of the content folder before the live file is replaced (bot.content.editing), and kept as a version with
an audit row (bot.storage.content_versions). Hand edits to the files are recorded as versions when the
workspace next looks at them.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp_session import get_session

from bot import conversation
from bot.content import editing
from bot.content.check import MIN_READING_EASE, check_content, readability_scores, verification_problems
from bot.content.loader import load_content
from bot.content.models import Content, Finding
from bot.content.store import ContentUnavailable
from bot.handoff.form import REFERRAL_NEEDS
from bot.storage.content_versions import ContentVersions, Version, sha256_text
from bot.storage.insight import SMALL, InsightStore, period, shown
from bot.web.staff.context import StaffContext, context, db, user
from bot.web.staff.security import ADMIN_ONLY, EDITOR_ROLES, allow, allow_large, form_text, read_form, refuse, say

log = logging.getLogger(__name__)

SAVE_LOCK = web.AppKey("content_save_lock", asyncio.Lock)


async def _page(request: web.Request, template: str, **values: Any) -> web.Response:
    from bot.web.staff.views import page  # the staff pages' one renderer (views imports this module)

    return await page(request, template, **values)


def _root(ctx: StaffContext) -> Path:
    return ctx.settings.content_dir


def _live(ctx: StaffContext) -> Content:
    try:
        return ctx.content.get()
    except ContentUnavailable:
        raise ctx.refusal(web.HTTPServiceUnavailable, "content_broken") from None


def _versions(ctx: StaffContext) -> ContentVersions:
    return ContentVersions(ctx.repo().store.engine, clock=ctx.now)


def _today(ctx: StaffContext) -> date:
    return ctx.now().date()


def _file_of(request: web.Request, content: Content, topic_id: str) -> str:
    """A topic's file relative to the content folder (topics/missing.yml); 404 for no such topic."""
    topic = content.topics.get(topic_id)
    if topic is None:
        raise refuse(request, web.HTTPNotFound, "no_topic")
    return topic.file.partition("/")[2]


def _sync_all(ctx: StaffContext) -> None:
    """Record, as found on disk, every file that differs from its last version (hand edits show in the history)."""
    root = _root(ctx)
    _versions(ctx).sync_all({relative: (root / relative).read_text(encoding="utf-8") for relative in editing.content_files(root)})


def _needs_admin(request: web.Request, relative: str) -> None:
    if relative in editing.SAFETY_FILES and not user(request).is_admin:
        raise refuse(request, web.HTTPForbidden, "safety_admins_only")


# -- home and preview ----------------------------------------------------------------------------------------


async def home(request: web.Request) -> web.Response:
    ctx = context(request)
    content = _live(ctx)
    await db(_sync_all, ctx)
    topics = sorted(content.topics.values(), key=lambda t: (t.order, t.id))
    return await _page(request, "content_home.html", topics=topics, services=list(content.services.values()))


def preview_steps(content: Content, topic_id: str) -> list[dict[str, Any]]:
    """Each step as the widget shows it, from the same code the actions use (bot.conversation)."""
    topic = content.topics[topic_id]
    steps = []
    for step in topic.steps:
        first = conversation.start_topic(content, f"{topic.id}/{step.id}").messages[0]
        more = None
        if step.more:
            more = conversation.tell_me_more(content, conversation.Place(topic.id, step.id)).messages[0]
        steps.append({"step": step, "message": first, "more": more})
    return steps


async def preview(request: web.Request) -> web.Response:
    ctx = context(request)
    content = _live(ctx)
    topic_id = request.match_info["topic"]
    _file_of(request, content, topic_id)
    return await _page(
        request, "content_preview.html", topic=content.topics[topic_id], steps=preview_steps(content, topic_id)
    )


# -- the check ---------------------------------------------------------------------------------------------


def check_report(root: Path, today: date) -> dict[str, Any]:
    content, load_findings = load_content(root)
    findings = check_content(content, load_findings, today, REFERRAL_NEEDS)
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_file[finding.file].append(finding)
    broken = [f for f in findings if "does not exist" in f.message]
    scores: dict[str, list[Any]] = defaultdict(list)
    for score in readability_scores(content):
        scores[score.file].append(score)
    due = []
    for service in content.services.values():
        problems = [message for _level, message in verification_problems(service, today)]
        if problems:
            due.append((service, problems))
    return {
        "by_file": dict(sorted(by_file.items())),
        "errors": sum(f.is_error for f in findings),
        "warnings": sum(not f.is_error for f in findings),
        "broken": broken,
        "scores": dict(sorted(scores.items())),
        "due": due,
    }


async def check_page(request: web.Request) -> web.Response:
    ctx = context(request)
    report = await db(check_report, _root(ctx), _today(ctx))
    return await _page(
        request, "content_check.html", level_words=ctx.page_section("findings"), min_reading_ease=MIN_READING_EASE, **report
    )


# -- editing -----------------------------------------------------------------------------------------------


def _said(ctx: StaffContext, error: editing.EditError) -> str:
    """Why an edit cannot be made (content/staff.yml `edit_errors:`); without those words no page can be drawn
    anyway (the staff pages then say that the wording does not load)."""
    try:
        return editing.edit_words(ctx.page_words(), error)
    except ContentUnavailable:
        return error.key


def _read(ctx: StaffContext, relative: str) -> str:
    try:
        return editing.content_file(_root(ctx), relative).read_text(encoding="utf-8")
    except editing.EditError as exc:
        raise web.HTTPNotFound(text=_said(ctx, exc)) from None


async def _save(
    request: web.Request, relative: str, base: str, change: Any, *, form_template: str, form_values: dict[str, Any]
) -> web.Response:
    """Check and write one change; `change(body)` gives (new body, what changed) or raises EditError."""
    ctx, account = context(request), user(request)
    _needs_admin(request, relative)
    async with request.app[SAVE_LOCK]:
        body = await db(_read, ctx, relative)
        versions = _versions(ctx)
        await db(versions.sync, relative, body)  # the file as it was, hand edits included
        problems: list[str] = []
        outcome = None
        if base != sha256_text(body):
            problems.append(ctx.page_words()["errors"]["file_changed"])
        else:
            try:
                new_body, detail = change(body)
            except editing.EditError as exc:
                problems.append(_said(ctx, exc))
            else:
                if new_body == body:
                    say(await get_session(request), ctx, "nothing_changed")
                    raise web.HTTPSeeOther(str(request.rel_url))
                outcome = await db(editing.check_change, _root(ctx), relative, new_body, REFERRAL_NEEDS, _today(ctx))
                if outcome.ok and not await _written(editing.content_file(_root(ctx), relative), new_body):
                    problems.append(ctx.page_words()["flash"]["not_written"])
                elif outcome.ok:
                    await db(versions.record, relative, new_body, actor=account.username, kind="saved", detail=detail)
                    log.info("content saved: %s by %s", relative, account.username)
                    say(await get_session(request), ctx, "saved", detail=detail)
                    raise web.HTTPSeeOther(str(request.rel_url))
    return await _page(
        request,
        form_template,
        http_status=422,
        problems=problems,
        refused=outcome.refused if outcome else [],
        warnings=outcome.warnings if outcome else [],
        base=sha256_text(body),
        **form_values,
    )


def _text_field(request: web.Request, form: Any, name: str, box: str, *, required: bool) -> str:
    """One box of an edit form, cleaned; `box` names it in the refusals (content/staff.yml `edit_boxes:`)."""
    max_chars = context(request).settings.editor_max_text_chars
    text = editing.clean_text(form_text(form, name), max_chars=max_chars, box=box)
    if required and not text:
        raise editing.EditError("empty", box=box)
    return text


async def step_form(request: web.Request) -> web.Response:
    ctx = context(request)
    content = _live(ctx)
    topic_id, step_id = request.match_info["topic"], request.match_info["step"]
    relative = _file_of(request, content, topic_id)
    topic = content.topics[topic_id]
    index = topic.step_index(step_id)
    if index is None:
        raise refuse(request, web.HTTPNotFound, "no_step")
    step = topic.steps[index]
    body = await db(_read, ctx, relative)
    if request.method == "GET":
        return await _page(
            request, "content_step.html", topic=topic, step=step, text=step.text, more=step.more or "",
            file=relative, base=sha256_text(body), problems=[], refused=[], warnings=[],
        )
    form = await read_form(request)
    try:
        text = _text_field(request, form, "text", "step_text", required=True)
        more = _text_field(request, form, "more", "step_more", required=False)
    except editing.EditError as exc:
        text, more, error = form_text(form, "text"), form_text(form, "more"), _said(ctx, exc)
    else:
        error = None
    values = {"topic": topic, "step": step, "text": text, "more": more, "file": relative}
    if error:
        return await _page(
            request, "content_step.html", http_status=422, problems=[error], refused=[], warnings=[],
            base=sha256_text(body), **values,
        )
    return await _save(
        request, relative, form_text(form, "base"), lambda b: editing.set_step(b, step_id, text=text, more=more),
        form_template="content_step.html", form_values=values,
    )


SERVICES_FILE = "services.yml"


async def service_form(request: web.Request) -> web.Response:
    ctx = context(request)
    content = _live(ctx)
    service = content.services.get(request.match_info["service"])
    if service is None or service.file != f"{_root(ctx).name}/{SERVICES_FILE}":
        raise refuse(request, web.HTTPNotFound, "no_service")
    body = await db(_read, ctx, SERVICES_FILE)
    current = {
        "name": service.name,
        **{k: service.details.get(k, "") for k in editing.SERVICE_FIELDS if k not in ("name", "verified", "needs_confirming")},
        "verified": service.verified.isoformat() if service.verified else "",
        "needs_confirming": service.needs_confirming or "",
    }
    if request.method == "GET":
        return await _page(
            request, "content_service.html", service=service, fields=editing.SERVICE_FIELDS, values=current,
            file=SERVICES_FILE, base=sha256_text(body), problems=[], refused=[], warnings=[],
        )
    form = await read_form(request)
    values: dict[str, str] = {}
    error = None
    for name in editing.SERVICE_FIELDS:
        try:
            values[name] = _text_field(request, form, name, name, required=name in ("name", "about"))
        except editing.EditError as exc:
            values[name], error = form_text(form, name), error or _said(ctx, exc)
    shown_values = {"service": service, "fields": editing.SERVICE_FIELDS, "values": values, "file": SERVICES_FILE}
    if error:
        return await _page(
            request, "content_service.html", http_status=422, problems=[error], refused=[], warnings=[],
            base=sha256_text(body), **shown_values,
        )
    return await _save(
        request, SERVICES_FILE, form_text(form, "base"), lambda b: editing.set_service(b, service.id, values),
        form_template="content_service.html", form_values=shown_values,
    )


# -- safety replies and the lexicon (admins) ----------------------------------------------------------------


async def safety_page(request: web.Request) -> web.Response:
    ctx = context(request)
    content = _live(ctx)
    messages = [m for m in content.messages.values() if m.domain_response]
    lexicon = await db(_read, ctx, editing.LEXICON_FILE)
    return await _page(
        request, "content_safety.html", messages=messages, lexicon=lexicon,
        base_messages=sha256_text(await db(_read, ctx, editing.MESSAGES_FILE)), base_lexicon=sha256_text(lexicon),
        problems=[], refused=[], warnings=[],
    )


async def safety_message_save(request: web.Request) -> web.Response:
    ctx = context(request)
    content = _live(ctx)
    message_id = request.match_info["message"]
    entry = content.messages.get(message_id)
    if entry is None or not entry.domain_response:
        raise refuse(request, web.HTTPNotFound, "no_safety_reply")
    form = await read_form(request)
    lexicon = await db(_read, ctx, editing.LEXICON_FILE)
    values = {
        "messages": [m for m in content.messages.values() if m.domain_response], "lexicon": lexicon,
        "base_lexicon": sha256_text(lexicon),
    }
    try:
        text = _text_field(request, form, "text", "safety_reply", required=True)
    except editing.EditError as exc:
        return await _page(
            request, "content_safety.html", http_status=422, problems=[_said(ctx, exc)], refused=[], warnings=[],
            base_messages=form_text(form, "base"), **values,
        )
    response = await _save(
        request, editing.MESSAGES_FILE, form_text(form, "base"), lambda b: editing.set_message(b, message_id, text),
        form_template="content_safety.html", form_values={**values, "base_messages": form_text(form, "base")},
    )
    return response


async def lexicon_save(request: web.Request) -> web.Response:
    ctx = context(request)
    content = _live(ctx)
    form = await read_form(request)
    text = form_text(form, "lexicon").replace("\r\n", "\n")
    values = {"messages": [m for m in content.messages.values() if m.domain_response], "lexicon": text}
    base_messages = sha256_text(await db(_read, ctx, editing.MESSAGES_FILE))
    if len(text) > editing.MAX_FILE_CHARS or editing.has_hidden_characters(text):
        return await _page(
            request, "content_safety.html", http_status=422, refused=[], warnings=[], base_messages=base_messages,
            base_lexicon=form_text(form, "base"), problems=[ctx.page_words()["errors"]["lexicon_refused"]], **values,
        )
    body = text if text.endswith("\n") else text + "\n"
    return await _save(
        request, editing.LEXICON_FILE, form_text(form, "base"), lambda b: (body, "the lexicon"),
        form_template="content_safety.html",
        form_values={**values, "base_messages": base_messages, "base_lexicon": form_text(form, "base")},
    )


# -- history and restore -------------------------------------------------------------------------------------


def _history(ctx: StaffContext, relative: str) -> list[tuple[Version, list[tuple[str, str]]]]:
    versions = _versions(ctx)
    versions.sync(relative, _read(ctx, relative))
    history = versions.history(relative)
    shown_history = []
    for index, version in enumerate(history):
        older = history[index + 1] if index + 1 < len(history) else None
        changes = editing.diff(older.body, version.body, f"version {older.id}", f"version {version.id}") if older else []
        shown_history.append((version, changes))
    return shown_history


async def history_page(request: web.Request) -> web.Response:
    ctx = context(request)
    relative = request.query.get("file", "")
    try:
        editing.content_file(_root(ctx), relative)
    except editing.EditError as exc:
        raise web.HTTPNotFound(text=_said(ctx, exc)) from None
    history = await db(_history, ctx, relative)
    current = history[0][0].sha256 if history else ""
    return await _page(request, "content_history.html", file=relative, history=history, current=current)


async def restore(request: web.Request) -> web.Response:
    ctx, account = context(request), user(request)
    form = await read_form(request)
    try:
        version_id = int(form_text(form, "version"))
    except ValueError:
        raise refuse(request, web.HTTPBadRequest, "choose_version") from None
    versions = _versions(ctx)
    version = await db(versions.get, version_id)
    if version is None:
        raise refuse(request, web.HTTPNotFound, "no_version")
    _needs_admin(request, version.file)
    session = await get_session(request)
    back = web.HTTPSeeOther(str(request.app.router["content_history"].url_for().with_query(file=version.file)))
    async with request.app[SAVE_LOCK]:
        body = await db(_read, ctx, version.file)
        await db(versions.sync, version.file, body)
        if body == version.body:
            say(session, ctx, "restore_current")
            raise back
        outcome = await db(editing.check_change, _root(ctx), version.file, version.body, REFERRAL_NEEDS, _today(ctx))
        if not outcome.ok:
            reasons = "; ".join(f.message for f in outcome.refused[:3])
            say(session, ctx, "restore_refused", "error", number=version.id, reasons=reasons)
            raise back
        if not await _written(editing.content_file(_root(ctx), version.file), version.body):
            say(session, ctx, "restore_not_written", "error", number=version.id)
            raise back
        await db(versions.record, version.file, version.body, actor=account.username, kind="restored", detail=f"version {version.id}")
    say(session, ctx, "restored", number=version.id)
    raise back


async def _written(path: Path, body: str) -> bool:
    """Write a content file; False (with a log line naming only the error's type) where the folder refuses it."""
    try:
        await db(editing.write_atomically, path, body)
    except OSError as exc:
        log.error("content file not written: %s (%s)", path.name, type(exc).__name__)
        return False
    return True


# -- insight ---------------------------------------------------------------------------------------------------


def _days(raw: str | None, default: int) -> int:
    try:
        return max(1, min(int(raw or default), 366))
    except ValueError:
        return default


async def insight_page(request: web.Request) -> web.Response:
    ctx = context(request)
    content = _live(ctx)
    days = _days(request.query.get("days"), ctx.settings.insight_days)
    first, last = period(_today(ctx), days)
    key = ctx.settings.insight_key.get_secret_value()
    counts = await db(InsightStore(ctx.repo().store.engine, key).topics, first, last) if key else {}
    rows = []
    for topic in sorted(content.topics.values(), key=lambda t: (t.order, t.id)):
        found = counts.get(topic.id)
        rows.append(
            {
                "topic": topic,
                "opened": shown(found.opened if found else 0),
                "steps": [(step.id, shown(found.step_views.get(step.id, 0) if found else 0)) for step in topic.steps],
                "more": shown(found.more if found else 0),
                "not_understood": shown(found.not_understood if found else 0),
                "handoff": shown(found.handoff if found else 0),
            }
        )
    return await _page(
        request, "content_insight.html", rows=rows, days=days, first=first, last=last, counting=bool(key),
        choices=(7, 30, 90, 365), small_count=SMALL,
    )


def add_workspace_routes(app: web.Application) -> None:
    app[SAVE_LOCK] = asyncio.Lock()
    router = app.router
    router.add_get("/content/", home, name="content_home")
    router.add_get("/content/check", check_page, name="content_check")
    router.add_get("/content/insight", insight_page, name="content_insight")
    router.add_get("/content/history", history_page, name="content_history")
    router.add_post("/content/restore", restore, name="content_restore")
    router.add_get("/content/topics/{topic}", preview, name="content_preview")
    router.add_get("/content/topics/{topic}/steps/{step}", step_form, name="content_step")
    router.add_post("/content/topics/{topic}/steps/{step}", step_form, name="content_step_save")
    router.add_get("/content/services/{service}", service_form, name="content_service")
    router.add_post("/content/services/{service}", service_form, name="content_service_save")
    router.add_get("/content/safety", safety_page, name="content_safety")
    router.add_post("/content/safety/messages/{message}", safety_message_save, name="content_safety_message")
    router.add_post("/content/safety/lexicon", lexicon_save, name="content_lexicon")
    allow(
        app, EDITOR_ROLES, "content_home", "content_check", "content_insight", "content_history", "content_restore",
        "content_preview", "content_step", "content_step_save", "content_service", "content_service_save",
    )
    allow(app, ADMIN_ONLY, "content_safety", "content_safety_message", "content_lexicon")
    allow_large(app, 2 * editing.MAX_FILE_CHARS, "content_lexicon")  # the whole lexicon file, form-encoded
