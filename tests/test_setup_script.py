"""Setup finds Python 3.10 or says clearly what to install."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT

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
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/conversations.db")
    monkeypatch.setenv("ACTION_SERVER_SECRET", "a-shared-secret")  # the settings never write to the environment
    endpoint = read_endpoint_config(str(PROJECT_ROOT / "endpoints.yml"), "action_endpoint")
    assert endpoint is not None and endpoint.url == "http://localhost:5999/webhook"
    tracker_store = read_endpoint_config(str(PROJECT_ROOT / "endpoints.yml"), "tracker_store")
    assert tracker_store is not None and tracker_store.type == "bot.storage.tracker_store.EncryptedSQLTrackerStore"
    assert tracker_store.url == "sqlite:////tmp/conversations.db"
