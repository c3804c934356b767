"""The staff review's storage on SQLite and PostgreSQL: the queue order and filters, case files, notes
encrypted at rest, status and assignment with their audit rows, exports, the overview, and accounts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.storage.crypto import Cipher, generate_key
from bot.storage.models import AuditLog, ReferralNote
from bot.storage.repository import ReferralStore
from bot.storage.staff_repository import AccountExists, StaffRepository
from tests.helpers import NOW, Clock, save


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cipher() -> Cipher:
    return Cipher([generate_key()])


@pytest.fixture
def store(engine: Engine, cipher: Cipher, clock: Clock) -> ReferralStore:
    return ReferralStore(engine, cipher, clock=clock)


@pytest.fixture
def repo(store: ReferralStore, clock: Clock) -> StaffRepository:
    return StaffRepository(store, clock=clock)


def audit(engine: Engine, action: str | None = None) -> list[tuple[str, str, str | None, str | None]]:
    query = select(AuditLog.actor, AuditLog.action, AuditLog.reference, AuditLog.detail).order_by(AuditLog.id)
    if action:
        query = query.where(AuditLog.action == action)
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query)]


# -- the queue -------------------------------------------------------------------------------------------


def test_the_queue_puts_urgent_first_then_oldest_first(repo: StaffRepository, store: ReferralStore) -> None:
    old_standard = save(store, 1, at=NOW - timedelta(days=3))
    new_urgent = save(store, 2, age=9, at=NOW - timedelta(hours=1))
    old_urgent = save(store, 3, age=10, at=NOW - timedelta(days=1))
    new_standard = save(store, 4, at=NOW)
    page = repo.queue()
    assert [r.reference for r in page.rows] == [old_urgent, new_urgent, old_standard, new_standard]
    assert page.total == 4


def test_queue_filters_by_status_and_priority_and_finds_a_reference(
    repo: StaffRepository, store: ReferralStore
) -> None:
    standard, urgent, closed = save(store, 1), save(store, 2, age=5), save(store, 3)
    repo.change_status(closed, "closed", actor="alice")
    repo.change_status(standard, "contacted", actor="alice")

    assert {r.reference for r in repo.queue().rows} == {standard, urgent}  # "open" leaves closed out
    assert [r.reference for r in repo.queue(status="closed").rows] == [closed]
    assert [r.reference for r in repo.queue(status="contacted").rows] == [standard]
    assert [r.reference for r in repo.queue(status="all", priority="urgent").rows] == [urgent]
    assert repo.queue(status="all").total == 3
    # A reference search finds the referral whatever the other filters say.
    assert [r.reference for r in repo.queue(status="new", priority="urgent", reference=closed).rows] == [closed]
    with pytest.raises(ValueError):
        repo.queue(status="pending")


def test_queue_pages(repo: StaffRepository, store: ReferralStore) -> None:
    references = [save(store, n, at=NOW - timedelta(minutes=100 - n)) for n in range(1, 8)]
    first, second = repo.queue(limit=5), repo.queue(limit=5, offset=5)
    assert [r.reference for r in first.rows + second.rows] == references
    assert first.total == second.total == 7


def test_counts_by_status_and_open_priority(repo: StaffRepository, store: ReferralStore) -> None:
    save(store, 1)
    urgent = save(store, 2, age=4)
    save(store, 3, age=6)
    closed = save(store, 4)
    repo.change_status(closed, "closed", actor="alice")
    repo.change_status(urgent, "in_progress", actor="alice")
    counts = repo.counts()
    assert counts.by_status == {"new": 2, "in_progress": 1, "contacted": 0, "closed": 1}
    assert counts.by_priority_open == {"urgent": 2, "standard": 1}
    assert (counts.new_urgent, counts.open, counts.total) == (1, 3, 4)


# -- one referral ------------------------------------------------------------------------------------------


def test_opening_a_case_file_decrypts_it_and_records_who_looked(
    repo: StaffRepository, store: ReferralStore, engine: Engine
) -> None:
    reference = save(store, 1)
    case = repo.case_file(reference, actor="alice")
    assert case is not None and case.referral.summary["contact"]["preferred_name"] == "Sam"
    assert [e.action for e in case.history] == ["referral_created"]
    assert audit(engine, "view") == [("alice", "view", reference, None)]
    assert repo.case_file("ACDE-9999", actor="alice") is None
    assert len(audit(engine, "view")) == 1


def test_status_changes_and_assignment_are_recorded_with_who(
    repo: StaffRepository, store: ReferralStore, engine: Engine, clock: Clock
) -> None:
    reference = save(store, 1)
    clock.now = NOW + timedelta(hours=1)
    assert repo.change_status(reference, "in_progress", actor="alice") == "new"
    assert repo.change_status(reference, "in_progress", actor="alice") == "in_progress"  # no change, no row
    assert repo.assign(reference, "alice", actor="alice")
    assert repo.assign(reference, None, actor="bob")
    assert repo.change_status("ACDE-9999", "closed", actor="alice") is None
    with pytest.raises(ValueError):
        repo.change_status(reference, "done", actor="alice")

    info = repo.queue(reference=reference).rows[0]
    assert (info.status, info.assigned_to, info.updated_at) == ("in_progress", None, NOW + timedelta(hours=1))
    changes = [row for row in audit(engine) if row[1] in ("status_change", "assign", "unassign")]
    assert changes == [
        ("alice", "status_change", reference, "new -> in_progress"),
        ("alice", "assign", reference, "to alice"),
        ("bob", "unassign", reference, None),
    ]
    history = repo.case_file(reference, actor="alice").history
    assert [e.action for e in history] == ["referral_created", "status_change", "assign", "unassign"]


def test_notes_are_encrypted_at_rest_and_never_in_the_audit_log(
    repo: StaffRepository, store: ReferralStore, engine: Engine
) -> None:
    reference = save(store, 1)
    secret = "Mum says the man is called Darren Whitlock"
    assert repo.add_note(reference, f"  {secret}  ", actor="alice")
    assert not repo.add_note("ACDE-9999", "hello", actor="alice")
    with pytest.raises(ValueError):
        repo.add_note(reference, "   ", actor="alice")
    with pytest.raises(ValueError):
        repo.add_note(reference, "x" * 2001, actor="alice")

    with engine.connect() as connection:
        raw = connection.execute(select(ReferralNote.body_encrypted)).scalar_one()
    assert b"Darren" not in bytes(raw)
    notes = repo.case_file(reference, actor="alice").notes
    assert [(n.author, n.body) for n in notes] == [("alice", secret)]
    assert audit(engine, "note_added") == [("alice", "note_added", reference, f"{len(secret)} characters")]
    assert not any("Darren" in str(row) for row in audit(engine))


def test_erasure_and_purge_take_the_notes_with_them(
    repo: StaffRepository, store: ReferralStore, engine: Engine
) -> None:
    erased = save(store, 1)
    old = save(store, 2, at=NOW - timedelta(days=400))
    kept = save(store, 3)
    for reference in (erased, old, kept):
        repo.add_note(reference, "a note", actor="alice")
    assert repo.erase(erased, actor="admin")
    assert store.purge_older_than(365) == 1
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(ReferralNote)).scalar_one() == 1
    assert ("admin", "erasure", erased, None) in audit(engine)
    assert repo.case_file(kept, actor="alice").notes[0].body == "a note"


def test_export_returns_the_asked_referrals_in_order_with_one_audit_row_each(
    repo: StaffRepository, store: ReferralStore, engine: Engine
) -> None:
    first, second = save(store, 1), save(store, 2)
    repo.add_note(second, "rang, no answer", actor="bob")
    cases = repo.export([second, "ACDE-9999", first, second], "csv", actor="alice")
    assert [c.referral.reference for c in cases] == [second, first]
    assert cases[0].notes[0].body == "rang, no answer"
    assert audit(engine, "export") == [
        ("alice", "export", second, "csv, 2 referral(s) in the file"),
        ("alice", "export", first, "csv, 2 referral(s) in the file"),
    ]


# -- the overview ----------------------------------------------------------------------------------------------


def test_overview_counts_weeks_urgent_share_and_topics(repo: StaffRepository, store: ReferralStore) -> None:
    save(store, 1, age=5, topics=("grooming", "signs"), at=NOW)  # this week (Mon 16 Nov)
    save(store, 2, topics=("signs",), at=NOW - timedelta(days=6))  # Mon 16 Nov
    save(store, 3, at=NOW - timedelta(days=7))  # week of 9 Nov
    save(store, 4, topics=("missing",), at=NOW - timedelta(weeks=20))  # outside the 12 weeks
    stats = repo.overview(weeks=12)
    assert len(stats.weeks) == 12
    assert stats.weeks[-1].week_start.isoformat() == "2026-11-16"
    assert (stats.weeks[-1].urgent, stats.weeks[-1].standard) == (1, 1)
    assert (stats.weeks[-2].urgent, stats.weeks[-2].standard) == (0, 1)
    assert sum(w.total for w in stats.weeks[:-2]) == 0
    assert (stats.total, stats.urgent) == (3, 1)
    assert stats.topics == [("signs", 2), ("grooming", 1)]
    assert stats.no_topics == 1


# -- accounts -------------------------------------------------------------------------------------------------


def test_accounts_add_reset_disable_and_record_sign_in_attempts(repo: StaffRepository, engine: Engine) -> None:
    accounts = repo.accounts
    accounts.add("alice", "hash-1", "staff", actor="cli")
    with pytest.raises(AccountExists):
        accounts.add("alice", "hash-2", "admin", actor="cli")
    accounts.record_attempt("alice", "login_failed", "from 203.0.113.9")
    accounts.record_attempt("unknown account", "login_throttled", "from 203.0.113.9; refused, 2 s to wait")
    accounts.login_succeeded("alice", detail="from 198.51.100.4")

    assert accounts.set_password("alice", "hash-3", actor="cli")
    account = accounts.get("alice")
    assert (account.password_hash, account.session_version, account.last_login_at) == ("hash-3", 1, NOW)
    assert accounts.set_active("alice", False, actor="cli")
    assert (accounts.get("alice").active, accounts.get("alice").session_version) == (False, 2)
    assert not accounts.set_active("nobody", False, actor="cli")
    rows = audit(engine)
    assert ("alice", "login_failed", None, "from 203.0.113.9") in rows
    assert ("unknown account", "login_throttled", None, "from 203.0.113.9; refused, 2 s to wait") in rows
    assert ("alice", "login", None, "from 198.51.100.4") in rows
    assert ("cli", "password_reset", None, "alice") in rows
    assert ("cli", "staff_disabled", None, "alice") in rows


def test_reading_the_audit_log_is_itself_recorded(repo: StaffRepository, store: ReferralStore, engine: Engine) -> None:
    reference = save(store, 1)
    repo.case_file(reference, actor="bob")
    entries, total = repo.audit_log(actor="admin", reference=reference)
    assert [(e.actor, e.action) for e in entries] == [("bob", "view"), ("system", "referral_created")]
    assert total == 2
    assert audit(engine, "audit_view") == [("admin", "audit_view", reference, "offset 0")]
