"""One settings object: every bad value named at start-up (never a secret), blanks are defaults, `.env` documented."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from dotenv import dotenv_values

from bot.config import PROJECT_ROOT, Settings, SettingsError, load_settings, setting_names
from bot.storage.crypto import generate_key

SECRET = "hunter2-very-secret-value"


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No setting in the environment: each test says exactly what is set."""
    for name in setting_names():
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def problems(env_file: Path | None = None) -> list[str]:
    with pytest.raises(SettingsError) as raised:
        load_settings(env_file)
    return raised.value.problems


def test_the_example_documents_exactly_the_settings_the_model_reads() -> None:
    documented = list(dotenv_values(PROJECT_ROOT / ".env.example"))
    assert sorted(documented) == sorted(setting_names())
    assert len(documented) == len(set(documented))


def test_nothing_set_gives_the_documented_defaults(clean_environment: pytest.MonkeyPatch) -> None:
    settings = load_settings(None)
    example = dotenv_values(PROJECT_ROOT / ".env.example")
    assert settings.rasa_url == example["RASA_URL"] == "http://localhost:5005"
    assert settings.action_port == int(example["ACTION_PORT"] or 0) == 5055
    assert settings.web_port == 8000 and settings.max_message_chars == 1000
    assert settings.chat_rate_per_conversation == example["CHAT_RATE_PER_CONVERSATION"]
    assert settings.referral_retention_days == 365 and settings.trusted_proxy_hops == 0
    assert settings.content_dir == PROJECT_ROOT / "content"
    assert settings.referral_spool_dir == PROJECT_ROOT / "var" / "spool"
    assert settings.staff_cookie_secure == "auto" and settings.widget_allowed_origins == frozenset()


