"""The real stack: trained Rasa server, action server and web service, started as `make run` does."""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bot.config import PROJECT_ROOT, load_settings
from bot.runner import Service, start_all, stop
from bot.training import MODEL_PATH

pytestmark = pytest.mark.skipif(
    not MODEL_PATH.exists(), reason="needs a trained model: run `make train` (make test does)"
)

PORTS = {
    "RASA_URL": "http://localhost:5105",
    "ACTION_PORT": "5155",
    "WEB_PORT": "8105",
    "ACTION_SERVER_URL": "http://localhost:5155/webhook",
}
SENDER = "stack-test-0001"


def post(url: str, body: dict, headers: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def get_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture(scope="module")
def content_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(shutil.copytree(PROJECT_ROOT / "content", tmp_path_factory.mktemp("live") / "content"))


@pytest.fixture(scope="module")
def stack(content_copy: Path) -> Iterator[list[Service]]:
    saved = {key: os.environ.get(key) for key in [*PORTS, "CONTENT_DIR"]}
    os.environ.update(PORTS, CONTENT_DIR=str(content_copy))
    running = start_all(load_settings())
    yield running
    stop(running)
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def chat(message: str, sender: str = SENDER) -> list[dict]:
    status, body = post("http://localhost:8105/api/chat", {"sender": sender, "message": message})
    assert status == 200, body
    return body["messages"]


def texts(messages: list[dict]) -> str:
    return "\n".join(m["text"] for m in messages)


def test_welcome_through_the_web_service(stack) -> None:
    reply = chat("hello")
    assert "not a person" in texts(reply) and "999" in texts(reply)
    assert len(reply[0]["buttons"]) >= 16


def test_a_topic_in_the_parents_words_then_next(stack) -> None:
    first = texts(chat("what are the signs that my son is being groomed or exploited, he has a new phone"))
    second = texts(chat("/topic_next"))
    assert first and second and first != second


def test_rasa_http_api_needs_the_token(stack) -> None:
    settings = load_settings()
    assert get_status("http://localhost:5105/status") == 401
    assert get_status(f"http://localhost:5105/status?token={settings.rasa_token}") == 200


def test_rest_and_socketio_channels_are_open(stack) -> None:
    status, body = post("http://localhost:5105/webhooks/rest/webhook", {"sender": "rest-check", "message": "/help_now"})
    assert status == 200 and "999" in texts(body)
    assert get_status("http://localhost:5105/socket.io/?EIO=4&transport=polling") == 200


def test_an_edited_content_file_is_live_within_two_seconds(stack, content_copy: Path) -> None:
    path = content_copy / "topics" / "court.yml"
    original = path.read_text()
    marker = "This sentence was just added by an editor."
    edited = yaml.safe_load(original)
    edited["steps"][0]["text"] = marker + " " + edited["steps"][0]["text"]
    path.write_text(yaml.safe_dump(edited, sort_keys=False))
    edited_at = time.monotonic()
    try:
        while marker not in texts(chat('/open_topic{"topic":"court"}', sender="editor-check")):
            assert time.monotonic() - edited_at < 2.0, "edit not live within 2 s"
            time.sleep(0.1)
    finally:
        path.write_text(original)


def test_help_now_works_with_the_action_server_down(stack) -> None:
    action_server = next(s for s in stack if s.name == "action server")
    os.killpg(action_server.process.pid, signal.SIGTERM)
    action_server.process.wait(timeout=15)
    reply = texts(chat("/help_now", sender="no-actions"))
    assert "999" in reply and "116 123" in reply
