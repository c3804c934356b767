"""Saving and reading self-referrals, the notification outbox, and the spool used when the database is down.

Every write that changes a referral also writes an audit row in the same transaction. Logs and audit
rows carry references and counts only, never anything the parent said.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, delete, event, select, update
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool
from sqlalchemy.sql import Select

from bot.storage.config import database_url
from bot.storage.crypto import Cipher, InvalidToken
from bot.storage.models import PRIORITIES, AuditLog, Outbox, Referral, utc_now

log = logging.getLogger(__name__)

DEFAULT_SCHEMA_VERSION = 1
NEW_REFERRAL = "new_referral"


class StorageError(RuntimeError):
    """Base class for storage errors."""


class StorageUnavailable(StorageError):
    """The database could not be reached or refused the write: spool the referral instead."""


class ReferenceCollision(StorageError):
    """Another submission already has this reference: generate a new one and save again."""


def make_engine(url: str | None = None) -> Engine:
    """An engine for `url` (default DATABASE_URL). SQLite gets foreign keys switched on, for ON DELETE CASCADE.

    A SQLite file keeps a pool of open connections, as SQLAlchemy 2.0 does by default (1.4 opened a new
    connection, pinged and set up, for every call: most of a staff page's database time).
    """
    target = make_url(url or database_url())
    pooled_file = target.get_backend_name() == "sqlite" and target.database not in (None, "", ":memory:")
    options: dict[str, Any] = {"poolclass": QueuePool, "connect_args": {"check_same_thread": False}} if pooled_file else {}
    engine = create_engine(target, future=True, pool_pre_ping=True, **options)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    return engine


@dataclass(frozen=True)
class NewReferral:
    """A referral on its way to storage: what `ReferralStore.save` takes, and what the spool keeps until then.

    Checked when made, so a bad priority or a naive time is refused before anything is touched.
    """

    reference: str
    submission_key: str  # the same conversation's same form always has the same key (idempotent saves)
    summary: dict  # the schema document (bot.handoff.summary), encrypted at rest
    priority: str
    channel: str
    created_at: datetime
    notify: bool  # queue a staff notification in the outbox
    schema_version: int = DEFAULT_SCHEMA_VERSION

    def __post_init__(self) -> None:
        if self.priority not in PRIORITIES:
            raise ValueError(f"priority must be one of {PRIORITIES}, not {self.priority!r}")
        _require_aware("created_at", self.created_at)

    def to_record(self) -> dict[str, Any]:
        """JSON-ready, for the spool file."""
        return {
            "reference": self.reference,
            "submission_key": self.submission_key,
            "summary": self.summary,
            "priority": self.priority,
            "channel": self.channel,
            "created_at": self.created_at.isoformat(),
            "notify": self.notify,
            "schema_version": self.schema_version,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> NewReferral:
        """Back from a spool file (files spooled before schema_version was kept have null there)."""
        return cls(
            reference=record["reference"],
            submission_key=record["submission_key"],
            summary=record["summary"],
            priority=record["priority"],
            channel=record["channel"],
            created_at=datetime.fromisoformat(record["created_at"]).astimezone(timezone.utc),
            notify=record["notify"],
            schema_version=int(record.get("schema_version") or DEFAULT_SCHEMA_VERSION),
        )


@dataclass(frozen=True)
class SavedReferral:
    id: int
    reference: str
    priority: str
    created_at: datetime
    created: bool  # False when this submission key was saved before (a retried submit)


@dataclass(frozen=True)
class ReferralInfo:
    """The plain, non-personal columns of a referral."""

    id: int
    reference: str
    schema_version: int
    priority: str
    status: str
    channel: str
    created_at: datetime
    updated_at: datetime
    assigned_to: str | None


@dataclass(frozen=True)
class StoredReferral(ReferralInfo):
    summary: dict


@dataclass(frozen=True)
class OutboxItem:
    id: int
    referral_id: int
    kind: str
    payload: dict
    attempts: int


def _info(row: Referral) -> dict[str, Any]:
    return {
        "id": row.id,
        "reference": row.reference,
        "schema_version": row.schema_version,
        "priority": row.priority,
        "status": row.status,
        "channel": row.channel,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "assigned_to": row.assigned_to,
    }


def _due(now: datetime, limit: int) -> Select:
    """Undelivered notifications whose next attempt is due, oldest first."""
    _require_aware("now", now)
    return (
        select(Outbox)
        .where(Outbox.delivered_at.is_(None), Outbox.next_attempt_at <= now)
        .order_by(Outbox.next_attempt_at, Outbox.id)
        .limit(limit)
    )


def _outbox_item(row: Outbox) -> OutboxItem:
    return OutboxItem(row.id, row.referral_id, row.kind, json.loads(row.payload_json), row.attempts)


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime (UTC)")


class ReferralStore:
    """Referrals in the database, encrypted with `cipher`. Thread-safe: each call uses its own session."""

    def __init__(self, engine: Engine, cipher: Cipher, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.engine = engine
        self.cipher = cipher
        self._clock = clock

    @classmethod
    def from_env(cls) -> ReferralStore:
        """The store on DATABASE_URL with the keys of DATA_ENCRYPTION_KEYS."""
        return cls(make_engine(), Cipher.from_env())

    def _session(self) -> Session:
        return Session(self.engine, future=True)

    # -- referrals ---------------------------------------------------------------------------------

    def save(self, new: NewReferral, *, actor: str = "system") -> SavedReferral:
        """Save a referral, its outbox row (when `new.notify`) and an audit row, in one transaction.

        A submission key seen before returns the referral already saved (`created=False`), so a retried
        submit never makes a duplicate. Raises StorageUnavailable when the database cannot be used, and
        ReferenceCollision when another submission has this reference.
        """
        reference, priority, channel, created_at = new.reference, new.priority, new.channel, new.created_at
        try:
            existing = self._saved_by_key(new.submission_key)
            if existing is not None:
                return existing
            now = self._clock()
            encrypted = self.cipher.encrypt_json(new.summary)
            with self._session() as session, session.begin():
                referral = Referral(
                    reference=reference,
                    submission_key=new.submission_key,
                    schema_version=new.schema_version,
                    priority=priority,
                    status="new",
                    channel=channel,
                    created_at=created_at,
                    updated_at=now,
                    summary_encrypted=encrypted,
                )
                session.add(referral)
                session.flush()
                if new.notify:
                    payload = {"reference": reference, "priority": priority, "created_at": created_at.isoformat()}
                    session.add(
                        Outbox(
                            referral_id=referral.id,
                            kind=NEW_REFERRAL,
                            payload_json=json.dumps(payload, sort_keys=True),
                            attempts=0,
                            next_attempt_at=now,
                            created_at=now,
                        )
                    )
                session.add(
                    AuditLog(
                        at=now,
                        actor=actor,
                        action="referral_created",
                        reference=reference,
                        detail=f"priority={priority} channel={channel} notify={new.notify}",
                    )
                )
                saved = SavedReferral(referral.id, reference, priority, created_at, created=True)
            log.info("referral %s saved (%s)", reference, priority)
            return saved
        except IntegrityError:
            # Lost a race with the same submission (fine: return the winner), or the reference is taken.
            existing = self._saved_by_key(new.submission_key)
            if existing is not None:
                return existing
            if self._reference_taken(reference):
                raise ReferenceCollision(f"reference {reference} is already used by another submission") from None
            raise
        except DBAPIError as exc:
            raise StorageUnavailable(f"the database could not save the referral: {type(exc.orig).__name__}") from exc

    def _saved_by_key(self, submission_key: str) -> SavedReferral | None:
        with self._session() as session:
            row = session.execute(
                select(Referral.id, Referral.reference, Referral.priority, Referral.created_at).where(
                    Referral.submission_key == submission_key
                )
            ).one_or_none()
        if row is None:
            return None
        return SavedReferral(row.id, row.reference, row.priority, row.created_at, created=False)

    def _reference_taken(self, reference: str) -> bool:
        with self._session() as session:
            return session.execute(select(Referral.id).where(Referral.reference == reference)).first() is not None

    def get(self, reference: str) -> StoredReferral | None:
        """The referral with its decrypted summary, or None."""
        with self._session() as session:
            row = session.execute(select(Referral).where(Referral.reference == reference)).scalar_one_or_none()
            if row is None:
                return None
            return StoredReferral(**_info(row), summary=self.cipher.decrypt_json(row.summary_encrypted))

    def update_summary(
        self,
        submission_key: str,
        change: Callable[[dict], dict],
        *,
        actor: str,
        action: str,
        detail: str | None = None,
    ) -> str | None:
        """Re-encrypt the summary of the referral saved under `submission_key` as `change` returns it,
        with an audit row, in one transaction. The reference, or None when there is no such referral.
        `detail` must hold no personal data (it is stored in clear)."""
        try:
            with self._session() as session, session.begin():
                row = session.execute(
                    select(Referral).where(Referral.submission_key == submission_key).with_for_update()
                ).scalar_one_or_none()
                if row is None:
                    return None
                row.summary_encrypted = self.cipher.encrypt_json(change(self.cipher.decrypt_json(row.summary_encrypted)))
                row.updated_at = self._clock()
                session.add(AuditLog(at=self._clock(), actor=actor, action=action, reference=row.reference, detail=detail))
                return str(row.reference)
        except DBAPIError as exc:
            raise StorageUnavailable(f"the database could not update the referral: {type(exc.orig).__name__}") from exc

    def list_recent(self, limit: int = 50, *, status: str | None = None) -> list[ReferralInfo]:
        """Newest first, plain columns only (nothing is decrypted)."""
        query = select(Referral).order_by(Referral.created_at.desc(), Referral.id.desc()).limit(limit)
        if status is not None:
            query = query.where(Referral.status == status)
        with self._session() as session:
            return [ReferralInfo(**_info(row)) for row in session.execute(query).scalars()]

    # -- retention, erasure, keys --------------------------------------------------------------------

    def purge_older_than(self, days: int, now: datetime | None = None, *, actor: str = "system") -> int:
        """Delete referrals created more than `days` ago, with their outbox rows. Returns how many."""
        if days < 1:
            raise ValueError("days must be at least 1")
        now = now or self._clock()
        _require_aware("now", now)
        cutoff = now - timedelta(days=days)
        old_ids = select(Referral.id).where(Referral.created_at < cutoff)
        with self._session() as session, session.begin():
            session.execute(
                delete(Outbox).where(Outbox.referral_id.in_(old_ids)).execution_options(synchronize_session=False)
            )
            count = session.execute(
                delete(Referral).where(Referral.created_at < cutoff).execution_options(synchronize_session=False)
            ).rowcount
            session.add(
                AuditLog(
                    at=self._clock(),
                    actor=actor,
                    action="purge",
                    detail=f"deleted {count} referrals created before {cutoff.date().isoformat()} ({days} days)",
                )
            )
        log.info("purge: %d referrals older than %d days deleted", count, days)
        return count

    def erase(self, reference: str, *, actor: str = "cli") -> bool:
        """Delete one referral and its outbox rows (a parent's erasure request). False if there was none."""
        with self._session() as session, session.begin():
            referral_id = session.execute(select(Referral.id).where(Referral.reference == reference)).scalar()
            if referral_id is None:
                return False
            session.execute(delete(Outbox).where(Outbox.referral_id == referral_id))
            session.execute(delete(Referral).where(Referral.id == referral_id))
            session.add(AuditLog(at=self._clock(), actor=actor, action="erasure", reference=reference))
        log.info("referral %s erased", reference)
        return True

    def rotate_keys(self, new_cipher: Cipher, *, actor: str = "cli", batch_size: int = 500) -> int:
        """Re-encrypt every summary with the newest key of `new_cipher`, which must still hold the old keys.

        Runs in one transaction; afterwards this store uses `new_cipher`, and old keys can be removed.
        """
        count = 0
        with self._session() as session, session.begin():
            for ids in self._id_batches(session, batch_size):
                rows = session.execute(select(Referral.id, Referral.summary_encrypted).where(Referral.id.in_(ids)))
                for row_id, token in rows.all():
                    session.execute(
                        update(Referral)
                        .where(Referral.id == row_id)
                        .values(summary_encrypted=new_cipher.rotate(token))
                        .execution_options(synchronize_session=False)
                    )
                    count += 1
            session.add(
                AuditLog(at=self._clock(), actor=actor, action="key_rotation", detail=f"re-encrypted {count} referrals")
            )
        self.cipher = new_cipher
        log.info("key rotation: %d referrals re-encrypted", count)
        return count

    @staticmethod
    def _id_batches(session: Session, size: int) -> Iterator[list[int]]:
        last = 0
        while True:
            ids = list(
                session.execute(select(Referral.id).where(Referral.id > last).order_by(Referral.id).limit(size)).scalars()
            )
            if not ids:
                return
            yield ids
            last = ids[-1]

    # -- outbox (read by the delivery worker) ----------------------------------------------------------

    def due_notifications(self, now: datetime, limit: int = 20) -> list[OutboxItem]:
        """Undelivered notifications whose next attempt is due, oldest first."""
        with self._session() as session:
            return [_outbox_item(row) for row in session.execute(_due(now, limit)).scalars()]

    def claim_due_notifications(self, now: datetime, lease: timedelta, limit: int = 20) -> list[OutboxItem]:
        """Due notifications, each taken for this worker alone for `lease`: several web services deliver each once.

        A claimed row's next attempt is moved to `now + lease`, so the other workers pass it by; if this
        worker dies before marking it, it falls due again when the lease ends. PostgreSQL skips rows another
        worker has locked (`FOR UPDATE SKIP LOCKED`); the move is also made only where the row is still as
        it was read, which keeps SQLite (no row locks) to one worker per row as well.
        """
        claimed = []
        with self._session() as session, session.begin():
            for row in session.execute(_due(now, limit).with_for_update(skip_locked=True)).scalars().all():
                taken = session.execute(
                    update(Outbox)
                    .where(Outbox.id == row.id, Outbox.delivered_at.is_(None), Outbox.next_attempt_at == row.next_attempt_at)
                    .values(next_attempt_at=now + lease)
                    .execution_options(synchronize_session=False)
                ).rowcount
                if taken:
                    claimed.append(_outbox_item(row))
        return claimed

    def mark_delivered(self, item_id: int, at: datetime) -> None:
        """A no-op if the row is gone (its referral was erased or purged meanwhile)."""
        _require_aware("at", at)
        with self._session() as session, session.begin():
            session.execute(update(Outbox).where(Outbox.id == item_id).values(delivered_at=at, last_error=None))

    def mark_failed(self, item_id: int, error: str, next_attempt_at: datetime) -> None:
        """Count a failed attempt and schedule the next. Keep `error` free of personal data (it is stored)."""
        _require_aware("next_attempt_at", next_attempt_at)
        with self._session() as session, session.begin():
            session.execute(
                update(Outbox)
                .where(Outbox.id == item_id)
                .values(attempts=Outbox.attempts + 1, last_error=error[:200], next_attempt_at=next_attempt_at)
            )

    def audit(self, action: str, *, actor: str, reference: str | None = None, detail: str | None = None) -> None:
        """Record an action done elsewhere (a staff view or export, say)."""
        with self._session() as session, session.begin():
            session.add(
                AuditLog(at=self._clock(), actor=actor, action=action, reference=reference, detail=(detail or None))
            )


_SAFE_KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SPOOL_SUFFIX = ".referral"


class SpoolDirectory:
    """Referrals waiting for the database: one encrypted file per submission key, written atomically."""

    def __init__(self, path: Path | str, cipher: Cipher) -> None:
        self.path = Path(path)
        self.cipher = cipher

    @classmethod
    def from_env(cls, cipher: Cipher) -> SpoolDirectory:
        from bot.config import get_settings

        return cls(get_settings().referral_spool_dir, cipher)

    def _file(self, submission_key: str) -> Path:
        if not _SAFE_KEY.match(submission_key):
            raise ValueError("submission_key must be 1-64 letters, digits, '-' or '_' (it names the spool file)")
        return self.path / f"{submission_key}{SPOOL_SUFFIX}"

    def write(self, new: NewReferral) -> Path:
        """Keep a referral until `drain` can save it."""
        target = self._file(new.submission_key)
        token = self.cipher.encrypt_json(new.to_record())
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        _atomic_write(target, token)
        log.warning("referral %s spooled: the database was unavailable", new.reference)
        return target

    def reference_for(self, submission_key: str) -> str | None:
        """The reference of a spooled submission, so a retried submit keeps the code the parent was given."""
        path = self._file(submission_key)
        try:
            return str(self.cipher.decrypt_json(path.read_bytes())["reference"])
        except FileNotFoundError:
            return None
        except (InvalidToken, ValueError, KeyError, OSError) as exc:
            log.error("spool file %s cannot be read (%s)", path.name, type(exc).__name__)
            return None

    def pending(self) -> list[Path]:
        """Spooled files, oldest first."""
        if not self.path.is_dir():
            return []
        files = [p for p in self.path.iterdir() if p.suffix == SPOOL_SUFFIX and not p.name.startswith(".")]
        return sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))

    def drain(self, store: ReferralStore) -> int:
        """Save spooled referrals into `store`; each file is deleted only after its save committed.

        Returns how many were saved (or found already saved). Unreadable files stay, with a log line;
        a database error stops the drain and is raised, leaving the rest for next time.
        """
        with self._drain_lock() as mine:
            return self._drain(store) if mine else 0

    @contextlib.contextmanager
    def _drain_lock(self) -> Iterator[bool]:
        """One drain at a time for this folder, across processes (web services on one machine share it).

        Yields False where another process is draining now: it will save the files, so this one leaves them.
        """
        if not self.path.is_dir():
            yield True
            return
        descriptor = os.open(self.path / ".drain.lock", os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(descriptor)  # closing releases the lock

    def _drain(self, store: ReferralStore) -> int:
        drained = 0
        for path in self.pending():
            try:
                new = NewReferral.from_record(self.cipher.decrypt_json(path.read_bytes()))
            except (InvalidToken, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
                log.error("spool file %s cannot be read (%s): left in place", path.name, type(exc).__name__)
                continue
            try:
                store.save(new)
            except ReferenceCollision:
                log.error("spool file %s: its reference is taken by another referral: left in place", path.name)
                continue
            path.unlink(missing_ok=True)
            drained += 1
        if drained:
            _fsync_dir(self.path)
            log.info("spool: %d referrals moved into the database", drained)
        return drained

    def rotate_keys(self, new_cipher: Cipher) -> int:
        """Re-encrypt waiting files with the newest key of `new_cipher` (run with ReferralStore.rotate_keys)."""
        count = 0
        for path in self.pending():
            _atomic_write(path, new_cipher.rotate(path.read_bytes()))
            count += 1
        self.cipher = new_cipher
        return count


def _atomic_write(target: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, then rename: readers see the old file or the new one."""
    handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=SPOOL_SUFFIX)
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def _fsync_dir(path: Path) -> None:
    """Make a rename or delete durable (POSIX); harmless where directories cannot be opened."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
