"""The chat page and its relay to Rasa: bad input gets a clear error, a down assistant is survivable."""

from __future__ import annotations

import json

import pytest

from bot.config import load_settings
from bot.web.app import create_app
from tests.helpers import NO_NODE, run_widget

SENDER = "0b6c9d3e-5f7a-4b1c-9d2e-3f4a5b6c7d8e"


def html_and_an_image(body: dict) -> list[dict]:
    """A reply with markup in its text, a button, and an image the relay must drop."""
    return [
        {
            "recipient_id": body["sender"],
            "text": "<b>Hello</b> there",
            "buttons": [{"title": "Next", "payload": "/topic_next"}],
        },
        {"recipient_id": body["sender"], "image": "http://example.org/x.png"},
    ]


@pytest.fixture
async def client(aiohttp_client, fake_rasa):
    fake_rasa.answer = html_and_an_image
    settings = load_settings(env_file=None).copy(update=dict(rasa_url=fake_rasa.url, max_message_chars=50))
    return await aiohttp_client(create_app(settings))


async def test_chat_relays_to_rasa_and_returns_text_and_buttons_only(client, fake_rasa) -> None:
    response = await client.post("/api/chat", json={"sender": SENDER, "message": "  hello\u0000 "})
    assert response.status == 200
    data = await response.json()
    assert data == {
        "messages": [{"text": "<b>Hello</b> there", "buttons": [{"title": "Next", "payload": "/topic_next"}]}]
    }
    assert fake_rasa.received == [{"sender": SENDER, "message": "hello"}]
    assert response.headers["Cache-Control"] == "no-store"


async def test_odd_unicode_is_normalised_not_rejected(client, fake_rasa) -> None:
    response = await client.post(
        "/api/chat", json={"sender": SENDER, "message": "cafe\u0301 \U0001f494 \u202eabc \ud800"}
    )
    assert response.status == 200
    assert fake_rasa.received[-1]["message"] == "caf\u00e9 \U0001f494 abc \ufffd"


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"not json", 400, "not valid JSON"),
        (b'["a list"]', 400, "JSON object"),
        (b'{"sender": "x", "message": "hi"}', 400, "conversation id"),
        (b'{"sender": "' + SENDER.encode() + b'", "message": 5}', 400, "must be text"),
        (b'{"sender": "' + SENDER.encode() + b'", "message": "   "}', 400, "empty"),
        (b'{"sender": "' + SENDER.encode() + b'", "message": "' + b"a" * 60 + b'"}', 413, "too long"),
    ],
)
async def test_bad_requests_get_a_clear_json_error(client, body: bytes, status: int, words: str) -> None:
    response = await client.post("/api/chat", data=body, headers={"Content-Type": "application/json"})
    assert response.status == status
    assert words in (await response.json())["error"]


async def test_oversized_request_body_is_refused_clearly(client) -> None:
    response = await client.post("/api/chat", data=b"x" * 20_000, headers={"Content-Type": "application/json"})
    assert response.status == 413
    assert "too big" in (await response.json())["error"]


async def test_assistant_down_gives_a_kind_error_with_the_emergency_numbers(aiohttp_client, unused_tcp_port) -> None:
    settings = load_settings(env_file=None).copy(update=dict(rasa_url=f"http://127.0.0.1:{unused_tcp_port}", rasa_timeout_seconds=2))
    client = await aiohttp_client(create_app(settings))
    response = await client.post("/api/chat", json={"sender": SENDER, "message": "hello"})
    assert response.status == 503
    data = await response.json()
    assert "not lost" in data["error"]
    assert "999" in data["help_now"] and "116 123" in data["help_now"]


async def test_page_has_help_now_without_the_server_and_strict_headers(client) -> None:
    response = await client.get("/")
    page = await response.text()
    assert response.status == 200
    assert "not a person" in page and "999" in page and "116 123" in page
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.skipif(NO_NODE, reason="needs Node.js to run the widget (the browser tests run it too)")
def test_widget_script_never_parses_html_or_stores_anything() -> None:
    """widget.js, run in Node with a stand-in DOM whose every HTML and storage entry point is a trap."""
    reply = '<img src=x onerror="alert(1)"> Hello, see www.example.org'
    typed = "<script>alert(2)</script> is my son safe?"
    report = run_widget(reply, typed)
    assert report["error"] is None and report["trapped"] == []  # no innerHTML, eval, cookie, localStorage...
    shown = [(item["kind"], item["text"]) for item in report["shown"]]
    assert ("parent", f"You: {typed}") in shown  # what the parent typed, as typed, never as markup
    assert ("assistant", f"Assistant: {reply} (opens in a new tab)") in shown  # the address became a link
    assert ("button", reply) in shown
    assert all(item["only_text"] for item in report["shown"])
    assert report["help"] == "Call 999 <b>now</b>"  # the help text from the config, as text
    assert {fetch["credentials"] for fetch in report["fetches"]} == {"omit"}  # no cookies sent either
    assert json.loads(report["fetches"][-1]["body"])["message"] == typed
