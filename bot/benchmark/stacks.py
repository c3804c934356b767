"""Starting the two assistants the benchmark compares: the project's full stack and a stock `rasa init` one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.config import PROJECT_ROOT, load_settings
from bot.runner import Service, start_all, stop, wait_until_up

OUR_RASA_PORT = 5505
STOCK_RASA_PORT = 5605
OUR_ENVIRONMENT = {
    "RASA_URL": f"http://localhost:{OUR_RASA_PORT}",
    "ACTION_PORT": "5555",
    "ACTION_SERVER_URL": "http://127.0.0.1:5555/webhook",
    "WEB_PORT": "8505",
}


@contextmanager
def our_stack(workdir: Path) -> Iterator[list[Service]]:
    """The full stack (Rasa server, action server, web service) on the benchmark's ports.

    It uses a throwaway SQLite database, spool folder and copy of the content (so the content-edit check
    never touches the real files), and puts the environment back as it was afterwards.
    """
    content = Path(shutil.copytree(PROJECT_ROOT / "content", workdir / "content"))
    (workdir / "spool").mkdir()
    values = {
        **OUR_ENVIRONMENT,
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}",
        "REFERRAL_SPOOL_DIR": str(workdir / "spool"),
        "CONTENT_DIR": str(content),
        "RASA_TELEMETRY_ENABLED": "false",
    }
    with environment_set(values):
        running = start_all(load_settings())
        try:
            yield running
        finally:
            stop(running)


@contextmanager
def environment_set(values: dict[str, str]) -> Iterator[None]:
    """`values` in this process's environment (where start_all and the settings read them), put back afterwards."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _stock_environment() -> dict[str, str]:
    return {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}


def train_stock_assistant(folder: Path) -> float:
    """`rasa init --no-prompt` in `folder` (it creates and trains moodbot); returns the seconds it took."""
    started = time.monotonic()
    with open(folder.parent / "rasa-init.log", "wb") as log:
        result = subprocess.run(
            [sys.executable, "-m", "rasa", "init", "--no-prompt", "--init-dir", str(folder)],
            cwd=folder,
            env=_stock_environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=900,
            check=False,
        )
    if result.returncode != 0 or not any((folder / "models").glob("*.tar.gz")):
        tail = (folder.parent / "rasa-init.log").read_text(errors="replace")[-2000:]
        raise SystemExit(f"`rasa init` failed (exit code {result.returncode}):\n{tail}")
    return time.monotonic() - started


@contextmanager
def stock_server(folder: Path, startup_timeout: float = 180.0) -> Iterator[Service]:
    """`rasa run` on the stock assistant in `folder`, with its own default credentials and endpoints."""
    service = Service(
        "stock Rasa server",
        [sys.executable, "-m", "rasa", "run", "--model", "models", "--port", str(STOCK_RASA_PORT)],
        f"http://localhost:{STOCK_RASA_PORT}/",
        f"http://localhost:{STOCK_RASA_PORT}",
    )
    with open(folder.parent / "rasa-run.log", "wb") as log:
        service.process = subprocess.Popen(
            service.command,
            cwd=folder,
            env=_stock_environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until_up([service], startup_timeout)
            yield service
        finally:
            stop([service])
