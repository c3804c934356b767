"""Configuration read from the environment, with `.env` loaded first (python-dotenv)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dotenv import load_dotenv

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    content_dir: Path
    rasa_url: str
    rasa_token: str
    action_port: int
    web_host: str
    web_port: int
    max_message_chars: int
    rasa_timeout_seconds: float


def load_settings() -> Settings:
    """Read settings; values already in the environment win over `.env`."""
    load_dotenv(PROJECT_ROOT / ".env", override=False)
    return Settings(
        content_dir=Path(os.environ.get("CONTENT_DIR", PROJECT_ROOT / "content")),
        rasa_url=os.environ.get("RASA_URL", "http://localhost:5005").rstrip("/"),
        rasa_token=os.environ.get("RASA_TOKEN", ""),
        action_port=int(os.environ.get("ACTION_PORT", "5055")),
        web_host=os.environ.get("WEB_HOST", "127.0.0.1"),
        web_port=int(os.environ.get("WEB_PORT", "8000")),
        max_message_chars=int(os.environ.get("MAX_MESSAGE_CHARS", "1000")),
        rasa_timeout_seconds=float(os.environ.get("RASA_TIMEOUT_SECONDS", "15")),
    )
