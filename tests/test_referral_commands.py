"""The operator commands: key rotation in two steps, purge by age, erasure by reference, draining the spool."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from dotenv import dotenv_values
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot import cli
from bot.handoff.reference import ALPHABET
from bot.storage.crypto import Cipher, generate_key
from bot.storage.keys import retire_old_keys, start_key_rotation
from bot.storage.models import AuditLog
from bot.storage.repository import NewReferral, ReferralStore, SpoolDirectory

NOW = datetime(2026, 11, 22, 23, 0, tzinfo=timezone.utc)


def save(store: ReferralStore, n: int, created_at: datetime = NOW) -> str:
    reference = f"ACDE-FG{ALPHABET[n]}{ALPHABET[n]}"
    store.save(
        NewReferral(
            reference=reference,
            submission_key=f"{n:064x}",
            summary={"contact": {"preferred_name": "Sam"}},
            priority="standard",
            channel="rest",
            created_at=created_at,
            notify=False,
        )
    )
    return reference


def test_key_rotation_in_two_steps_leaves_only_the_new_key_and_everything_readable(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    old = generate_key()
    env = tmp_path / ".env"
    env.write_text(f"DATA_ENCRYPTION_KEYS={old}\n")
    reference = save(ReferralStore(engine, Cipher([old])), 1)
    spool = SpoolDirectory(tmp_path / "spool", Cipher([old]))
    spool.write(
        NewReferral(
            reference="ACDE-FG99", submission_key="f" * 64, summary={}, priority="standard", channel="rest",
            created_at=NOW, notify=False,
        )
    )

    assert start_key_rotation(env, database_url, tmp_path / "spool") == 1
    keys = (dotenv_values(env)["DATA_ENCRYPTION_KEYS"] or "").split(",")
    assert len(keys) == 2 and keys[1] == old  # the new key is written down first, the old one kept for now

    assert retire_old_keys(env, database_url, tmp_path / "spool") == 1
    (new,) = (dotenv_values(env)["DATA_ENCRYPTION_KEYS"] or "").split(",")
    assert new == keys[0]
    stored = ReferralStore(engine, Cipher([new])).get(reference)
    assert stored is not None and stored.summary["contact"]["preferred_name"] == "Sam"
    assert SpoolDirectory(tmp_path / "spool", Cipher([new])).reference_for("f" * 64) == "ACDE-FG99"


@pytest.fixture
def configured(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ReferralStore:
    key = generate_key()
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DATA_ENCRYPTION_KEYS", key)
    monkeypatch.setenv("REFERRAL_SPOOL_DIR", str(tmp_path / "spool"))
    monkeypatch.setenv("REFERRAL_RETENTION_DAYS", "30")
    from bot.storage.repository import make_engine

    return ReferralStore(make_engine(database_url), Cipher([key]))


def audit_actions(store: ReferralStore) -> list[tuple[str, str, str | None]]:
    with store.engine.connect() as connection:
        return [tuple(r) for r in connection.execute(select(AuditLog.action, AuditLog.actor, AuditLog.reference))]


def test_purge_deletes_referrals_older_than_the_retention_period_and_logs_it(
    configured: ReferralStore, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(timezone.utc)
    old = save(configured, 1, now - timedelta(days=31))
    recent = save(configured, 2, now - timedelta(days=29))
    assert cli.main(["referrals", "purge"]) == 0
    assert "Deleted 1 referral(s) and 0 conversation event(s) older than 30 days" in capsys.readouterr().out
    assert configured.get(old) is None and configured.get(recent) is not None
    assert ("purge", "cli", None) in audit_actions(configured)


def test_erasure_by_reference_code_as_a_parent_might_type_it(
    configured: ReferralStore, capsys: pytest.CaptureFixture[str]
) -> None:
    reference = save(configured, 3)
    assert cli.main(["referrals", "erase", reference.lower().replace("-", " ")]) == 0
    assert configured.get(reference) is None
    assert ("erasure", "cli", reference) in audit_actions(configured)
    assert cli.main(["referrals", "erase", reference]) == 1
    assert cli.main(["referrals", "erase", "not a code"]) == 2


def test_drain_saves_what_waited_in_the_spool(configured: ReferralStore, tmp_path: Path) -> None:
    SpoolDirectory(tmp_path / "spool", configured.cipher).write(
        NewReferral(
            reference="ACDE-FG77", submission_key="e" * 64, summary={}, priority="urgent", channel="rest",
            created_at=NOW, notify=False,
        )
    )
    assert cli.main(["referrals", "drain"]) == 0
    assert configured.get("ACDE-FG77") is not None
