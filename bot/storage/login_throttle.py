"""Growing delays after failed sign-ins, kept in the database so that every web-service process shares them.

Nothing is ever locked for good. Each key (the caller's HMAC of a client address, or of an address and
a username) gets a few free attempts, then a wait that doubles with every further failure up to a cap.
While a key waits, attempts are refused without looking at the password.

An attempt is counted *before* the password is checked, in one transaction that locks the rows, so that
many requests sent at the same moment cannot all slip through the free attempts; a correct password then
gives its attempt back (`succeeded`). Keys quiet for a day are forgotten.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.storage.models import LoginThrottle as Row
from bot.storage.models import utc_now

log = logging.getLogger(__name__)

FORGET_AFTER = timedelta(hours=24)
_MAX_DOUBLINGS = 30  # far past any cap: keeps 2 ** n small however long an attack goes on


@dataclass(frozen=True)
class Rule:
    """How many attempts in a row are free, then waits of base, 2 x base, 4 x base ... up to cap."""

    free: int
    reset_on_success: bool  # True: a correct password clears the key; False: it only gives its own attempt back
    base: timedelta = timedelta(seconds=1)
    cap: timedelta = timedelta(minutes=15)

    def delay(self, failures: int) -> timedelta:
        """The wait after `failures` attempts in a row that did not sign in."""
        if failures < self.free:
            return timedelta(0)
        return min(self.base * 2 ** min(failures - self.free, _MAX_DOUBLINGS), self.cap)


@dataclass(frozen=True)
class Claimed:
    key: str
    rule: Rule
    previous_block: datetime | None
    block: datetime | None  # what this attempt set


@dataclass(frozen=True)
class Claim:
    """The answer to "may this attempt check a password now?"."""

    allowed: bool
    retry_after: timedelta = timedelta(0)  # when refused: how long until every key is free again
    claimed: tuple[Claimed, ...] = ()


class LoginThrottle:
    def __init__(
        self, engine: Engine, *, clock: Callable[[], datetime] = utc_now, forget_after: timedelta = FORGET_AFTER
    ) -> None:
        self.engine = engine
        self._clock = clock
        self.forget_after = forget_after

    def _session(self) -> Session:
        return Session(self.engine, future=True)

    def claim(self, keys: Sequence[tuple[str, Rule]]) -> Claim:
        """Refused while any key waits (nothing changes); otherwise the attempt is counted against every key."""
        now = self._clock()
        rules = dict(sorted(keys))  # one locking order everywhere: two sign-ins cannot deadlock
        with self._session() as session, session.begin():
            self._ensure_rows(session, list(rules), now)
            rows = session.execute(
                select(Row).where(Row.key.in_(list(rules))).order_by(Row.key).with_for_update()
            ).scalars().all()
            waits = [row.blocked_until - now for row in rows if row.blocked_until and row.blocked_until > now]
            if waits:
                return Claim(False, max(waits))
            claimed = []
            for row in rows:
                rule = rules[row.key]
                if row.last_attempt_at < now - self.forget_after:
                    row.failures = 0
                previous = row.blocked_until
                row.failures += 1
                delay = rule.delay(row.failures)
                row.blocked_until = now + delay if delay else None
                row.last_attempt_at = now
                claimed.append(Claimed(row.key, rule, previous, row.blocked_until))
        return Claim(True, claimed=tuple(claimed))

    def succeeded(self, claim: Claim) -> None:
        """A correct password: give back what `claim` counted (and clear keys whose rule says so)."""
        with self._session() as session, session.begin():
            for item in claim.claimed:
                if item.rule.reset_on_success:
                    session.execute(delete(Row).where(Row.key == item.key))
                    continue
                session.execute(update(Row).where(Row.key == item.key, Row.failures > 0).values(failures=Row.failures - 1))
                if item.block is not None:  # undo our wait unless another attempt has set a newer one since
                    session.execute(
                        update(Row)
                        .where(Row.key == item.key, Row.blocked_until == item.block)
                        .values(blocked_until=item.previous_block)
                    )

    def forget_stale(self) -> int:
        """Delete keys with no attempt for `forget_after` and no wait running; returns how many went."""
        now = self._clock()
        with self._session() as session, session.begin():
            return session.execute(
                delete(Row).where(
                    Row.last_attempt_at < now - self.forget_after,
                    or_(Row.blocked_until.is_(None), Row.blocked_until < now),
                )
            ).rowcount

    def _ensure_rows(self, session: Session, keys: list[str], now: datetime) -> None:
        dialect = session.get_bind().dialect.name
        if dialect not in ("postgresql", "sqlite"):
            raise RuntimeError(f"sign-in throttling supports PostgreSQL and SQLite, not {dialect}")
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        for key in keys:
            session.execute(
                insert(Row)
                .values(key=key, failures=0, blocked_until=None, last_attempt_at=now)
                .on_conflict_do_nothing(index_elements=[Row.key])
            )
