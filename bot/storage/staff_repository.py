"""What the staff review pages read and change: accounts, the queue, case files, notes, exports, statistics.

Every look at a referral's personal data and every change writes an audit row (actor = the staff
username) in the same transaction as the change. Audit rows and logs hold references, usernames,
statuses and counts, never anything the parent said or a note's text.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.storage.login_throttle import LoginThrottle
from bot.storage.models import (
    PRIORITIES,
    STAFF_ROLES,
    STATUSES,
    AuditLog,
    Referral,
    ReferralNote,
    StaffUser,
    utc_now,
)
from bot.storage.repository import ReferralInfo, ReferralStore, StoredReferral, _info

log = logging.getLogger(__name__)

OPEN_STATUSES = ("new", "in_progress", "contacted")
STATUS_FILTERS = ("open", "all", *STATUSES)
MAX_NOTE_CHARS = 2000
# What a referral's history shows (views are in the full audit log, for admins).
HISTORY_ACTIONS = (
    "referral_created",
    "status_change",
    "assign",
    "unassign",
    "note_added",
    "export",
    "parent_notes_added",
)


UNKNOWN_ACCOUNT = "unknown account"  # the audit actor of a sign-in attempt with a name no account has


class AccountExists(ValueError):
    """A staff account with this username already exists."""


# -- value objects ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffAccount:
    username: str
    password_hash: str
    role: str
    active: bool
    last_login_at: datetime | None
    session_version: int
    created_at: datetime

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def reads_referrals(self) -> bool:
        """Staff and admins work with referrals; editors never see them."""
        return self.role in ("staff", "admin")

    @property
    def edits_content(self) -> bool:
        return self.role in ("editor", "admin")


@dataclass(frozen=True)
class QueuePage:
    rows: list[ReferralInfo]
    total: int  # matching the filter, before paging


@dataclass(frozen=True)
class QueueCounts:
    by_status: dict[str, int]
    by_priority_open: dict[str, int]  # open referrals (not closed) per priority
    new_urgent: int

    @property
    def open(self) -> int:
        return sum(self.by_status[s] for s in OPEN_STATUSES)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


@dataclass(frozen=True)
class Note:
    author: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    reference: str | None
    detail: str | None


@dataclass(frozen=True)
class CaseFile:
    """A referral with its decrypted summary, its staff notes (oldest first) and its history (oldest first)."""

    referral: StoredReferral
    notes: list[Note]
    history: list[AuditEntry]


@dataclass(frozen=True)
class WeekCount:
    week_start: date  # a Monday (UTC)
    urgent: int
    standard: int

    @property
    def total(self) -> int:
        return self.urgent + self.standard


@dataclass(frozen=True)
class Overview:
    weeks: list[WeekCount]  # oldest first, weeks with none included
    topics: list[tuple[str, int]]  # topic id, referrals whose parent looked at it; most first
    no_topics: int  # referrals whose parent looked at no topic first

    @property
    def total(self) -> int:
        return sum(w.total for w in self.weeks)

    @property
    def urgent(self) -> int:
        return sum(w.urgent for w in self.weeks)


def _account(row: StaffUser) -> StaffAccount:
    return StaffAccount(
        username=row.username,
        password_hash=row.password_hash,
        role=row.role,
        active=bool(row.active),
        last_login_at=row.last_login_at,
        session_version=row.session_version,
        created_at=row.created_at,
    )


def _entry(row: AuditLog) -> AuditEntry:
    return AuditEntry(row.at, row.actor, row.action, row.reference, row.detail)


# -- accounts --------------------------------------------------------------------------------------------


class StaffAccounts:
    """Staff accounts. Needs no encryption key, so the CLI can manage accounts on its own."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.engine = engine
        self._clock = clock

    def _session(self) -> Session:
        return Session(self.engine, future=True)

    def get(self, username: str) -> StaffAccount | None:
        with self._session() as session:
            row = session.execute(select(StaffUser).where(StaffUser.username == username)).scalar_one_or_none()
            return None if row is None else _account(row)

    def all(self) -> list[StaffAccount]:
        with self._session() as session:
            return [_account(row) for row in session.execute(select(StaffUser).order_by(StaffUser.username)).scalars()]

    def add(self, username: str, password_hash: str, role: str, *, actor: str) -> StaffAccount:
        """Raises AccountExists when the username is taken."""
        if role not in STAFF_ROLES:
            raise ValueError(f"role must be one of {STAFF_ROLES}, not {role!r}")
        now = self._clock()
        try:
            with self._session() as session, session.begin():
                row = StaffUser(
                    username=username,
                    password_hash=password_hash,
                    role=role,
                    active=True,
                    session_version=0,
                    created_at=now,
                )
                session.add(row)
                session.flush()
                session.add(AuditLog(at=now, actor=actor, action="staff_added", detail=f"{username} role={role}"))
                account = _account(row)
        except IntegrityError:
            raise AccountExists(f"there is already a staff account called {username}") from None
        log.info("staff account %s added (%s)", username, role)
        return account

    def set_password(self, username: str, password_hash: str, *, actor: str) -> bool:
        """A new password; ends the account's sessions. False if there is no such account."""
        return self._change(
            username, "password_reset", actor, password_hash=password_hash, session_version=StaffUser.session_version + 1
        )

    def set_active(self, username: str, active: bool, *, actor: str) -> bool:
        """Disable (ending every session) or enable an account. False if there is no such account."""
        return self._change(
            username,
            "staff_enabled" if active else "staff_disabled",
            actor,
            active=active,
            session_version=StaffUser.session_version + 1,
        )

    def set_role(self, username: str, role: str, *, actor: str) -> str | None:
        """Give the account another role, ending its sessions; the previous role, or None if there is no such account."""
        if role not in STAFF_ROLES:
            raise ValueError(f"role must be one of {STAFF_ROLES}, not {role!r}")
        account = self.get(username)
        if account is None:
            return None
        if account.role != role:
            self._change(
                username,
                "role_change",
                actor,
                detail=f"{username}: {account.role} -> {role}",
                role=role,
                session_version=StaffUser.session_version + 1,
            )
        return account.role

    def end_sessions(self, username: str) -> None:
        """Sign-out: every session of this account stops working, on every device."""
        self._change(username, "logout", username, session_version=StaffUser.session_version + 1)

    def login_succeeded(self, username: str, *, detail: str, new_hash: str | None = None) -> None:
        """Record the sign-in (`detail`: where from); `new_hash` replaces an outdated hash."""
        values: dict[str, Any] = {"last_login_at": self._clock()}
        if new_hash:
            values["password_hash"] = new_hash
        self._change(username, "login", username, detail=detail, **values)

    def record_attempt(self, actor: str, action: str, detail: str) -> None:
        """An audit row for a sign-in that did not happen (a wrong password, or refused while throttled).

        `actor` is an existing account's username or UNKNOWN_ACCOUNT, never a string as typed.
        """
        with self._session() as session, session.begin():
            session.add(AuditLog(at=self._clock(), actor=actor, action=action, detail=detail[:200]))

    def _change(self, username: str, action: str, actor: str, *, detail: str | None = None, **values: Any) -> bool:
        now = self._clock()
        with self._session() as session, session.begin():
            changed = session.execute(
                update(StaffUser)
                .where(StaffUser.username == username)
                .values(**values)
                .execution_options(synchronize_session=False)
            ).rowcount
            if changed:
                if detail is None and actor != username:
                    detail = username  # an operator acting on someone else's account
                session.add(AuditLog(at=now, actor=actor, action=action, detail=detail))
        return bool(changed)


