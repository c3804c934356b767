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
    rasa_host: str
    action_host: str
    action_port: int
    action_server_secret: str
    web_host: str
    web_port: int
    max_message_chars: int
    rasa_timeout_seconds: float
    trusted_proxy_hops: int = 0
    chat_rate_per_address: str = "240/minute"
    chat_rate_per_conversation: str = "30/minute"
    rate_limit_storage: str = "async+memory://"
    web_head_timeout_seconds: float = 10.0
    web_body_timeout_seconds: float = 10.0
    web_keepalive_seconds: float = 15.0


def load_settings() -> Settings:
    """Read settings; values already in the environment win over `.env`."""
    load_dotenv(PROJECT_ROOT / ".env", override=False)
    return Settings(
        content_dir=Path(os.environ.get("CONTENT_DIR", PROJECT_ROOT / "content")),
        rasa_url=os.environ.get("RASA_URL", "http://localhost:5005").rstrip("/"),
        rasa_token=os.environ.get("RASA_TOKEN", ""),
        # The Rasa server and the action server listen on loopback: only the web service faces the world.
        rasa_host=os.environ.get("RASA_HOST", "127.0.0.1"),
        action_host=os.environ.get("ACTION_HOST", "127.0.0.1"),
        action_port=int(os.environ.get("ACTION_PORT", "5055")),
        action_server_secret=os.environ.get("ACTION_SERVER_SECRET", ""),
        web_host=os.environ.get("WEB_HOST", "127.0.0.1"),
        web_port=int(os.environ.get("WEB_PORT", "8000")),
        max_message_chars=int(os.environ.get("MAX_MESSAGE_CHARS", "1000")),
        rasa_timeout_seconds=float(os.environ.get("RASA_TIMEOUT_SECONDS", "15")),
        trusted_proxy_hops=max(0, int(os.environ.get("TRUSTED_PROXY_HOPS") or 0)),
        chat_rate_per_address=os.environ.get("CHAT_RATE_PER_ADDRESS") or "240/minute",
        chat_rate_per_conversation=os.environ.get("CHAT_RATE_PER_CONVERSATION") or "30/minute",
        rate_limit_storage=os.environ.get("RATE_LIMIT_STORAGE") or "async+memory://",
        web_head_timeout_seconds=float(os.environ.get("WEB_HEAD_TIMEOUT_SECONDS") or 10),
        web_body_timeout_seconds=float(os.environ.get("WEB_BODY_TIMEOUT_SECONDS") or 10),
        web_keepalive_seconds=float(os.environ.get("WEB_KEEPALIVE_SECONDS") or 15),
    )
