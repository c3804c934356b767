"""Submit a finished self-referral: build the summary, save it, and never lose it.

If the database cannot take it, the referral goes to the encrypted spool on disk and is saved later
(`python -m bot referrals drain`, also run by the web service); the parent is told honestly. A
retried submission of the same conversation (the action server killed mid-submit, a double tap)
finds the referral already saved instead of making a second one.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from bot.handoff.reference import new_reference
from bot.handoff.summary import SCHEMA_VERSION, build_summary
from bot.storage.repository import NewReferral, ReferenceCollision, ReferralStore, SpoolDirectory, StorageUnavailable

log = logging.getLogger(__name__)
NEW_REFERENCE_TRIES = 5


@dataclass(frozen=True)
class Submission:
    """Everything the summary needs, read from the conversation."""

    sender_id: str
    answers: dict[str, Any]
    safety_events: list[dict[str, str]]
    topics_viewed: list[str]
    channel: str
    started_at: datetime
    transcript: list[dict[str, str]] | None = None


@dataclass(frozen=True)
class SubmitResult:
    reference: str
    urgent: bool
    stored: bool  # False: kept in the spool and still to be saved


def submission_key(sender_id: str, started_at: datetime) -> str:
    """The same conversation's same form always gives the same key (hex, 64 characters)."""
    return hashlib.sha256(f"{sender_id}|{started_at.isoformat()}".encode()).hexdigest()


def submit(
    submission: Submission,
    store_factory: Callable[[], ReferralStore],
    spool: SpoolDirectory,
    *,
    notify: bool,
    now: datetime | None = None,
) -> SubmitResult:
    """Save the referral, or spool it when the database is unavailable. Raises nothing for a down database."""
    submitted_at = now or datetime.now(timezone.utc)
    key = submission_key(submission.sender_id, submission.started_at)
    reference = spool.reference_for(key) or new_reference()
    for _ in range(NEW_REFERENCE_TRIES):
        summary = build_summary(
            reference=reference,
            answers=submission.answers,
            safety_events=submission.safety_events,
            topics_viewed=submission.topics_viewed,
            channel=submission.channel,
            started_at=submission.started_at,
            submitted_at=submitted_at,
            transcript=submission.transcript,
        )
        new = NewReferral(
            reference=reference,
            submission_key=key,
            summary=summary,
            priority=summary["priority"]["level"],
            channel=submission.channel,
            created_at=submitted_at,
            notify=notify,
            schema_version=SCHEMA_VERSION,
        )
        try:
            saved = store_factory().save(new)
            return SubmitResult(saved.reference, saved.priority == "urgent", stored=True)
        except ReferenceCollision:
            reference = new_reference()
        except StorageUnavailable as exc:
            log.warning("database unavailable at submit (%s): referral %s spooled", type(exc).__name__, reference)
            spool.write(new)
            return SubmitResult(reference, new.priority == "urgent", stored=False)
    raise RuntimeError("could not find a free reference code")
