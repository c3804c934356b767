"""The parent's notes on the server, for a moment only: a PDF, a printable page, an email, or a copy added to
the referral sent in the same conversation (mounted at /notes/).

Each request carries the notes as JSON and gets its answer; nothing is logged, cached or written (the
referral route alone writes, encrypted, into that referral). The checks are the chat relay's: the
browser's origin, JSON only (a form on another site cannot send it without asking first), a size cap
and a deadline for the body, a schema, invisible characters removed, and rate limits per address and
conversation (tighter for email, which reaches someone else's inbox).
"""

from __future__ import annotations

import asyncio
import json
import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote

import aiohttp
from aiohttp import web

from bot.config import Settings, SettingsError
from bot.content.models import Content
from bot.content.store import ContentStore, ContentUnavailable
from bot.handoff.form import form_started_at
from bot.handoff.parent_notes import parent_notes_section, with_parent_notes
from bot.handoff.submit import submission_key
from bot.notes.document import Document, Row, build_document
from bot.notes.mail import BadAddress, MailSettings, build_message, checked_address, one_line, send
from bot.notes.model import MAX_BODY_BYTES, Notes, NotesError, parse_notes
from bot.notes.pdf import FILE_NAME as PDF_NAME
from bot.notes.pdf import PdfUnavailable, fonts, render_pdf
from bot.notes.printable import FILE_NAME as PAGE_NAME
from bot.notes.printable import render_page
from bot.storage.repository import ReferralStore, StorageUnavailable
from bot.web.client import address_group, client_address
from bot.web.rate_limits import ChatRateLimits, RateLimitSettings
from bot.web.relay import NoReplicaAnswered, RasaReplicas, ReplicaHttpError, relay
from bot.web.widget.cors import origin_may_post, preflight
from bot.web.widget.notes_config import NOTES_FEATURES
from bot.web.words import parent_words

log = logging.getLogger(__name__)

PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"
PDF_QUEUE_SECONDS = 20.0
NOTES_SERVICE = web.AppKey("notes_service", object)


@dataclass(frozen=True)
class NotesLimits:
    """NOTES_RATE_*: downloads and referral copies; NOTES_EMAIL_RATE_*: emails."""

    documents: ChatRateLimits
    emails: ChatRateLimits

    @classmethod
    def from_settings(cls, settings: Settings) -> NotesLimits:
        storage_uri = settings.rate_limit_storage
        return cls(
            ChatRateLimits(
                RateLimitSettings(settings.notes_rate_per_address, settings.notes_rate_per_conversation, storage_uri)
            ),
            ChatRateLimits(
                RateLimitSettings(
                    settings.notes_email_rate_per_address, settings.notes_email_rate_per_conversation, storage_uri
                )
            ),
        )


def _said(store: ContentStore, key: str, **values: object) -> str:
    return parent_words(store, "notes_errors", key, **values)


def _error(status: int, message: str, **extra: object) -> web.Response:
    response = web.json_response({"error": message, **extra}, status=status)
    if "retry_after" in extra:
        response.headers["Retry-After"] = str(extra["retry_after"])
    return response


def _too_big(store: ContentStore) -> web.Response:
    response = _error(413, _said(store, "too_big"))
    response.force_close()  # the rest of the body is never read, so the connection cannot be used again
    return response


class Refused(Exception):
    def __init__(self, response: web.Response) -> None:
        self.response = response