# -- referrals -------------------------------------------------------------------------------------------


def _queue_query(status: str, priority: str | None, reference: str | None):  # type: ignore[no-untyped-def]
    conditions = []
    if reference is not None:
        conditions.append(Referral.reference == reference)  # a reference search ignores the other filters
    else:
        if status == "open":
            conditions.append(Referral.status.in_(OPEN_STATUSES))
        elif status != "all":
            conditions.append(Referral.status == status)
        if priority is not None:
            conditions.append(Referral.priority == priority)
    return conditions


def week_start(moment: datetime) -> date:
    day = moment.date()
    return day - timedelta(days=day.weekday())


class StaffRepository:
    """The referral work of the staff pages, on top of ReferralStore (same engine and Cipher)."""

    def __init__(self, store: ReferralStore, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.store = store
        self.cipher = store.cipher
        self.accounts = StaffAccounts(store.engine, clock=clock)
        self.throttle = LoginThrottle(store.engine, clock=clock)
        self._clock = clock

    def _session(self) -> Session:
        return Session(self.store.engine, future=True)

    # -- the queue (plain columns only: nothing is decrypted, so it is not a view of personal data) ---------

    def queue(
        self,
        *,
        status: str = "open",
        priority: str | None = None,
        reference: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> QueuePage:
        """Urgent first, then oldest first. `status` is one of STATUS_FILTERS."""
        if status not in STATUS_FILTERS:
            raise ValueError(f"status filter must be one of {STATUS_FILTERS}, not {status!r}")
        if priority is not None and priority not in PRIORITIES:
            raise ValueError(f"priority must be one of {PRIORITIES}, not {priority!r}")
        conditions = _queue_query(status, priority, reference)
        urgent_first = case((Referral.priority == "urgent", 0), else_=1)
        query = (
            select(Referral)
            .where(*conditions)
            .order_by(urgent_first, Referral.created_at, Referral.id)
            .limit(limit)
            .offset(offset)
        )
        with self._session() as session:
            total = session.execute(select(func.count()).select_from(Referral).where(*conditions)).scalar_one()
            rows = [ReferralInfo(**_info(row)) for row in session.execute(query).scalars()]
        return QueuePage(rows, total)

    def counts(self) -> QueueCounts:
        query = select(Referral.status, Referral.priority, func.count()).group_by(Referral.status, Referral.priority)
        by_status = dict.fromkeys(STATUSES, 0)
        by_priority_open = dict.fromkeys(PRIORITIES, 0)
        new_urgent = 0
        with self._session() as session:
            for status, priority, count in session.execute(query):
                by_status[status] += count
                if status in OPEN_STATUSES:
                    by_priority_open[priority] += count
                if status == "new" and priority == "urgent":
                    new_urgent += count
        return QueueCounts(by_status, by_priority_open, new_urgent)

    def newest_id(self) -> int:
        """The highest referral id, so a page can tell that referrals arrived since it was drawn."""
        with self._session() as session:
            return session.execute(select(func.max(Referral.id))).scalar() or 0

    # -- one referral --------------------------------------------------------------------------------------

    def case_file(self, reference: str, *, actor: str) -> CaseFile | None:
        """The referral, decrypted, with notes and history. Writes a "view" audit row."""
        with self._session() as session, session.begin():
            row = session.execute(select(Referral).where(Referral.reference == reference)).scalar_one_or_none()
            if row is None:
                return None
            referral = StoredReferral(**_info(row), summary=self.cipher.decrypt_json(row.summary_encrypted))
            notes = self._notes(session, row.id)
            history = [
                _entry(entry)
                for entry in session.execute(
                    select(AuditLog)
                    .where(AuditLog.reference == reference, AuditLog.action.in_(HISTORY_ACTIONS))
                    .order_by(AuditLog.at, AuditLog.id)
                ).scalars()
            ]
            session.add(AuditLog(at=self._clock(), actor=actor, action="view", reference=reference))
        return CaseFile(referral, notes, history)

    def _notes(self, session: Session, referral_id: int) -> list[Note]:
        rows = session.execute(
            select(ReferralNote)
            .where(ReferralNote.referral_id == referral_id)
            .order_by(ReferralNote.created_at, ReferralNote.id)
        ).scalars()
        return [Note(n.author, str(self.cipher.decrypt_json(n.body_encrypted)["body"]), n.created_at) for n in rows]

    def change_status(self, reference: str, status: str, *, actor: str) -> str | None:
        """Set the status; returns the previous one (None if there is no such referral). Same status: no change."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {status!r}")
        now = self._clock()
        with self._session() as session, session.begin():
            row = session.execute(
                select(Referral).where(Referral.reference == reference).with_for_update()
            ).scalar_one_or_none()
            if row is None:
                return None
            previous = row.status
            if previous != status:
                row.status, row.updated_at = status, now
                session.add(
                    AuditLog(
                        at=now,
                        actor=actor,
                        action="status_change",
                        reference=reference,
                        detail=f"{previous} -> {status}",
                    )
                )
        return previous

    def assign(self, reference: str, assignee: str | None, *, actor: str) -> bool:
        """Assign to a staff member (None: nobody). False if there is no such referral."""
        now = self._clock()
        with self._session() as session, session.begin():
            changed = session.execute(
                update(Referral)
                .where(Referral.reference == reference)
                .values(assigned_to=assignee, updated_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            if changed:
                action, detail = ("assign", f"to {assignee}") if assignee else ("unassign", None)
                session.add(AuditLog(at=now, actor=actor, action=action, reference=reference, detail=detail))
        return bool(changed)

    def add_note(self, reference: str, body: str, *, actor: str) -> bool:
        """A private note, encrypted. False if there is no such referral. The audit row never holds the text."""
        body = body.strip()
        if not body:
            raise ValueError("a note cannot be empty")
        if len(body) > MAX_NOTE_CHARS:
            raise ValueError(f"a note can be at most {MAX_NOTE_CHARS} characters")
        now = self._clock()
        with self._session() as session, session.begin():
            referral_id = session.execute(select(Referral.id).where(Referral.reference == reference)).scalar()
            if referral_id is None:
                return False
            session.add(
                ReferralNote(
                    referral_id=referral_id,
                    author=actor,
                    body_encrypted=self.cipher.encrypt_json({"body": body}),
                    created_at=now,
                )
            )
            session.add(
                AuditLog(
                    at=now, actor=actor, action="note_added", reference=reference, detail=f"{len(body)} characters"
                )
            )
        return True

    def export(self, references: Iterable[str], fmt: str, *, actor: str) -> list[CaseFile]:
        """The referrals (in the order asked, unknown ones left out), one "export" audit row each."""
        wanted = list(dict.fromkeys(references))
        now = self._clock()
        with self._session() as session, session.begin():
            rows = {
                row.reference: row
                for row in session.execute(select(Referral).where(Referral.reference.in_(wanted))).scalars()
            }
            found = [rows[r] for r in wanted if r in rows]
            cases = [
                CaseFile(
                    StoredReferral(**_info(row), summary=self.cipher.decrypt_json(row.summary_encrypted)),
                    self._notes(session, row.id),
                    [],
                )
                for row in found
            ]
            for row in found:
                session.add(
                    AuditLog(
                        at=now,
                        actor=actor,
                        action="export",
                        reference=row.reference,
                        detail=f"{fmt}, {len(found)} referral(s) in the file",
                    )
                )
        return cases

    def erase(self, reference: str, *, actor: str) -> bool:
        """A parent's erasure request, done from the staff pages (notes go too: ON DELETE CASCADE)."""
        return self.store.erase(reference, actor=actor)

    # -- the team overview ----------------------------------------------------------------------------------

    def overview(self, *, weeks: int = 12, now: datetime | None = None) -> Overview:
        """Referrals per week (urgent and standard) and the topics parents looked at, over the last `weeks`.

        Topics live in the encrypted summary, so each summary in the period is decrypted here; only the
        counts leave this method.
        """
        now = now or self._clock()
        first_week = week_start(now) - timedelta(weeks=weeks - 1)
        since = datetime.combine(first_week, datetime.min.time(), tzinfo=now.tzinfo)
        per_week = {first_week + timedelta(weeks=i): Counter() for i in range(weeks)}
        topics: Counter[str] = Counter()
        no_topics = 0
        query = select(Referral.created_at, Referral.priority, Referral.summary_encrypted).where(
            Referral.created_at >= since
        )
        with self._session() as session:
            for created_at, priority, token in session.execute(query):
                bucket = per_week.get(week_start(created_at))
                if bucket is None:  # created in the future: a clock problem, not a statistic
                    continue
                bucket[priority] += 1
                viewed = (self.cipher.decrypt_json(token).get("conversation") or {}).get("topics_viewed") or []
                topics.update(set(viewed))
                no_topics += not viewed
        return Overview(
            weeks=[WeekCount(start, c["urgent"], c["standard"]) for start, c in per_week.items()],
            topics=sorted(topics.items(), key=lambda item: (-item[1], item[0])),
            no_topics=no_topics,
        )

    # -- the audit log (admins) ------------------------------------------------------------------------------

    def audit_log(
        self, *, actor: str, reference: str | None = None, limit: int = 100, offset: int = 0
    ) -> tuple[list[AuditEntry], int]:
        """Newest first, with the total; reading it is itself recorded."""
        conditions = [] if reference is None else [AuditLog.reference == reference]
        with self._session() as session, session.begin():
            total = session.execute(select(func.count()).select_from(AuditLog).where(*conditions)).scalar_one()
            rows = [
                _entry(row)
                for row in session.execute(
                    select(AuditLog)
                    .where(*conditions)
                    .order_by(AuditLog.at.desc(), AuditLog.id.desc())
                    .limit(limit)
                    .offset(offset)
                ).scalars()
            ]
            session.add(
                AuditLog(
                    at=self._clock(), actor=actor, action="audit_view", reference=reference, detail=f"offset {offset}"
                )
            )
        return rows, total
