"""Staff account rules and password hashing (argon2id via argon2-cffi). No web code: the CLI uses it too."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bot.content.models import Labels, fill
from bot.content.words import WordedError
from bot.storage.staff_repository import AccountExists, StaffAccount, StaffAccounts

MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 256
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,31}")


ACCOUNT_ERRORS = "account_errors"  # the section of content/staff.yml that words each AccountError


class AccountError(WordedError):
    """A username or password that cannot be used: `key` names the words in content/staff.yml
    `account_errors:` that say why, `values` fill them. The web page and the command line word it
    (`account_words`)."""


def account_words(words: Labels, error: AccountError) -> str:
    """Why an account was refused, in the words of content/staff.yml (ContentStore.staff_words)."""
    return fill(words[ACCOUNT_ERRORS][error.key], **error.values)


def normalise_username(text: str) -> str | None:
    """Lower case, 2-32 letters, digits, '.', '_' or '-' (starting with a letter or digit); None otherwise."""
    name = (text or "").strip().lower()
    return name if _USERNAME.fullmatch(name) else None


def check_new_password(password: str, username: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError("password_too_short", min=MIN_PASSWORD_CHARS)
    if len(password) > MAX_PASSWORD_CHARS:
        raise AccountError("password_too_long", max=MAX_PASSWORD_CHARS)
    if username in password.lower():
        raise AccountError("password_has_username")


# One dummy hash per process for each set of argon2 settings: it only has to cost what a real check costs,
# so every Passwords with the same settings can share it (each new web app made one, 0.25 s, in the tests).
_DUMMIES: dict[tuple[object, ...], str] = {}


def _settings_of(hasher: PasswordHasher) -> tuple[object, ...]:
    return (type(hasher), hasher.time_cost, hasher.memory_cost, hasher.parallelism, hasher.hash_len, hasher.salt_len, hasher.type)


class Passwords:
    """Hash and check passwords. A hasher with cheaper settings can be passed in (tests)."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()
        self._dummy: str | None = None

    def dummy_hash(self) -> str:
        """Checked against when the username is unknown, so that a wrong name takes as long as a wrong password.

        Same settings as real hashes. The web service makes it at start-up, so the first unknown name is not slower.
        """
        if self._dummy is None:
            key = _settings_of(self.hasher)
            if key not in _DUMMIES:
                _DUMMIES[key] = self.hasher.hash("not a real password, only here to spend the same time")
            self._dummy = _DUMMIES[key]
        return self._dummy

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash or self.dummy_hash(), password) and password_hash is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self.hasher.check_needs_rehash(password_hash)


def add_account(
    accounts: StaffAccounts, passwords: Passwords, username: str, password: str, role: str, *, actor: str
) -> StaffAccount:
    """Check the name and password, then create the account (AccountError otherwise, a taken name included)."""
    name = normalise_username(username)
    if name is None:
        raise AccountError("bad_username")
    check_new_password(password, name)
    try:
        return accounts.add(name, passwords.hash(password), role, actor=actor)
    except AccountExists:
        raise AccountError("account_exists", name=name) from None


def reset_password(accounts: StaffAccounts, passwords: Passwords, username: str, password: str, *, actor: str) -> bool:
    """False when there is no such account."""
    name = normalise_username(username) or ""
    check_new_password(password, name)
    return accounts.set_password(name, passwords.hash(password), actor=actor)
