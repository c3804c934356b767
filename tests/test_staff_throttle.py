"""Sign-in throttling in the database, on SQLite and PostgreSQL: growing waits, no lock-out, requests sent
at once, giving an attempt back on success, forgetting, the keys, and the migration that brought it."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.storage.login_throttle import LoginThrottle, Rule
from bot.storage.migrate import alembic_config
from bot.storage.models import LoginThrottle as Row
from bot.web.client import address_group
from bot.web.staff.signin import ADDRESS_RULE, NAME_RULE, throttle_keys
from tests.helpers import NOW, Clock

SECRET = "a test secret"


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def throttle(engine: Engine, clock: Clock) -> LoginThrottle:
    return LoginThrottle(engine, clock=clock)


def seconds(rule: Rule, failures: int) -> float:
    return rule.delay(failures).total_seconds()


def test_the_wait_doubles_after_the_free_attempts_and_stops_at_fifteen_minutes() -> None:
    assert [seconds(NAME_RULE, n) for n in range(1, 16)] == [
        0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900
    ]
    assert [seconds(ADDRESS_RULE, n) for n in range(9, 14)] == [0, 1, 2, 4, 8]
    assert seconds(NAME_RULE, 10**9) == 900  # a year-long attack is still only 15 minutes at a time


def test_failures_make_the_wait_grow_but_never_lock(engine: Engine, throttle: LoginThrottle, clock: Clock) -> None:
    keys = [("k" * 64, NAME_RULE)]
    waits = []
    for _ in range(15):
        claim = throttle.claim(keys)
        wait = timedelta(0)
        if not claim.allowed:
            wait = claim.retry_after
            clock.now += wait
            claim = throttle.claim(keys)
        assert claim.allowed  # never locked: after the wait, the attempt goes ahead
        waits.append(wait.total_seconds())
    assert waits == [0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]
    with engine.connect() as connection:
        assert connection.execute(select(Row.failures)).scalar_one() == 15


def test_a_refused_attempt_changes_nothing(throttle: LoginThrottle, clock: Clock) -> None:
    keys = [("a" * 64, NAME_RULE)]
    for _ in range(3):
        throttle.claim(keys)
    for _ in range(50):  # hammering while throttled does not make the wait longer
        refused = throttle.claim(keys)
        assert not refused.allowed and refused.retry_after == timedelta(seconds=1)
    clock.now += timedelta(seconds=1)
    assert throttle.claim(keys).allowed


def test_requests_sent_at_once_get_only_the_free_attempts(throttle: LoginThrottle) -> None:
    keys = [("b" * 64, NAME_RULE), ("c" * 64, ADDRESS_RULE)]
    start = threading.Barrier(12)
    results: list[bool] = []

    def attempt() -> None:
        start.wait()
        results.append(throttle.claim(keys).allowed)

    threads = [threading.Thread(target=attempt) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 9 + [True] * 3


def test_a_correct_password_gives_its_attempt_back(engine: Engine, throttle: LoginThrottle, clock: Clock) -> None:
    address = ("d" * 64, ADDRESS_RULE)
    for _ in range(9):  # someone else's failures from the same office address
        assert throttle.claim([address, ("e" * 64, NAME_RULE)]).allowed
        clock.now += timedelta(minutes=1)
    mine = ("f" * 64, NAME_RULE)
    claim = throttle.claim([address, mine])  # the 10th attempt here would make the next one wait
    assert claim.allowed and not throttle.claim([address, ("g" * 64, NAME_RULE)]).allowed
    throttle.succeeded(claim)
    with engine.connect() as connection:
        rows = dict(connection.execute(select(Row.key, Row.failures)).all())
    assert rows[address[0]] == 9 and mine[0] not in rows  # given back; my own name row is cleared
    assert throttle.claim([address, ("h" * 64, NAME_RULE)]).allowed  # the next colleague does not wait


def test_quiet_keys_are_forgotten_after_a_day(throttle: LoginThrottle, clock: Clock) -> None:
    keys = [("i" * 64, NAME_RULE)]
    for _ in range(8):
        throttle.claim(keys)
        clock.now += timedelta(minutes=20)
    clock.now += timedelta(hours=25)
    claim = throttle.claim(keys)
    assert claim.allowed and claim.claimed[0].block is None  # counting starts again
    assert throttle.forget_stale() == 0
    clock.now += timedelta(hours=25)
    assert throttle.forget_stale() == 1


def test_keys_are_hmacs_that_group_names_and_ipv6_networks() -> None:
    (address, _), (name, _) = throttle_keys(SECRET, "203.0.113.9", "Alice")
    assert len(address) == len(name) == 64 and "alice" not in name and "203" not in address
    assert throttle_keys(SECRET, "203.0.113.9", " ALICE ")[1][0] == name
    assert throttle_keys(SECRET, "203.0.113.9", "\uff21\uff4c\uff49\uff43\uff45")[1][0] == name  # full-width
    assert throttle_keys(SECRET, "203.0.113.10", "alice")[1][0] != name
    assert throttle_keys("another secret", "203.0.113.9", "alice")[1][0] != name
    assert address_group("2001:db8:1:2:aaaa::1") == address_group("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert throttle_keys(SECRET, "2001:db8:1:2::1", "x")[0] == throttle_keys(SECRET, "2001:db8:1:2::2", "x")[0]
    assert address_group("2001:db8:1:3::1") != address_group("2001:db8:1:2::1")
    lone_surrogate = throttle_keys(SECRET, "203.0.113.9", "\ud800" + "x" * 100_000)
    assert len(lone_surrogate[1][0]) == 64


@pytest.mark.parametrize(("raw", "hops"), [("", 0), ("2", 2)])
def test_trusted_proxy_hops_is_a_setting_off_by_default(monkeypatch: pytest.MonkeyPatch, raw: str, hops: int) -> None:
    from bot.config import load_settings

    monkeypatch.setenv("TRUSTED_PROXY_HOPS", raw)
    assert load_settings(env_file=None).trusted_proxy_hops == hops


@pytest.mark.parametrize("raw", ["-1", "two", "1.5"])
def test_a_bad_trusted_proxy_hops_stops_the_start_instead_of_guessing(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    from bot.config import SettingsError, load_settings

    monkeypatch.setenv("TRUSTED_PROXY_HOPS", raw)
    with pytest.raises(SettingsError, match="TRUSTED_PROXY_HOPS: must be a whole number, 0 or more"):
        load_settings(env_file=None)


def test_the_migration_adds_the_table_drops_the_lock_and_keeps_accounts(tmp_path: Path) -> None:
    from alembic import command

    url = f"sqlite:///{tmp_path / 'old.db'}"
    config = alembic_config(url)
    command.upgrade(config, "0002")
    engine = create_engine(url, future=True)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO staff_users (username, password_hash, role, active, failed_logins, locked_until,"
                " session_version, created_at) VALUES ('alice', 'h', 'staff', 1, 4, '2999-01-01 00:00:00', 3,"
                " '2026-11-01 00:00:00')"
            )
        )
    command.upgrade(config, "head")
    columns = {c["name"] for c in inspect(engine).get_columns("staff_users")}
    assert "locked_until" not in columns and "failed_logins" not in columns
    assert "login_throttle" in inspect(engine).get_table_names()
    with engine.begin() as connection:
        assert connection.execute(text("SELECT username, session_version FROM staff_users")).all() == [("alice", 3)]
    with pytest.raises(IntegrityError), engine.begin() as connection:  # the role check survived the table copy
        connection.execute(
            text(
                "INSERT INTO staff_users (username, password_hash, role, active, session_version, created_at)"
                " VALUES ('bob', 'h', 'root', 1, 0, '2026-11-01 00:00:00')"
            )
        )
    command.downgrade(config, "0002")
    assert "login_throttle" not in inspect(engine).get_table_names()
    assert "locked_until" in {c["name"] for c in inspect(engine).get_columns("staff_users")}
    engine.dispose()
