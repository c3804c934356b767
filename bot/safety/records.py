"""What the conversation keeps about safety replies: the type and the time, never the words."""

from __future__ import annotations

from datetime import datetime, timezone

from bot.safety.intents import SAFETY_INTENTS

SAFETY_TYPES = {
    "danger_now": "child_in_danger",
    "missing_now": "child_missing",
    "parent_crisis": "parent_at_risk",
    "confront_perpetrator": "confronting_abuser",
    "child_disclosure": "child_disclosed_abuse",
}
# Safety replies that interrupt whatever the parent was doing, so a way back is offered.
INTERRUPTING = frozenset(SAFETY_INTENTS)


def safety_record(intent: str, now: datetime | None = None) -> dict[str, str] | None:
    safety_type = SAFETY_TYPES.get(intent)
    if safety_type is None:
        return None
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return {"type": safety_type, "at": moment.isoformat(timespec="seconds")}


def with_record(existing: list[dict[str, str]] | None, record: dict[str, str]) -> list[dict[str, str]]:
    return [*(existing or []), record]
