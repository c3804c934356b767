"""Versions of the content files, kept in the database beside an audit row for each.

The files in content/ stay the source of truth. `sync` records a version whenever a file's text differs
from the last version recorded, so a change made by hand (a programmer's commit, say) shows up in the
history too, under "found on disk".
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.storage.models import AuditLog, ContentVersion, utc_now

ON_DISK = "found on disk"  # the actor of a version nobody saved through the workspace
KINDS = ("saved", "restored", "on_disk")
MAX_DETAIL_CHARS = 200


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Version:
    id: int
    file: str
    sha256: str
    body: str
    actor: str
    kind: str
    detail: str | None
    at: datetime


def _version(row: ContentVersion) -> Version:
    return Version(row.id, row.file, row.sha256, row.body, row.actor, row.kind, row.detail, row.at)


class ContentVersions:
    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.engine = engine
        self._clock = clock

    def _session(self) -> Session:
        return Session(self.engine, future=True)

    def latest(self, file: str) -> Version | None:
        with self._session() as session:
            row = session.execute(
                select(ContentVersion).where(ContentVersion.file == file).order_by(ContentVersion.id.desc()).limit(1)
            ).scalar_one_or_none()
            return None if row is None else _version(row)

    def get(self, version_id: int) -> Version | None:
        with self._session() as session:
            row = session.get(ContentVersion, version_id)
            return None if row is None else _version(row)

    def history(self, file: str, *, limit: int = 100) -> list[Version]:
        """Newest first."""
        with self._session() as session:
            rows = session.execute(
                select(ContentVersion)
                .where(ContentVersion.file == file)
                .order_by(ContentVersion.id.desc())
                .limit(limit)
            ).scalars()
            return [_version(row) for row in rows]

    def files_with_history(self) -> dict[str, int]:
        with self._session() as session:
            rows = session.execute(select(ContentVersion.file, func.count()).group_by(ContentVersion.file))
            return {file: count for file, count in rows}

    def sync(self, file: str, body: str) -> Version | None:
        """Record `body` as found on disk when it differs from the last version (or there is none)."""
        recorded = self.sync_all({file: body})
        return recorded[0] if recorded else None

    def sync_all(self, bodies: Mapping[str, str]) -> list[Version]:
        """`sync` for many files: one query for their last versions and one transaction for what changed
        (a query and a transaction per file made the workspace's first page take a third of a second)."""
        if not bodies:
            return []
        now = self._clock()
        with self._session() as session, session.begin():
            newest = (
                select(func.max(ContentVersion.id)).where(ContentVersion.file.in_(list(bodies))).group_by(ContentVersion.file)
            )
            last = dict(session.execute(select(ContentVersion.file, ContentVersion.sha256).where(ContentVersion.id.in_(newest))).all())
            rows = []
            for file, body in bodies.items():
                sha256 = sha256_text(body)
                if last.get(file) == sha256:
                    continue
                detail = "first seen" if file not in last else "changed outside the workspace"
                rows.append(ContentVersion(file=file, sha256=sha256, body=body, actor=ON_DISK, kind="on_disk", detail=detail, at=now))
            session.add_all(rows)
            session.flush()
            return [_version(row) for row in rows]

    def record(self, file: str, body: str, *, actor: str, kind: str, detail: str | None) -> Version:
        """A new version, with an audit row (file and what changed, never more) in the same transaction."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        now = self._clock()
        detail = (detail or "")[:MAX_DETAIL_CHARS] or None
        with self._session() as session, session.begin():
            row = ContentVersion(
                file=file, sha256=sha256_text(body), body=body, actor=actor, kind=kind, detail=detail, at=now
            )
            session.add(row)
            session.flush()
            if kind != "on_disk":
                audit_detail = f"{file}: {detail}" if detail else file
                session.add(
                    AuditLog(at=now, actor=actor, action=f"content_{kind}", detail=audit_detail[:MAX_DETAIL_CHARS])
                )
            return _version(row)
