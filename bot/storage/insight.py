"""What parents use, counted as it happens: per topic, step, event and day. Never message text.

The actions call `record` with the event and where in the content it happened. "How many conversations
opened a topic" needs each conversation counted once: a keyed hash (HMAC, INSIGHT_KEY) of the
conversation id, topic, step, event and day is kept for that day only, so the conversation id itself is
never stored and cannot be recovered from the table.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Update

from bot.storage.models import InsightCount, InsightSeen

log = logging.getLogger(__name__)

EVENTS = ("opened", "step_view", "more", "not_understood", "handoff")
ONCE_PER_CONVERSATION = frozenset({"opened", "handoff"})  # the others count every time
SMALL = 5  # counts under this are shown as "fewer than 5"
MAX_ID_CHARS = 64


@dataclass
class TopicInsight:
    topic: str
    opened: int = 0
    more: int = 0
    not_understood: int = 0
    handoff: int = 0
    step_views: dict[str, int] = field(default_factory=dict)  # step id -> views
    more_by_step: dict[str, int] = field(default_factory=dict)


def shown(count: int) -> str:
    """A count as the insight page shows it: small ones are not told exactly (a parent could be picked out)."""
    return "fewer than 5" if 0 < count < SMALL else str(count)


class InsightStore:
    def __init__(self, engine: Engine, key: str) -> None:
        if not key:
            raise ValueError("the insight store needs a key for its hashes")
        self.engine = engine
        self._key = key.encode()

    def _session(self) -> Session:
        return Session(self.engine, future=True)

    def _seen_key(self, conversation: str, topic: str, step: str, event: str, day: date) -> str:
        message = "\0".join(("insight-v1", conversation, topic, step, event, day.isoformat()))
        return hmac.new(self._key, message.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()

    def record(self, event: str, topic: str, step: str, *, conversation: str, day: date) -> bool:
        """Count one event; False when it was not counted (a repeat within the day for a once-only event)."""
        if event not in EVENTS:
            raise ValueError(f"event must be one of {EVENTS}, not {event!r}")
        topic, step = topic[:MAX_ID_CHARS], step[:MAX_ID_CHARS]
        with self._session() as session:
            try:
                with session.begin():
                    if event in ONCE_PER_CONVERSATION:
                        session.add(InsightSeen(key=self._seen_key(conversation, topic, step, event, day), day=day))
                        session.flush()
                    changed = session.execute(_one_more(day, topic, step, event)).rowcount
                    if not changed:
                        session.add(InsightCount(day=day, topic=topic, step=step, event=event, count=1))
                        session.flush()
            except IntegrityError:
                # Seen already today, or another process made the row at the same moment: retry once as an update.
                if event in ONCE_PER_CONVERSATION and self._was_seen(conversation, topic, step, event, day):
                    return False
                return self._increment(day, topic, step, event)
        return True

    def _was_seen(self, conversation: str, topic: str, step: str, event: str, day: date) -> bool:
        with self._session() as session:
            key = self._seen_key(conversation, topic, step, event, day)
            return session.get(InsightSeen, key) is not None

    def _increment(self, day: date, topic: str, step: str, event: str) -> bool:
        with self._session() as session, session.begin():
            return bool(session.execute(_one_more(day, topic, step, event)).rowcount)

    def forget_seen_before(self, day: date) -> int:
        """The de-duplication hashes are only needed for their own day."""
        with self._session() as session, session.begin():
            return session.execute(delete(InsightSeen).where(InsightSeen.day < day)).rowcount

    def topics(self, first: date, last: date) -> dict[str, TopicInsight]:
        """Totals per topic from `first` to `last` (both included)."""
        found: dict[str, TopicInsight] = {}
        query = select(InsightCount.topic, InsightCount.step, InsightCount.event, InsightCount.count).where(
            InsightCount.day >= first, InsightCount.day <= last
        )
        with self._session() as session:
            for topic, step, event, count in session.execute(query):
                entry = found.setdefault(topic, TopicInsight(topic))
                if event == "step_view":
                    entry.step_views[step] = entry.step_views.get(step, 0) + count
                elif event == "more":
                    entry.more += count
                    entry.more_by_step[step] = entry.more_by_step.get(step, 0) + count
                else:
                    setattr(entry, event, getattr(entry, event) + count)
        return found


def period(last: date, days: int) -> tuple[date, date]:
    return last - timedelta(days=days - 1), last


class InsightRecorder:
    """What the actions call: counts events, and never lets a database problem reach a conversation.

    Off (with one line in the log) while INSIGHT_KEY is not set.
    """

    def __init__(self, store: InsightStore | None) -> None:
        self.store = store
        self._forgotten_before: date | None = None  # the day whose earlier de-duplication hashes are gone

    @classmethod
    def from_env(cls) -> InsightRecorder:
        from bot.config import get_settings
        from bot.storage.repository import make_engine

        key = get_settings().insight_key.get_secret_value()
        if not key:
            log.info("INSIGHT_KEY is not set: the editors' insight counts are off")
            return cls(None)
        return cls(InsightStore(make_engine(), key))

    def record(self, events: list[tuple[str, str, str]], *, conversation: str, day: date) -> None:
        if self.store is None:
            return
        if self._forgotten_before != day:  # once a day per process: yesterday's hashes are no longer needed
            try:
                self.store.forget_seen_before(day)
                self._forgotten_before = day
            except Exception as exc:
                log.warning("old insight hashes not deleted yet: %s", type(exc).__name__)
        for event, topic, step in events:
            try:
                self.store.record(event, topic, step, conversation=conversation, day=day)
            except Exception as exc:  # counting must never break the conversation
                log.warning("insight count not recorded: %s", type(exc).__name__)
                return


def _one_more(day: date, topic: str, step: str, event: str) -> Update:
    """Add one to an existing day's count (no row yet: nothing changes, and the caller adds it)."""
    return (
        update(InsightCount)
        .where(
            InsightCount.day == day,
            InsightCount.topic == topic,
            InsightCount.step == step,
            InsightCount.event == event,
        )
        .values(count=InsightCount.count + 1)
        .execution_options(synchronize_session=False)
    )
