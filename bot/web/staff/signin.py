"""Signing in to the staff pages: throttled by address and by address + name, never locking an account.

- Throttling: a few free attempts, then waits that double up to 15 minutes (bot.storage.login_throttle),
  per client address (10 free, for an office behind one address) and per address + username (3 free).
  Nothing is keyed by the username alone, so an attacker's failures never stop the real person signing
  in from another address. While throttled, the password is not checked at all.
- Every name gets the same answer in the same time: an unknown name is checked against a dummy argon2
  hash, a disabled account against its own, and all get the same words and status.
- Every attempt is audited (signed in, failed, refused while throttled) with the client address; the
  username only when it is an existing account, since a password typed into the name box must not be kept.

The client address comes from bot.web.client (TRUSTED_PROXY_HOPS); IPv6 clients are grouped by /64,
which one household or host gets.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import unicodedata
from dataclasses import dataclass

from bot.accounts.staff import normalise_username
from bot.storage.login_throttle import Claim, Rule
from bot.storage.staff_repository import UNKNOWN_ACCOUNT, StaffAccount
from bot.web.client import address_group
from bot.web.staff.context import StaffContext, db

log = logging.getLogger(__name__)

ADDRESS_RULE = Rule(free=10, reset_on_success=False)
NAME_RULE = Rule(free=3, reset_on_success=True)
MAX_NAME_CHARS = 256  # of the typed name, for the throttle key; a longer one is no account anyway


@dataclass(frozen=True)
class Outcome:
    account: StaffAccount | None = None  # signed in
    retry_after: int = 0  # seconds to wait, when refused while throttled


def throttle_name(typed: str) -> str:
    """The typed name as the throttle sees it: Unicode-normalised and case-folded, so variants count together."""
    return unicodedata.normalize("NFKC", typed[:MAX_NAME_CHARS]).strip().casefold()


def throttle_keys(secret: str, address: str, typed: str) -> list[tuple[str, Rule]]:
    """HMACs, so the table holds neither the address nor what was typed (it may be a password)."""

    def mac(*parts: str) -> str:
        message = "\0".join(("staff-sign-in-v1", *parts)).encode("utf-8", "surrogatepass")
        return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()

    group = address_group(address)
    return [(mac("address", group), ADDRESS_RULE), (mac("name", group, throttle_name(typed)), NAME_RULE)]


async def sign_in(ctx: StaffContext, address: str, typed: str, password: str) -> Outcome:
    """Check one attempt, with throttling and an audit row whatever happens."""
    repo = ctx.repo()
    username = normalise_username(typed)
    account = await db(repo.accounts.get, username) if username else None
    actor = account.username if account else UNKNOWN_ACCOUNT
    where = f"from {address}"
    claim: Claim = await db(repo.throttle.claim, throttle_keys(ctx.config.session_key, address, typed))
    if not claim.allowed:
        wait = max(1, math.ceil(claim.retry_after.total_seconds()))
        await db(repo.accounts.record_attempt, actor, "login_throttled", f"{where}; refused, {wait} s to wait")
        log.info("staff sign-in refused while throttled (%d s to wait)", wait)
        return Outcome(retry_after=wait)
    # The same argon2 work for every name: an unknown one is checked against a dummy hash.
    matches = await db(ctx.passwords.verify, account.password_hash if account else None, password)
    if account is None or not matches or not account.active:
        reason = "" if account is None or account.active else "; account disabled"
        await db(repo.accounts.record_attempt, actor, "login_failed", where + reason)
        return Outcome()
    new_hash = await db(ctx.passwords.hash, password) if ctx.passwords.needs_rehash(account.password_hash) else None
    await db(repo.accounts.login_succeeded, account.username, detail=where, new_hash=new_hash)
    await db(repo.throttle.succeeded, claim)
    await db(repo.throttle.forget_stale)
    return Outcome(account=account)
