"""The staff pages under test, shared by tests/test_staff_web.py and tests/test_notes_web.py: a signed-in
client helper (`Staff`) over the real app, a real SQLite database and a clock the test moves.

The `staff` fixture (tests/conftest.py) builds one with `make_staff`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient
from argon2 import PasswordHasher
from cryptography.fernet import Fernet
from sqlalchemy import select

from bot.accounts.staff import Passwords, add_account
from bot.config import load_settings
from bot.storage.crypto import Cipher, generate_key
from bot.storage.models import AuditLog
from bot.storage.repository import ReferralStore, make_engine
from bot.storage.staff_repository import StaffRepository
from bot.web.app import create_app
from bot.web.staff import STAFF, StaffContext
from tests.helpers import NOW, Clock, migrated_sqlite

PASSWORD = "a long enough password"
HOSTILE = "<script>alert(1)</script>"
# Cheap settings so that many sign-ins stay fast; the production settings are argon2-cffi's defaults.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
REF = "ACDE-AAGH"  # the reference of save(store, 0) (tests/helpers.py)
@dataclass
class Staff:
    client: TestClient
    ctx: StaffContext
    store: ReferralStore
    clock: Clock

    async def sign_in(self, username: str = "alice", password: str = PASSWORD) -> str:
        """Sign in and return the session's CSRF token."""
        response = await self.login(username, password)
        assert response.status == 303, await response.text()
        return await self.token()

    async def login(self, username: str, password: str, **post: Any):  # type: ignore[no-untyped-def]
        token = await self.login_token()
        return await self.client.post(
            "/staff/login",
            data={"username": username, "password": password, "csrf_token": token},
            allow_redirects=False,
            **post,
        )

    async def login_token(self) -> str:
        return token_in(await (await self.client.get("/staff/login")).text())

    async def token(self) -> str:
        return token_in(await (await self.client.get("/staff/")).text())

    def audit(self, action: str) -> list[tuple[str, str | None, str | None]]:
        with self.store.engine.connect() as connection:
            rows = connection.execute(
                select(AuditLog.actor, AuditLog.reference, AuditLog.detail)
                .where(AuditLog.action == action)
                .order_by(AuditLog.id)
            )
            return [tuple(row) for row in rows]


def token_in(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


async def make_staff(aiohttp_client, tmp_path: Path, monkeypatch) -> Staff:  # noqa: ANN001 (pytest fixtures)
    """The web app with a fresh session key, two accounts (alice: staff, root: admin) and a clock at NOW."""
    monkeypatch.setenv("STAFF_SESSION_KEY", Fernet.generate_key().decode())
    url = migrated_sqlite(tmp_path / "staff.db")
    app = create_app(load_settings(env_file=None))
    ctx = app[STAFF]
    clock = Clock(NOW)
    ctx.clock = clock
    ctx.passwords = Passwords(CHEAP_HASHER)
    store = ReferralStore(make_engine(url), Cipher([generate_key()]), clock=clock)
    ctx.repository = StaffRepository(store, clock=ctx.now)
    add_account(ctx.repository.accounts, ctx.passwords, "alice", PASSWORD, "staff", actor="test")
    add_account(ctx.repository.accounts, ctx.passwords, "root", PASSWORD, "admin", actor="test")
    client = await aiohttp_client(app)
    return Staff(client, ctx, store, clock)
