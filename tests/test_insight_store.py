"""The insight counts keep each conversation's de-duplication hash for its own day only."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.storage.insight import InsightRecorder, InsightStore
from bot.storage.models import InsightSeen

MONDAY, TUESDAY = date(2026, 11, 30), date(2026, 12, 1)


def hashes(engine: Engine) -> dict[date, int]:
    with engine.connect() as connection:
        rows = connection.execute(select(InsightSeen.day, func.count()).group_by(InsightSeen.day)).all()
    return {day: count for day, count in rows}


def test_yesterdays_hashes_go_when_the_first_event_of_a_new_day_is_counted(engine: Engine) -> None:
    store = InsightStore(engine, "insight-test-key")
    recorder = InsightRecorder(store)
    for conversation in ("a", "b", "c"):
        recorder.record([("opened", "court", "")], conversation=conversation, day=MONDAY)
    assert hashes(engine) == {MONDAY: 3}
    recorder.record([("opened", "court", "")], conversation="a", day=TUESDAY)
    assert hashes(engine) == {TUESDAY: 1}
    # The counts themselves stay: three on Monday, one on Tuesday.
    totals = store.topics(MONDAY, MONDAY)["court"].opened, store.topics(TUESDAY, TUESDAY)["court"].opened
    assert totals == (3, 1)
    # Still once per conversation within the day.
    recorder.record([("opened", "court", "")], conversation="a", day=TUESDAY)
    assert store.topics(TUESDAY, TUESDAY)["court"].opened == 1
