"""`python -m bot staff ...`: adding, disabling, re-enabling accounts and resetting passwords, on SQLite and PostgreSQL;
the refusals in the words of content/staff.yml."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy.engine import Engine

from bot import cli
from bot.storage.staff_repository import StaffAccounts
from tests.helpers import SHIPPED_CONTENT_DIR, edit_content


@pytest.fixture
def db_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    return database_url


def run(monkeypatch: pytest.MonkeyPatch, *argv: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return cli.main(["staff", *argv])


def test_add_an_account_with_the_password_from_stdin(db_env: str, engine: Engine, monkeypatch, capsys) -> None:
    assert (
        run(monkeypatch, "add", "Alice.Smith", "--role", "admin", "--password-stdin", stdin="a long enough password\n")
        == 0
    )
    assert "Staff account alice.smith added (role admin)" in capsys.readouterr().out
    account = StaffAccounts(engine).get("alice.smith")
    assert account is not None and account.role == "admin" and account.active
    assert account.password_hash.startswith("$argon2id$")
    assert PasswordHasher().verify(account.password_hash, "a long enough password")

    assert run(monkeypatch, "add", "alice.smith", "--password-stdin", stdin="another long password\n") == 1
    assert "already a staff account called alice.smith" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("username", "password", "problem"),
    [
        ("bob", "short", "at least 12 characters"),
        ("bob", "bob-is-my-password", "must not contain the username"),
        ("b", "a long enough password", "A username is 2-32 characters"),
        ("bob smith", "a long enough password", "A username is 2-32 characters"),
    ],
)
def test_bad_names_and_passwords_are_refused_with_the_reason(
    db_env: str, engine: Engine, monkeypatch, capsys, username: str, password: str, problem: str
) -> None:
    assert run(monkeypatch, "add", username, "--password-stdin", stdin=password + "\n") == 1
    assert problem in capsys.readouterr().err
    assert StaffAccounts(engine).all() == []


def test_the_password_prompt_asks_twice(db_env: str, engine: Engine, monkeypatch, capsys) -> None:
    answers = iter(["a long enough password", "a different password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert run(monkeypatch, "add", "bob") == 1
    assert "The two passwords were different" in capsys.readouterr().err
    assert StaffAccounts(engine).get("bob") is None

    monkeypatch.setattr("getpass.getpass", lambda prompt="": "a long enough password")
    assert run(monkeypatch, "add", "bob") == 0
    assert StaffAccounts(engine).get("bob").role == "staff"


def test_disable_enable_reset_password_and_list(db_env: str, engine: Engine, monkeypatch, capsys) -> None:
    run(monkeypatch, "add", "carol", "--password-stdin", stdin="a long enough password\n")
    accounts = StaffAccounts(engine)

    assert run(monkeypatch, "disable", "carol") == 0
    assert not accounts.get("carol").active
    assert run(monkeypatch, "enable", "Carol") == 0
    assert accounts.get("carol").active

    before = accounts.get("carol").session_version
    assert run(monkeypatch, "reset-password", "carol", "--password-stdin", stdin="a brand new password\n") == 0
    after = accounts.get("carol")
    assert PasswordHasher().verify(after.password_hash, "a brand new password")
    assert after.session_version > before  # old sessions end

    capsys.readouterr()
    assert run(monkeypatch, "list") == 0
    listing = capsys.readouterr().out
    assert "carol" in listing and "active" in listing and "1 staff account(s)." in listing

    assert run(monkeypatch, "disable", "nobody") == 1
    assert run(monkeypatch, "reset-password", "nobody", "--password-stdin", stdin="a long enough password\n") == 1
    assert "There is no staff account called nobody" in capsys.readouterr().err


@pytest.fixture
def content_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """content/ copied, and the command line pointed at the copy."""
    copy = shutil.copytree(SHIPPED_CONTENT_DIR, tmp_path / "content")
    monkeypatch.setenv("CONTENT_DIR", str(copy))
    return Path(copy)


def test_the_refusals_are_worded_from_content_staff_yml(db_env: str, engine: Engine, content_copy, monkeypatch, capsys) -> None:
    edit_content(content_copy, "staff.yml", lambda d: d["account_errors"].update(
        password_too_short="Passwords need {min} characters or more.", account_exists="The name {name} is taken.",
        password_has_username="Leave your name out of the password.",
    ))
    assert run(monkeypatch, "add", "bob", "--password-stdin", stdin="short\n") == 1
    assert capsys.readouterr().err.strip() == "Passwords need 12 characters or more."
    assert run(monkeypatch, "add", "bob", "--password-stdin", stdin="a long enough password\n") == 0
    assert run(monkeypatch, "add", "Bob", "--password-stdin", stdin="another long password\n") == 1
    assert "The name bob is taken." in capsys.readouterr().err
    assert run(monkeypatch, "reset-password", "bob", "--password-stdin", stdin="bob's long password\n") == 1
    assert capsys.readouterr().err.strip() == "Leave your name out of the password."
    assert PasswordHasher().verify(StaffAccounts(engine).get("bob").password_hash, "a long enough password")


def test_with_staff_yml_broken_a_refusal_still_says_which_and_where_to_look(
    db_env: str, engine: Engine, content_copy, monkeypatch, capsys
) -> None:
    edit_content(content_copy, "staff.yml", lambda d: d["account_errors"].update(password_too_long="Too long."))  # {max} dropped
    assert run(monkeypatch, "add", "bob", "--password-stdin", stdin="x" * 300 + "\n") == 1
    said = capsys.readouterr().err
    assert "password_too_long max=256" in said and "Too long." not in said and "content check" in said
    assert StaffAccounts(engine).all() == []
