"""Shared fixtures: settings read afresh for each test, a fake Rasa server for the web service's tests,
databases (every storage test runs on SQLite and on a real PostgreSQL server), the staff pages, and
headless Chromium with axe-core for the browser tests.

PostgreSQL comes from TEST_DATABASE_URL, or from scripts/test-services.sh (started the first time a test
runs on it, and stopped at the end if this session started it). When neither works the PostgreSQL cases are skipped with
the reason; SQLite cases always run.
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from bot.config import PROJECT_ROOT, get_settings
from tests.fake_rasa import FakeRasa
from tests.helpers import migrated_sqlite

if TYPE_CHECKING:
    from tests.staff_support import Staff

def _temp_files_in_memory() -> None:
    """Tests' files (databases, copies of content/, documents) on the machine's RAM disk where it has one:
    tests write and sync many small files, and on a disk shared with other work the waits were a good part of
    `make test-fast` (67 s against 77 s in one comparison). A TMPDIR set by whoever runs the tests wins."""
    ram = Path("/dev/shm")
    if os.environ.get("TMPDIR") or not (ram.is_dir() and os.access(ram, os.W_OK)):
        return
    os.environ["TMPDIR"] = str(ram)  # for xdist's workers and any program a test starts
    tempfile.tempdir = str(ram)


_temp_files_in_memory()

SERVICES = PROJECT_ROOT / "scripts" / "test-services.sh"
REDIS_SERVICE = PROJECT_ROOT / "scripts" / "test-redis.sh"
PG_PORT = 55432
REDIS_PORT = 56379


@dataclass(frozen=True)
class Postgres:
    url: str | None
    problem: str = ""


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class ServiceScriptFailed(Exception):
    """A scripts/test-*.sh could not start its server; the message is the skip reason."""


def _service_url(script: Path, variable: str, port: int) -> tuple[str, bool]:
    """(url, started_here): `variable` from the environment, or started by `script`, which prints it last."""
    url = os.environ.get(variable, "").strip()
    if url:
        return url, False
    already_running = _port_open(port)
    try:
        result = subprocess.run([str(script)], capture_output=True, text=True, timeout=900, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ServiceScriptFailed(f"scripts/{script.name} could not run: {exc}") from None
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines or not lines[-1].startswith(f"{variable}="):
        error = result.stderr.strip().splitlines()[-1:] or [f"exit code {result.returncode}"]
        raise ServiceScriptFailed(f"scripts/{script.name} failed: {error[0]}")
    return lines[-1].split("=", 1)[1], not already_running


def _start_postgres() -> tuple[Postgres, bool]:
    """(server, started_here). Never raises: a problem becomes the skip reason."""
    try:
        url, started_here = _service_url(SERVICES, "TEST_DATABASE_URL", PG_PORT)
    except ServiceScriptFailed as exc:
        return Postgres(None, str(exc)), False
    try:
        engine = create_engine(url, future=True, connect_args={"connect_timeout": 5})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure to reach the server is a skip reason, shown in full
        return Postgres(None, f"cannot connect to {make_url(url)!r}: {type(exc).__name__}: {exc}"), started_here
    return Postgres(url), started_here


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    """Each test reads the settings afresh (the code reads them once per process), so its environment counts.

    A test that changes the environment after the settings were read calls `get_settings.cache_clear()`.
    """
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    server, started_here = _start_postgres()
    yield server
    if started_here:
        subprocess.run([str(SERVICES), "stop"], capture_output=True, timeout=120, check=False)


@dataclass(frozen=True)
class Redis:
    url: str | None
    problem: str = ""


@pytest.fixture(scope="session")
def redis_server() -> Iterator[Redis]:
    """A real Redis server (scripts/test-redis.sh starts one from Debian's package); skipped where it cannot."""
    try:
        url, started_here = _service_url(REDIS_SERVICE, "TEST_REDIS_URL", REDIS_PORT)
    except ServiceScriptFailed as exc:
        pytest.skip(str(exc))
    yield Redis(url)
    if started_here:
        subprocess.run([str(REDIS_SERVICE), "stop"], capture_output=True, timeout=120, check=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database for one test: a fresh SQLite file, or a PostgreSQL schema of its own.

    PostgreSQL is started (or found) only when a test runs on it, so `make test-fast` never starts it.
    """
    from bot.storage.migrate import upgrade

    if request.param == "sqlite":
        yield migrated_sqlite(tmp_path / "test.db")
        return
    postgres: Postgres = request.getfixturevalue("postgres")
    if postgres.url is None:
        pytest.skip(f"PostgreSQL unavailable: {postgres.problem}")
    admin = create_engine(postgres.url, future=True)
    schema = f"test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(postgres.url).update_query_dict({"options": f"-csearch_path={schema}"})
    url_text = url.render_as_string(hide_password=False)
    try:
        upgrade(url_text)
        yield url_text
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    from bot.storage.repository import make_engine

    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
async def fake_rasa(aiohttp_server) -> FakeRasa:  # noqa: ANN001 (pytest-aiohttp's fixture)
    """A Rasa REST channel stand-in (tests/fake_rasa.py): set `.answer` to change what it says."""
    fake = FakeRasa()
    fake.server = await aiohttp_server(fake.app())
    return fake


@pytest.fixture
async def staff(aiohttp_client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Staff:  # noqa: ANN001
    """The staff pages with two accounts and a movable clock (tests/staff_support.py)."""
    from tests.staff_support import make_staff

    return await make_staff(aiohttp_client, tmp_path, monkeypatch)


@pytest.fixture
def browser() -> Iterator[object]:
    """A headless Chromium (selenium); skipped with the reason where it cannot be installed or started."""
    from tests.browser_support import BrowserUnavailable, make_driver

    try:
        driver = make_driver()
    except BrowserUnavailable as exc:
        pytest.skip(str(exc))
    yield driver
    driver.quit()


@pytest.fixture(scope="session")
def axe_script() -> str:
    """axe-core's script (tests/browser_support.py); skipped with the reason where npm cannot install it."""
    from tests.browser_support import BrowserUnavailable, axe_core

    try:
        return axe_core()
    except BrowserUnavailable as exc:
        pytest.skip(str(exc))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Storage tests on the PostgreSQL side of `database_url` are marked `postgres` (see pyproject.toml)."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("database_url") == "postgresql":
            item.add_marker(pytest.mark.postgres)