async def _read_body(request: web.Request, seconds: float, store: ContentStore) -> bytes:
    """The body, refused past MAX_BODY_BYTES (before reading it all) or when it trickles in too slowly."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise Refused(_too_big(store))

    async def read() -> bytes:
        chunks, size = [], 0
        async for chunk in request.content.iter_chunked(16 * 1024):
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise Refused(_too_big(store))
            chunks.append(chunk)
        return b"".join(chunks)

    try:
        return await asyncio.wait_for(read(), seconds)
    except asyncio.TimeoutError:
        raise Refused(_error(408, _said(store, "too_slow"))) from None


class NotesService:
    def __init__(
        self, settings: Settings, content: ContentStore, limits: NotesLimits, mail: MailSettings, replicas: RasaReplicas
    ) -> None:
        self.settings = settings
        self.content = content
        self.limits = limits
        self.mail = mail
        self.store: ReferralStore | None = None
        self.replicas = replicas  # the chat's own: a replica found down by either is passed by for both
        # One PDF at a time: a PDF is seconds of CPU at the size cap, so many at once would starve the chat.
        self.pdf_slot = asyncio.Semaphore(1)
        self.pdf_queue_seconds = PDF_QUEUE_SECONDS

    async def render_pdf(self, document: Document) -> bytes:
        try:
            await asyncio.wait_for(self.pdf_slot.acquire(), self.pdf_queue_seconds)
        except asyncio.TimeoutError:
            raise Refused(_error(503, _said(self.content, "busy"))) from None
        try:
            return await asyncio.to_thread(render_pdf, document)
        finally:
            self.pdf_slot.release()

    # -- the checks every route shares -----------------------------------------------------------------

    async def notes(self, request: web.Request, limits: ChatRateLimits) -> tuple[Notes, Content]:
        if not origin_may_post(request):
            raise Refused(_error(403, _said(self.content, "not_allowed")))
        if request.content_type != "application/json":
            raise Refused(_error(415, _said(self.content, "send_json")))
        raw = await _read_body(request, self.settings.web_body_timeout_seconds, self.content)
        try:
            body = json.loads(raw.decode("utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            raise Refused(_error(400, _said(self.content, "not_json"))) from None
        try:
            notes = parse_notes(body)
        except NotesError as exc:
            raise Refused(_error(exc.status, _said(self.content, exc.key, **exc.values))) from None
        address = address_group(client_address(request, self.settings.trusted_proxy_hops))
        wait = await limits.wait_needed(address, notes.sender)
        if wait:
            raise Refused(
                _error(429, _said(self.content, "too_fast", seconds=wait), retry_after=wait)
            )
        if notes.empty:
            raise Refused(_error(400, _said(self.content, "nothing_yet")))
        try:
            content = self.content.get()
        except ContentUnavailable:
            raise Refused(_error(503, _said(self.content, "not_working"))) from None
        if content.notes is None:
            raise Refused(_error(503, _said(self.content, "not_working")))
        return notes, content

    # -- the routes ------------------------------------------------------------------------------------

    async def pdf(self, request: web.Request) -> web.Response:
        notes, content = await self.notes(request, self.limits.documents)
        try:
            data = await self.render_pdf(build_document(notes, content))
        except PdfUnavailable as exc:
            log.error("notes PDF unavailable: %s", exc)  # names the font folder only
            return _error(503, _said(self.content, "no_pdf"))
        return web.Response(
            body=data,
            content_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{PDF_NAME}"'},
        )

    async def page(self, request: web.Request) -> web.Response:
        notes, content = await self.notes(request, self.limits.documents)
        return web.Response(
            text=render_page(build_document(notes, content)),
            content_type="text/html",
            headers={"Content-Disposition": f'attachment; filename="{PAGE_NAME}"', "Content-Security-Policy": PAGE_POLICY},
        )

    async def email(self, request: web.Request) -> web.Response:
        notes, content = await self.notes(request, self.limits.emails)
        if not self.mail.enabled:
            return _error(503, _said(self.content, "no_email"))
        try:
            to = checked_address(notes.to or "")
        except BadAddress as exc:
            return _error(exc.status, _said(self.content, exc.key))
        assert content.notes is not None
        document = build_document(notes, content)
        message = build_message(
            self.mail,
            to,
            one_line(notes.subject or "", content.notes.messages.get("email_subject", content.notes.title)),
            _email_body(document, content),
            await self._pdf_or_none(document),
        )
        try:
            await asyncio.to_thread(send, self.mail, message)
        except (smtplib.SMTPException, OSError) as exc:
            log.warning("notes email not sent: %s", type(exc).__name__)
            return _error(502, _said(self.content, "email_failed"))
        return web.json_response({"status": "sent", "message": content.notes.messages["email_sent"]})

    async def referral(self, request: web.Request) -> web.Response:
        notes, content = await self.notes(request, self.limits.documents)
        assert content.notes is not None
        if not notes.consent:
            return _error(400, _said(self.content, "needs_yes"))
        started_at = await self._referral_started(notes.sender)
        none_yet = content.notes.messages["referral_none"]
        if started_at is None:
            return _error(404, none_yet)
        section = _referral_section(build_document(notes, content), notes)
        try:
            reference = await asyncio.to_thread(self._add_to_referral, submission_key(notes.sender, started_at), section)
        except (SettingsError, StorageUnavailable) as exc:
            log.warning("parent notes not added to a referral: %s", type(exc).__name__)
            return _error(503, _said(self.content, "not_added"))
        if reference is None:
            return _error(404, none_yet)
        return web.json_response({"status": "added", "message": content.notes.messages["referral_added"]})

    # -- helpers ---------------------------------------------------------------------------------------

    async def _pdf_or_none(self, document: Document) -> tuple[str, bytes] | None:
        try:
            return PDF_NAME, await self.render_pdf(document)
        except PdfUnavailable:
            return None  # the email still carries the notes in its text

    async def _referral_started(self, sender: str) -> datetime | None:
        """When this conversation's latest self-referral began (its consent step), from the Rasa server."""
        http = request_session()
        try:
            relayed = await relay(
                http,
                self.replicas,
                sender,
                "GET",
                f"/conversations/{quote(sender, safe='')}/tracker",
                params={"include_events": "ALL", "token": self.settings.rasa_token.get_secret_value()},
                timeout=self.settings.rasa_timeout_seconds,
            )
            tracker = relayed.body
        except ReplicaHttpError as exc:
            if exc.status != 404:
                log.warning("the Rasa server answered %s for a conversation's tracker", exc.status)
            return None
        except (NoReplicaAnswered, aiohttp.ClientError, json.JSONDecodeError) as exc:
            log.warning("the conversation could not be read for the parent's notes: %s", type(exc).__name__)
            raise Refused(_error(503, _said(self.content, "assistant_away"))) from None
        finally:
            await http.close()
        events = tracker.get("events") if isinstance(tracker, dict) else None
        return form_started_at(events) if isinstance(events, list) else None

    def _add_to_referral(self, key: str, section: dict) -> str | None:
        if self.store is None:
            self.store = ReferralStore.from_env()
        entries, sheet = len(section["entries"]), "yes" if section["missing_sheet"] else "no"
        return self.store.update_summary(
            key,
            lambda summary: with_parent_notes(summary, section),
            actor="parent",
            action="parent_notes_added",
            detail=f"entries={entries} missing_sheet={sheet}",
        )


