"""Adding the parent's notes to a saved referral: re-encrypted in place with an audit row, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from bot.handoff.parent_notes import parent_notes_section, with_parent_notes
from bot.storage.crypto import Cipher, generate_key
from bot.storage.models import AuditLog, Referral
from bot.storage.repository import ReferralStore, make_engine
from tests.helpers import save

ADDED = datetime(2026, 11, 23, 9, 30, tzinfo=timezone.utc)


def test_the_notes_are_added_encrypted_and_audited_and_only_to_that_referral(database_url: str) -> None:
    store = ReferralStore(make_engine(database_url), Cipher([generate_key()]))
    first, second = save(store, 0), save(store, 1)
    section = parent_notes_section(
        [{"heading": "Monday 1 December 2025", "rows": [{"label": "What happened", "value": "Zoë saw a van"}]}], [], ADDED
    )
    reference = store.update_summary(
        f"{0:064x}", lambda s: with_parent_notes(s, section), actor="parent", action="parent_notes_added", detail="entries=1"
    )
    assert reference == first
    assert store.get(first).summary["parent_notes"]["entries"][0]["rows"][0]["value"] == "Zoë saw a van"
    assert store.get(first).summary["parent_notes"]["missing_sheet"] is None
    assert "parent_notes" not in store.get(second).summary
    with store._session() as session:  # noqa: SLF001
        raw = session.execute(select(Referral.summary_encrypted).where(Referral.reference == first)).scalar_one()
        audit = session.execute(select(AuditLog.action, AuditLog.reference, AuditLog.detail).where(AuditLog.actor == "parent")).all()
    assert "Zoë".encode() not in raw and b"parent_notes" not in raw  # encrypted like the rest of the summary
    assert [tuple(row) for row in audit] == [("parent_notes_added", first, "entries=1")]
    assert store.update_summary("f" * 64, lambda s: s, actor="parent", action="parent_notes_added") is None
    store.engine.dispose()
