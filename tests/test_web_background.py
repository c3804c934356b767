"""The web service saves referrals that waited in the spool while the database was down."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy.engine import Engine

from bot.storage.crypto import Cipher, generate_key
from bot.storage.repository import NewReferral, ReferralStore, SpoolDirectory
from bot.web.background import spool_drain_ctx

KEY = generate_key()


async def test_spooled_referrals_reach_the_database_while_the_service_runs(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, aiohttp_client
) -> None:
    monkeypatch.setenv("REFERRAL_SPOOL_DIR", str(tmp_path / "spool"))
    spool = SpoolDirectory(tmp_path / "spool", Cipher([KEY]))
    spool.write(
        NewReferral(
            reference="ACDE-FG34",
            submission_key="a" * 64,
            summary={"reference": "ACDE-FG34"},
            priority="urgent",
            channel="rest",
            created_at=datetime.now(timezone.utc),
            notify=False,
        )
    )
    store = ReferralStore(engine, Cipher([KEY]))
    app = web.Application()
    app.cleanup_ctx.append(spool_drain_ctx(lambda: store, interval=0.05))
    await aiohttp_client(app)
    for _ in range(100):
        if store.get("ACDE-FG34") is not None:
            break
        await asyncio.sleep(0.05)
    assert store.get("ACDE-FG34") is not None
    assert spool.pending() == []
