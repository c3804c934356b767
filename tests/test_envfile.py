"""Setup fills in settings that .env lacks, with fresh secrets, and never changes what is there."""

from __future__ import annotations

from pathlib import Path

from dotenv import dotenv_values

from bot.envfile import complete_env
from bot.storage.crypto import Cipher


def test_missing_settings_are_added_with_fresh_secrets_and_nothing_is_overwritten(tmp_path: Path) -> None:
    example = tmp_path / ".env.example"
    example.write_text("RASA_TOKEN=change-me\nWEB_PORT=8000\nDATA_ENCRYPTION_KEYS=\nREFERRAL_RETENTION_DAYS=365\n")
    env = tmp_path / ".env"
    env.write_text("RASA_TOKEN=kept-token\nWEB_PORT=9000\n")

    added = complete_env(env, example)

    values = dotenv_values(env)
    assert sorted(added) == ["DATA_ENCRYPTION_KEYS", "REFERRAL_RETENTION_DAYS"]
    assert values["RASA_TOKEN"] == "kept-token" and values["WEB_PORT"] == "9000"
    assert values["REFERRAL_RETENTION_DAYS"] == "365"
    Cipher([values["DATA_ENCRYPTION_KEYS"]])  # a usable key, not the example's empty value
    assert env.stat().st_mode & 0o777 == 0o600
    assert complete_env(env, example) == []


def test_an_empty_secret_is_generated_not_left_empty(tmp_path: Path) -> None:
    example = tmp_path / ".env.example"
    example.write_text("RASA_TOKEN=change-me\n")
    env = tmp_path / ".env"
    env.write_text("RASA_TOKEN=\n")
    complete_env(env, example)
    assert len(dotenv_values(env)["RASA_TOKEN"] or "") >= 32
