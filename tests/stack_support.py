"""The three services started for a test module, as `make run` starts them, on ports of its own, and
talking to them over HTTP as the widget does."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from bot.config import load_settings
from bot.runner import Service, start_all, stop


def ports(n: int) -> dict[str, str]:
    """Rasa on 5n05, the action server on 5n55, the web service on 8n05 (one n per test module)."""
    return {
        "RASA_URL": f"http://localhost:5{n}05",
        "ACTION_PORT": f"5{n}55",
        "WEB_PORT": f"8{n}05",
        "ACTION_SERVER_URL": f"http://127.0.0.1:5{n}55/webhook",
    }


@contextmanager
def running_stack(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> Iterator[list[Service]]:
    """The services with a fresh SQLite database and spool folder (unless `env` names others); the
    environment is put back afterwards."""
    defaults = {
        "DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('stack-db') / 'parent_support.db'}",
        "REFERRAL_SPOOL_DIR": str(tmp_path_factory.mktemp("stack-spool")),
        # Every test message comes from one address: the module that tests the limits sets its own.
        "CHAT_RATE_PER_ADDRESS": "100000/minute",
        "CHAT_RATE_PER_CONVERSATION": "100000/minute",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {**defaults, **env}.items():
            patch.setenv(name, value)
        running = start_all(load_settings())
        try:
            yield running
        finally:
            stop(running)


def post(url: str, body: dict, headers: dict | None = None) -> tuple[int, dict]:
    """POST JSON; (status, the JSON answer), error statuses included."""
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def texts(messages: list[dict]) -> str:
    return "\n".join(m["text"] for m in messages)


def start_referral(chat: Callable[[str, str], list[dict]], sender: str) -> None:
    """Ask for the team to get in touch, in the parent's words, and check the consent step came."""
    consent = texts(chat("could someone from your team phone me please", sender))
    assert "not an emergency service" in consent and "12 months" in consent