def test_a_process_that_needs_no_key_starts_without_one_and_the_part_that_needs_it_says_so(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    settings = load_settings(None)  # no DATA_ENCRYPTION_KEYS, no STAFF_SESSION_KEY, no secrets at all
    with pytest.raises(SettingsError, match="DATA_ENCRYPTION_KEYS is not set"):
        settings.encryption_keys()


def test_blank_means_the_default_and_the_environment_wins_over_the_env_file(
    clean_environment: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("WEB_PORT=9001\nACTION_PORT=5999\nMAX_MESSAGE_CHARS=\nCONTENT_DIR=elsewhere/content\n")
    clean_environment.setenv("ACTION_PORT", "6001")
    clean_environment.setenv("RASA_TIMEOUT_SECONDS", "   ")
    settings = load_settings(env_file)
    assert settings.web_port == 9001  # from the file
    assert settings.action_port == 6001  # the environment wins
    assert settings.max_message_chars == 1000 and settings.rasa_timeout_seconds == 15.0  # blank: default
    assert settings.content_dir == PROJECT_ROOT / "elsewhere" / "content"  # relative to the project


def test_only_the_exact_upper_case_names_are_read(clean_environment: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("web_port=abc\n")
    clean_environment.setenv("rasa_url", "not a url")
    settings = load_settings(env_file)
    assert settings.web_port == 8000 and settings.rasa_url == "http://localhost:5005"


def test_every_bad_value_is_listed_at_once_each_with_what_is_allowed(clean_environment: pytest.MonkeyPatch) -> None:
    bad = {
        "ACTION_PORT": "abc",
        "WEB_PORT": "99999",
        "RASA_URL": "ftp://rasa.example",
        "RASA_TIMEOUT_SECONDS": "nan",
        "CHAT_RATE_PER_ADDRESS": "0/minute",
        "RATE_LIMIT_STORAGE": "memory://",
        "STAFF_COOKIE_SECURE": "sometimes",
        "STAFF_SESSION_IDLE_MINUTES": "0",
        "TRUSTED_PROXY_HOPS": "-1",
        "WEB_HOST": "http://0.0.0.0",
    }
    for name, value in bad.items():
        clean_environment.setenv(name, value)
    found = problems()
    assert [line.split(":", 1)[0] for line in found] == [name for name in setting_names() if name in bad]
    by_name = {line.split(":", 1)[0]: line for line in found}
    assert by_name["ACTION_PORT"] == "ACTION_PORT: must be a whole number from 1 to 65535; given 'abc'"
    assert "from 1 to 65535; given '99999'" in by_name["WEB_PORT"]
    assert "http:// or https://" in by_name["RASA_URL"]
    assert "seconds above 0" in by_name["RASA_TIMEOUT_SECONDS"]
    assert "30/minute" in by_name["CHAT_RATE_PER_ADDRESS"]
    assert "async+memory://" in by_name["RATE_LIMIT_STORAGE"] and "redis://" in by_name["RATE_LIMIT_STORAGE"]
    assert "one of: auto, always; given 'sometimes'" in by_name["STAFF_COOKIE_SECURE"]
    assert "1 or more" in by_name["STAFF_SESSION_IDLE_MINUTES"]
    assert "no scheme" in by_name["WEB_HOST"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STAFF_SESSION_KEY", SECRET),
        ("DATA_ENCRYPTION_KEYS", f"{generate_key()},{SECRET}"),
        ("DATABASE_URL", f"postgresql://parent_support:{SECRET}@db:not-a-port/parent_support"),
    ],
    ids=["STAFF_SESSION_KEY", "DATA_ENCRYPTION_KEYS", "DATABASE_URL"],  # the same names in every process (a key is random)
)
def test_a_bad_secret_is_named_but_never_shown(clean_environment: pytest.MonkeyPatch, name: str, value: str) -> None:
    clean_environment.setenv(name, value)
    (line,) = problems()
    assert line.startswith(f"{name}: ") and "secret, so it is not shown" in line
    assert SECRET not in line and "hunter2" not in line


def test_which_encryption_key_is_bad_is_said_by_position(clean_environment: pytest.MonkeyPatch) -> None:
    good = generate_key()
    clean_environment.setenv("DATA_ENCRYPTION_KEYS", f"{good}, nope ,{good},")
    (line,) = problems()
    assert "keys 2 and 4 of 4 are not valid Fernet keys" in line and good not in line


def test_odd_and_oversized_values_are_refused_and_shown_safely(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("RASA_HOST", "local\u200bhost")  # a zero-width space inside a name
    clean_environment.setenv("ACTION_SERVER_URL", "http://127.0.0.1:5055/web hook")
    clean_environment.setenv("MAX_MESSAGE_CHARS", "9" * 5000)
    clean_environment.setenv("WIDGET_ALLOWED_ORIGINS", "https://ok.example," + "x" * 10_000)
    by_name = {line.split(":", 1)[0]: line for line in problems()}
    assert set(by_name) == {"RASA_HOST", "ACTION_SERVER_URL", "MAX_MESSAGE_CHARS", "WIDGET_ALLOWED_ORIGINS"}
    assert "\u200b" not in by_name["RASA_HOST"] and "\\u200b" in by_name["RASA_HOST"]  # escaped, visible
    assert all(len(line) < 400 for line in by_name.values())  # a huge value is cut, not echoed whole
    assert "entry 2 of 2 is not a web origin" in by_name["WIDGET_ALLOWED_ORIGINS"]


def test_origins_are_normalised_and_a_single_rate_is_required(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("WIDGET_ALLOWED_ORIGINS", " https://Charity.example/ , https://partner.example:443 ")
    assert load_settings(None).widget_allowed_origins == {"https://charity.example", "https://partner.example"}
    clean_environment.setenv("CHAT_RATE_PER_CONVERSATION", "30/minute;100/hour")  # the limiter would take only one
    assert [line.split(":", 1)[0] for line in problems()] == ["CHAT_RATE_PER_CONVERSATION"]


def test_what_the_services_are_started_with_reads_back_as_the_same_settings(
    clean_environment: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_environment.setenv("DATA_ENCRYPTION_KEYS", f"{generate_key()},{generate_key()}")
    clean_environment.setenv("WIDGET_ALLOWED_ORIGINS", "https://a.example,https://b.example")
    clean_environment.setenv("SERVICE_LOG_DIR", str(tmp_path))
    clean_environment.setenv("RASA_TOKEN", SECRET)
    parent = load_settings(None)
    environment = parent.as_environment()
    assert environment["RASA_TOKEN"] == SECRET  # the child needs the real value
    for name, value in environment.items():
        clean_environment.setenv(name, value)
    assert load_settings(None) == parent


def test_settings_cannot_be_changed_once_read() -> None:
    settings = load_settings(None)
    with pytest.raises(TypeError):
        settings.web_port = 1  # type: ignore[misc]
    assert isinstance(settings, Settings)


@pytest.mark.parametrize(
    "command",
    [[sys.executable, "-m", "bot", "web"], [sys.executable, "-m", "bot.action_server"]],
    ids=["web service", "action server"],
)
def test_a_service_with_bad_settings_stops_at_once_listing_them(command: list[str]) -> None:
    environment = {
        **os.environ,
        "ACTION_PORT": "fifty",
        "WEB_PORT": "-8000",
        "STAFF_SESSION_KEY": SECRET,
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    result = subprocess.run(command, cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "Settings problem (3)" in result.stderr
    for name in ("ACTION_PORT:", "WEB_PORT:", "STAFF_SESSION_KEY:"):
        assert result.stderr.count(name) == 1
    assert SECRET not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
