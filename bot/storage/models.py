"""Tables for self-referrals. Personal data lives only in `referrals.summary_encrypted`.

Changing a model needs a new migration in `migrations/versions/` (a test compares the two).
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import declarative_base
from sqlalchemy.types import TypeDecorator

from bot.storage.roles import STAFF_ROLES

PRIORITIES = ("urgent", "standard")
STATUSES = ("new", "in_progress", "contacted", "closed")

# Stable constraint names, so migrations (and SQLite batch mode) can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Base = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on every backend.

    PostgreSQL keeps `timestamptz`; SQLite has no time zones, so UTC is stored without an offset
    (stored text then sorts and compares correctly).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime given to the database: use an aware (UTC) datetime")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Referral(Base):
    __tablename__ = "referrals"
    __table_args__ = (
        UniqueConstraint("submission_key"),
        CheckConstraint(_one_of("priority", PRIORITIES), name="priority"),
        CheckConstraint(_one_of("status", STATUSES), name="status"),
    )

    id = Column(Integer, primary_key=True)
    reference = Column(String(16), nullable=False, unique=True, index=True)
    submission_key = Column(String(64), nullable=False)
    schema_version = Column(Integer, nullable=False)
    priority = Column(String(16), nullable=False)
    status = Column(String(16), nullable=False, default="new", server_default="new")
    channel = Column(String(32), nullable=False)
    created_at = Column(UTCDateTime, nullable=False, index=True)
    updated_at = Column(UTCDateTime, nullable=False)
    summary_encrypted = Column(LargeBinary, nullable=False)
    assigned_to = Column(String(120), nullable=True)
    erased_at = Column(UTCDateTime, nullable=True)


class Outbox(Base):
    """Notifications still to send. The payload is non-personal: reference, priority, created_at."""

    __tablename__ = "outbox"

    id = Column(Integer, primary_key=True)
    referral_id = Column(Integer, ForeignKey("referrals.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = Column(String(32), nullable=False)
    payload_json = Column(Text, nullable=False)
    attempts = Column(Integer, nullable=False, default=0, server_default="0")
    next_attempt_at = Column(UTCDateTime, nullable=False, index=True)
    delivered_at = Column(UTCDateTime, nullable=True)
    last_error = Column(String(200), nullable=True)
    created_at = Column(UTCDateTime, nullable=False)


class AuditLog(Base):
    """Who did what to which referral. Never personal data: only the reference and short plain details."""

    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True)
    at = Column(UTCDateTime, nullable=False, index=True)
    actor = Column(String(64), nullable=False)
    action = Column(String(32), nullable=False)
    reference = Column(String(16), nullable=True, index=True)
    detail = Column(String(200), nullable=True)


class StaffUser(Base):
    """A member of the support team who can sign in to the staff review pages.

    `session_version` goes up on sign-out, password reset and disabling, which ends every session
    signed with the old number (sessions live in encrypted cookies, so there is nothing else to delete).
    """

    __tablename__ = "staff_users"
    __table_args__ = (CheckConstraint(_one_of("role", STAFF_ROLES), name="role"),)

    id = Column(Integer, primary_key=True)
    username = Column(String(64), nullable=False, unique=True)
    password_hash = Column(String(255), nullable=False)
    role = Column(String(16), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    last_login_at = Column(UTCDateTime, nullable=True)
    session_version = Column(Integer, nullable=False, default=0, server_default="0")
    created_at = Column(UTCDateTime, nullable=False)


class LoginThrottle(Base):
    """Failed sign-ins per client address, and per address and username, for growing delays (no lock-out).

    `key` is an HMAC of the address (and the name as typed, normalised), so neither is kept in clear:
    a password typed into the username box must not end up readable here. Shared by every web-service
    process through the database.
    """

    __tablename__ = "login_throttle"

    key = Column(String(64), primary_key=True)
    failures = Column(Integer, nullable=False, default=0, server_default="0")
    blocked_until = Column(UTCDateTime, nullable=True)  # no sign-in is checked for this key before then
    last_attempt_at = Column(UTCDateTime, nullable=False, index=True)


class ReferralNote(Base):
    """A private staff note on a referral. The body can hold personal data, so it is encrypted."""

    __tablename__ = "referral_notes"

    id = Column(Integer, primary_key=True)
    referral_id = Column(Integer, ForeignKey("referrals.id", ondelete="CASCADE"), nullable=False, index=True)
    author = Column(String(64), nullable=False)
    body_encrypted = Column(LargeBinary, nullable=False)
    created_at = Column(UTCDateTime, nullable=False)


class ContentVersion(Base):
    """One version of a content file, as saved from the editors' workspace or found changed on disk.

    Content is not personal data, so the body is kept as text. The file on disk stays the source of truth:
    a version is recorded whenever the file differs from the last one recorded (`sha256`).
    """

    __tablename__ = "content_versions"

    id = Column(Integer, primary_key=True)
    file = Column(String(200), nullable=False, index=True)  # relative to the content folder: topics/missing.yml
    sha256 = Column(String(64), nullable=False)
    body = Column(Text, nullable=False)
    actor = Column(String(64), nullable=False)  # a username, or "found on disk" for a hand edit
    kind = Column(String(16), nullable=False)  # saved, restored, on_disk
    detail = Column(String(200), nullable=True)  # what changed, in a few words: 'step "start" text'
    at = Column(UTCDateTime, nullable=False, index=True)


class InsightCount(Base):
    """How often something happened in a topic on a day: counted by the actions, never from message text."""

    __tablename__ = "insight_counts"

    day = Column(Date, primary_key=True)
    topic = Column(String(64), primary_key=True)
    step = Column(String(64), primary_key=True)  # "" for a topic-wide event (opened, hand-off)
    event = Column(String(16), primary_key=True)  # opened, step_view, more, not_understood, handoff
    count = Column(Integer, nullable=False, default=0, server_default="0")


class InsightSeen(Base):
    """Keyed hashes (HMAC) of conversation + topic + event + day, so one conversation counts once a day.

    Neither the conversation id nor anything said is kept; rows older than the period are purged.
    """

    __tablename__ = "insight_seen"

    key = Column(String(64), primary_key=True)
    day = Column(Date, nullable=False, index=True)
