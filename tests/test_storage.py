"""Referral storage on real databases (SQLite and PostgreSQL): encryption at rest, idempotent saves,
retention, erasure, key rotation, the notification outbox, the outage spool, and migrations."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, String, Table, func, inspect, select, text
from sqlalchemy.engine import Engine

from bot.config import SettingsError, get_settings, load_settings
from bot.storage.config import encryption_keys
from bot.storage.crypto import Cipher, InvalidToken, generate_key
from bot.storage.models import AuditLog, Base, Outbox, Referral
from bot.storage.repository import (
    NewReferral,
    ReferenceCollision,
    ReferralStore,
    SpoolDirectory,
    StorageUnavailable,
    make_engine,
)

NOW = datetime(2026, 11, 22, 23, 10, tzinfo=timezone.utc)
SECRET_NAME = "Zebedee Quintrell"
SECRET_PHONE = "+447700900123"
SUMMARY = {
    "schema_version": 1,
    "answers": {"preferred_name": SECRET_NAME, "contact_phone": SECRET_PHONE, "help_wanted": "Please ring after six"},
    "priority_reasons": ["a safety response was given: child_missing at 2026-11-22T23:10:00+00:00"],
}


def referral(n: int = 1, **overrides) -> NewReferral:
    fields = {
        "reference": f"ABCD-EF{n:02d}",
        "submission_key": f"{n:064x}",
        "summary": SUMMARY,
        "priority": "urgent",
        "channel": "web",
        "created_at": NOW,
        "notify": True,
    }
    return NewReferral(**(fields | overrides))


@pytest.fixture
def key() -> str:
    return generate_key()


@pytest.fixture
def cipher(key: str) -> Cipher:
    return Cipher([key])


@pytest.fixture
def store(engine: Engine, cipher: Cipher) -> ReferralStore:
    return ReferralStore(engine, cipher, clock=lambda: NOW)


def count(engine: Engine, model: type) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(model)).scalar_one()


def audit_rows(engine: Engine) -> list[tuple[str, str, str | None, str | None]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(AuditLog.action, AuditLog.actor, AuditLog.reference, AuditLog.detail).order_by(AuditLog.id)
        )
        return [tuple(row) for row in rows]


# -- saving and reading -----------------------------------------------------------------------------


def test_a_saved_referral_reads_back_and_is_encrypted_at_rest(engine: Engine, store: ReferralStore) -> None:
    saved = store.save(referral())
    assert saved.created and saved.reference == "ABCD-EF01" and saved.priority == "urgent"

    stored = store.get("ABCD-EF01")
    assert stored is not None
    assert stored.summary == SUMMARY
    assert (stored.status, stored.channel, stored.schema_version) == ("new", "web", 1)
    assert stored.created_at == NOW and stored.created_at.tzinfo is not None

    with engine.connect() as connection:
        raw = bytes(connection.execute(select(Referral.summary_encrypted)).scalar_one())
        everything = " ".join(str(v) for row in connection.execute(select(Referral)) for v in row)
    for secret in (SECRET_NAME, SECRET_PHONE, "ring after six", "child_missing"):
        assert secret.encode() not in raw
        assert secret not in everything
    assert store.get("NONE-XIST") is None


def test_dates_are_kept_in_utc_whatever_zone_they_arrive_in(store: ReferralStore) -> None:
    plus_two = timezone(timedelta(hours=2))
    store.save(referral(created_at=NOW.astimezone(plus_two)))
    stored = store.get("ABCD-EF01")
    assert stored is not None and stored.created_at == NOW and stored.created_at.utcoffset() == timedelta(0)
    with pytest.raises(ValueError, match="aware"):
        store.save(referral(2, created_at=NOW.replace(tzinfo=None)))


def test_saving_the_same_submission_twice_returns_the_first(engine: Engine, store: ReferralStore) -> None:
    first = store.save(referral())
    again = store.save(referral(reference="WXYZ-WXYZ", summary={"other": True}))
    assert not again.created
    assert (again.id, again.reference) == (first.id, first.reference)
    assert count(engine, Referral) == 1 and count(engine, Outbox) == 1
    assert [row[0] for row in audit_rows(engine)] == ["referral_created"]


def test_a_lost_race_on_the_submission_key_returns_the_winner(
    engine: Engine, store: ReferralStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = store.save(referral())
    # The other request commits between this one's existence check and its insert.
    original = store._saved_by_key
    calls: list[str] = []

    def check_too_early(submission_key: str):
        calls.append(submission_key)
        return None if len(calls) == 1 else original(submission_key)

    monkeypatch.setattr(store, "_saved_by_key", check_too_early)
    again = store.save(referral(reference="WXYZ-WXYZ"))
    assert (again.created, again.id) == (False, first.id)
    assert len(calls) == 2 and count(engine, Referral) == 1


def test_a_reference_used_by_another_submission_is_refused(store: ReferralStore) -> None:
    store.save(referral())
    with pytest.raises(ReferenceCollision):
        store.save(referral(2, reference="ABCD-EF01"))


def test_no_outbox_row_without_notify_and_the_outbox_payload_is_not_personal(
    engine: Engine, store: ReferralStore
) -> None:
    store.save(referral(1, notify=False))
    store.save(referral(2, priority="standard"))
    with engine.connect() as connection:
        payloads = [json.loads(p) for p in connection.execute(select(Outbox.payload_json)).scalars()]
    assert payloads == [{"reference": "ABCD-EF02", "priority": "standard", "created_at": NOW.isoformat()}]


def test_list_recent_gives_plain_columns_newest_first(store: ReferralStore) -> None:
    store.save(referral(1, created_at=NOW - timedelta(days=1)))
    store.save(referral(2))
    listed = store.list_recent()
    assert [r.reference for r in listed] == ["ABCD-EF02", "ABCD-EF01"]
    assert not hasattr(listed[0], "summary")
    assert store.list_recent(status="closed") == []


def test_a_bad_priority_is_refused_before_touching_the_database(store: ReferralStore) -> None:
    with pytest.raises(ValueError, match="priority"):
        store.save(referral(priority="high"))


# -- retention and erasure -----------------------------------------------------------------------------


def test_purge_deletes_only_old_referrals_with_their_outbox_rows(engine: Engine, store: ReferralStore) -> None:
    store.save(referral(1, created_at=NOW - timedelta(days=400)))
    store.save(referral(2, created_at=NOW - timedelta(days=366)))
    store.save(referral(3, created_at=NOW - timedelta(days=10)))

    assert store.purge_older_than(365, now=NOW) == 2
    assert [r.reference for r in store.list_recent()] == ["ABCD-EF03"]
    assert count(engine, Outbox) == 1
    action, actor, reference, detail = audit_rows(engine)[-1]
    assert (action, actor, reference) == ("purge", "system", None)
    assert "deleted 2 referrals" in detail and "EF01" not in detail
    assert store.purge_older_than(365, now=NOW) == 0


def test_erasure_deletes_one_referral_and_records_only_its_reference(engine: Engine, store: ReferralStore) -> None:
    store.save(referral(1))
    store.save(referral(2))
    assert store.erase("ABCD-EF01") is True
    assert store.get("ABCD-EF01") is None and store.get("ABCD-EF02") is not None
    assert count(engine, Outbox) == 1
    assert audit_rows(engine)[-1] == ("erasure", "cli", "ABCD-EF01", None)
    assert store.erase("ABCD-EF01") is False


def test_the_database_cascades_outbox_rows_too(engine: Engine, store: ReferralStore) -> None:
    """ON DELETE CASCADE holds on both backends (SQLite needs foreign keys switched on per connection)."""
    store.save(referral())
    with engine.begin() as connection:
        connection.execute(Referral.__table__.delete())
    assert count(engine, Outbox) == 0


def test_audit_records_other_actions(engine: Engine, store: ReferralStore) -> None:
    store.save(referral())
    store.audit("view", actor="staff:alex", reference="ABCD-EF01")
    assert audit_rows(engine)[-1] == ("view", "staff:alex", "ABCD-EF01", None)


# -- key rotation --------------------------------------------------------------------------------------


def test_key_rotation_lets_the_old_key_be_removed(engine: Engine, store: ReferralStore, key: str) -> None:
    store.save(referral(1))
    store.save(referral(2))
    new_key = generate_key()
    with engine.connect() as connection:
        before = bytes(connection.execute(select(Referral.summary_encrypted).where(Referral.id == 1)).scalar_one())

    # The new key first, the old one kept so existing data still decrypts.
    assert store.rotate_keys(Cipher([new_key, generate_key(), key])) == 2
    with engine.connect() as connection:
        after = bytes(connection.execute(select(Referral.summary_encrypted).where(Referral.id == 1)).scalar_one())
    assert after != before
    with pytest.raises(InvalidToken):
        Cipher([key]).decrypt_json(after)

    only_new = ReferralStore(engine, Cipher([new_key]))
    stored = only_new.get("ABCD-EF02")
    assert stored is not None and stored.summary == SUMMARY
    action, _actor, _reference, detail = audit_rows(engine)[-1]
    assert action == "key_rotation" and detail == "re-encrypted 2 referrals"


# -- outbox ----------------------------------------------------------------------------------------------


def test_outbox_due_failed_and_delivered(engine: Engine, store: ReferralStore) -> None:
    store.save(referral(1))
    store.save(referral(2, notify=False))
    store.save(referral(3, priority="standard"))

    due = store.due_notifications(NOW)
    assert [item.payload["reference"] for item in due] == ["ABCD-EF01", "ABCD-EF03"]
    first = due[0]
    assert (first.kind, first.attempts, first.payload["priority"]) == ("new_referral", 0, "urgent")
    assert store.due_notifications(NOW - timedelta(seconds=1)) == []
    assert len(store.due_notifications(NOW, limit=1)) == 1

    store.mark_failed(first.id, "HTTP 503 from the notification service", NOW + timedelta(minutes=5))
    assert [item.payload["reference"] for item in store.due_notifications(NOW)] == ["ABCD-EF03"]
    retried = store.due_notifications(NOW + timedelta(minutes=5))
    assert [(item.id, item.attempts) for item in retried] == [(due[1].id, 0), (first.id, 1)]
    with engine.connect() as connection:
        assert connection.execute(select(Outbox.last_error).where(Outbox.id == first.id)).scalar_one().startswith("HTTP 503")

    store.mark_delivered(first.id, NOW + timedelta(minutes=6))
    store.mark_delivered(due[1].id, NOW + timedelta(minutes=6))
    assert store.due_notifications(NOW + timedelta(days=1)) == []
    with engine.connect() as connection:
        delivered = connection.execute(select(Outbox.delivered_at).where(Outbox.id == first.id)).scalar_one()
    assert delivered == NOW + timedelta(minutes=6)


def test_marking_a_notification_whose_referral_was_erased_is_harmless(store: ReferralStore) -> None:
    store.save(referral())
    (item,) = store.due_notifications(NOW)
    store.erase("ABCD-EF01")
    store.mark_failed(item.id, "timeout", NOW + timedelta(minutes=1))
    store.mark_delivered(item.id, NOW)
    assert store.due_notifications(NOW + timedelta(days=1)) == []


# -- spool ---------------------------------------------------------------------------------------------


def unreachable_url(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'no-such-folder' / 'x.db'}"
    return "postgresql+psycopg2://postgres@127.0.0.1:1/parent_support_test?connect_timeout=2"


def test_spooled_referrals_drain_into_the_database_once_it_is_back(
    engine: Engine, store: ReferralStore, cipher: Cipher, tmp_path: Path
) -> None:
    down = make_engine(unreachable_url(engine.dialect.name, tmp_path))
    try:
        with pytest.raises(StorageUnavailable):
            ReferralStore(down, cipher).save(referral(1))
    finally:
        down.dispose()

    spool = SpoolDirectory(tmp_path / "spool", cipher)
    path = spool.write(referral(1))
    spool.write(referral(2, notify=False, created_at=NOW - timedelta(hours=1)))
    assert path.name == f"{1:064x}.referral"
    assert SECRET_NAME.encode() not in path.read_bytes() and b"ABCD-EF01" not in path.read_bytes()
    assert spool.write(referral(1)) == path  # the same submission overwrites, never duplicates
    assert spool.reference_for(f"{1:064x}") == "ABCD-EF01" and spool.reference_for(f"{9:064x}") is None
    assert len(spool.pending()) == 2
    assert not [p for p in spool.path.iterdir() if p.name.startswith(".tmp-")]

    assert spool.drain(store) == 2
    assert spool.pending() == []
    stored = store.get("ABCD-EF02")
    assert stored is not None and stored.summary == SUMMARY and stored.created_at == NOW - timedelta(hours=1)
    assert [item.payload["reference"] for item in store.due_notifications(NOW)] == ["ABCD-EF01"]

    # A submit that reached the database after all, then was spooled too, is not duplicated.
    spool.write(referral(1))
    assert spool.drain(store) == 1
    assert count(engine, Referral) == 2


def test_a_failed_drain_keeps_the_files(cipher: Cipher, tmp_path: Path, engine: Engine) -> None:
    spool = SpoolDirectory(tmp_path / "spool", cipher)
    spool.write(referral(1))
    down = make_engine(unreachable_url(engine.dialect.name, tmp_path))
    try:
        with pytest.raises(StorageUnavailable):
            spool.drain(ReferralStore(down, cipher))
    finally:
        down.dispose()
    assert len(spool.pending()) == 1


def test_an_unreadable_spool_file_is_left_for_a_person(store: ReferralStore, cipher: Cipher, tmp_path: Path) -> None:
    other = SpoolDirectory(tmp_path / "spool", Cipher([generate_key()]))
    other.write(referral(1))
    spool = SpoolDirectory(tmp_path / "spool", cipher)
    spool.write(referral(2))
    assert spool.drain(store) == 1
    assert [p.name for p in spool.pending()] == [f"{1:064x}.referral"]


def test_a_file_spooled_before_the_referral_type_drains_the_same(store: ReferralStore, cipher: Cipher, tmp_path: Path) -> None:
    """A spool file written by the previous release (keyword arguments, schema_version null) still drains."""
    spool = SpoolDirectory(tmp_path / "spool", cipher)
    spool.path.mkdir()
    older = {
        "reference": "ABCD-EF07",
        "submission_key": "7" * 64,
        "summary": SUMMARY,
        "priority": "standard",
        "channel": "rest",
        "created_at": "2026-11-23T01:10:00+02:00",
        "notify": False,
        "schema_version": None,
    }
    (spool.path / f"{'7' * 64}.referral").write_bytes(cipher.encrypt_json(older))
    assert spool.drain(store) == 1
    stored = store.get("ABCD-EF07")
    assert stored is not None and stored.summary == SUMMARY and stored.schema_version == 1
    assert stored.created_at == NOW and stored.priority == "standard"


@pytest.mark.parametrize(
    "forged",
    [
        {"reference": "ABCD-EF08"},  # most of it missing
        {**referral(8).to_record(), "priority": "highest"},
        {**referral(8).to_record(), "created_at": "not a time"},
        ["a", "list"],
        "just text",
    ],
    ids=["missing fields", "bad priority", "bad time", "a list", "text"],
)
def test_a_spool_file_of_the_wrong_shape_is_left_and_the_others_still_drain(
    store: ReferralStore, cipher: Cipher, tmp_path: Path, forged: object
) -> None:
    spool = SpoolDirectory(tmp_path / "spool", cipher)
    spool.write(referral(2))
    (spool.path / f"{'8' * 64}.referral").write_bytes(cipher.encrypt_json(forged))
    assert spool.drain(store) == 1
    assert [p.name for p in spool.pending()] == [f"{'8' * 64}.referral"]
    assert store.get("ABCD-EF02") is not None and store.get("ABCD-EF08") is None


def test_spool_files_follow_a_key_rotation(store: ReferralStore, cipher: Cipher, key: str, tmp_path: Path) -> None:
    spool = SpoolDirectory(tmp_path / "spool", cipher)
    spool.write(referral(1))
    new_key = generate_key()
    assert spool.rotate_keys(Cipher([new_key, key])) == 1
    only_new = Cipher([new_key])
    assert SpoolDirectory(spool.path, only_new).drain(ReferralStore(store.engine, only_new)) == 1


def test_a_submission_key_that_is_not_a_safe_file_name_is_refused(cipher: Cipher, tmp_path: Path) -> None:
    spool = SpoolDirectory(tmp_path, cipher)
    with pytest.raises(ValueError, match="submission_key"):
        spool.write(referral(submission_key="../../etc/passwd"))


# -- migrations ------------------------------------------------------------------------------------------


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    from bot.storage.migrate import alembic_config

    return str(ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head())


def test_the_migration_creates_exactly_what_the_models_declare(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
        assert compare_metadata(context, Base.metadata) == []
        assert context.get_current_revision() == head_revision()

        # The comparison is not blind: one extra column in the models shows up.
        changed = MetaData()
        for table in Base.metadata.tables.values():
            table.to_metadata(changed)
        Table("audit_log", changed, Column("extra", String(10)), extend_existing=True)
        Table("scratch", changed, Column("id", Integer, primary_key=True))
        kinds = {diff[0] for diff in compare_metadata(context, changed)}
        assert kinds == {"add_column", "add_table"}
    assert set(inspect(engine).get_table_names()) == {*Base.metadata.tables, "alembic_version"}


def test_upgrading_again_changes_nothing(database_url: str, engine: Engine) -> None:
    from bot.storage.migrate import upgrade

    upgrade(database_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [head_revision()]


# -- configuration (no database) ------------------------------------------------------------------------


def test_encryption_keys_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = generate_key(), generate_key()
    monkeypatch.setenv("DATA_ENCRYPTION_KEYS", f" {first} , {second} ")
    assert encryption_keys() == [first, second]

    monkeypatch.setenv("DATA_ENCRYPTION_KEYS", "")
    get_settings.cache_clear()
    with pytest.raises(SettingsError, match="DATA_ENCRYPTION_KEYS is not set"):
        encryption_keys()

    monkeypatch.setenv("DATA_ENCRYPTION_KEYS", f"{first},not-a-key")
    get_settings.cache_clear()
    with pytest.raises(SettingsError, match="DATA_ENCRYPTION_KEYS: key 2 of 2") as error:
        encryption_keys()
    assert first not in str(error.value)


def test_retention_days(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFERRAL_RETENTION_DAYS", "")
    assert load_settings(env_file=None).referral_retention_days == 365
    monkeypatch.setenv("REFERRAL_RETENTION_DAYS", "30")
    assert load_settings(env_file=None).referral_retention_days == 30
    monkeypatch.setenv("REFERRAL_RETENTION_DAYS", "a year")
    with pytest.raises(SettingsError, match="REFERRAL_RETENTION_DAYS"):
        load_settings(env_file=None)