def request_session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession()


def _email_body(document: Document, content: Content) -> str:
    assert content.notes is not None
    return f"{content.notes.messages.get('email_intro', '')}\n\n{document.plain_text()}"


def _filled(rows: tuple[Row, ...]) -> list[dict[str, str]]:
    return [{"label": row.label, "value": row.value} for row in rows if row.value]


def _referral_section(document: Document, notes: Notes) -> dict:
    """The document's entries and filled-in sheet boxes, as the referral keeps them."""
    parts = list(document.parts)
    log_part = parts.pop(0) if notes.entries else None
    sheet_part = parts[0] if notes.sheet and parts else None
    entries = [{"heading": (b.heading or "")[:100], "rows": _filled(b.rows)} for b in log_part.blocks] if log_part else []
    sheet = _filled(sheet_part.blocks[0].rows) if sheet_part else []
    return parent_notes_section(entries, sheet, datetime.now(timezone.utc))


def _pdf_available(settings: Settings) -> bool:
    try:
        fonts(settings)
    except PdfUnavailable:
        return False
    return True


@web.middleware
async def refusals(request: web.Request, handler):  # type: ignore[no-untyped-def]
    try:
        return await handler(request)
    except Refused as refused:
        return refused.response


def setup_notes(app: web.Application, settings: Settings, content: ContentStore, replicas: RasaReplicas) -> NotesService:
    """Mount /notes/pdf, /notes/page, /notes/email and /notes/referral on `app`."""
    mail = MailSettings.from_settings(settings)
    service = NotesService(settings, content, NotesLimits.from_settings(settings), mail, replicas)
    notes_app = web.Application(middlewares=[refusals])
    for name, handler in (
        ("pdf", service.pdf),
        ("page", service.page),
        ("email", service.email),
        ("referral", service.referral),
    ):
        notes_app.router.add_post(f"/{name}", handler)
        notes_app.router.add_route("OPTIONS", f"/{name}", preflight)
    app.add_subapp("/notes/", notes_app)
    app[NOTES_FEATURES] = {"pdf": _pdf_available(settings), "email": mail.enabled}
    app[NOTES_SERVICE] = service
    return service
