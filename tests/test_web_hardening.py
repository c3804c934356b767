"""The web service under a hostile or careless client (issue 11, items 7-10), with the fake Rasa server."""

from __future__ import annotations

import pytest
from aiohttp import web

from bot.config import load_settings
from bot.web.app import create_app
from tests.fake_rasa import HANG, FakeRasa

SENDER = "0b6c9d3e-5f7a-4b1c-9d2e-3f4a5b6c7d8e"
OTHER = "1c7d0e4f-6a8b-4c2d-8e3f-4a5b6c7d8e9f"


def app_with(fake_rasa: FakeRasa, **overrides: object) -> web.Application:
    settings = load_settings(env_file=None).copy(update=dict(rasa_url=fake_rasa.url, **overrides))
    app = create_app(settings)

    async def broken(request: web.Request) -> web.Response:
        raise RuntimeError("a bug")

    app.router.add_get("/test-broken", broken)
    return app


async def test_a_rasa_timeout_gives_the_json_503_with_help_not_a_bare_504(aiohttp_client, fake_rasa) -> None:
    client = await aiohttp_client(app_with(fake_rasa, rasa_timeout_seconds=0.5))
    response = await client.post("/api/chat", json={"sender": SENDER, "message": HANG})
    assert response.status == 503
    body = await response.json()
    assert "not lost" in body["error"] and "999" in body["help_now"]


async def test_deeply_nested_json_is_a_400_not_a_500(aiohttp_client, fake_rasa) -> None:
    client = await aiohttp_client(app_with(fake_rasa))
    nested = "[" * 6000 + "]" * 6000
    response = await client.post("/api/chat", data=nested, headers={"Content-Type": "application/json"})
    assert response.status == 400
    assert "not valid JSON" in (await response.json())["error"]
    assert (await client.post("/api/chat", json={"sender": SENDER, "message": "hi"})).status == 200


async def test_one_conversation_sending_too_fast_is_slowed_with_a_clear_429(aiohttp_client, fake_rasa) -> None:
    client = await aiohttp_client(app_with(fake_rasa, chat_rate_per_conversation="3/minute"))
    for _ in range(3):
        assert (await client.post("/api/chat", json={"sender": SENDER, "message": "hi"})).status == 200
    slowed = await client.post("/api/chat", json={"sender": SENDER, "message": "hi"})
    assert slowed.status == 429
    body = await slowed.json()
    assert 1 <= int(slowed.headers["Retry-After"]) <= 60 and body["retry_after"] == int(slowed.headers["Retry-After"])
    assert "still in the box" in body["error"] and "999" in body["help_now"]
    # Another conversation, and the widget's help numbers, are not held up.
    assert (await client.post("/api/chat", json={"sender": OTHER, "message": "hi"})).status == 200
    assert (await client.get("/widget/config.json")).status == 200


async def test_one_address_sending_too_fast_is_slowed_whatever_conversation_it_claims(aiohttp_client, fake_rasa) -> None:
    client = await aiohttp_client(app_with(fake_rasa, chat_rate_per_address="5/minute"))
    statuses = [
        (await client.post("/api/chat", json={"sender": f"sender-{n:04d}-abcdef", "message": "hi"})).status
        for n in range(8)
    ]
    assert statuses == [200] * 5 + [429] * 3


async def test_forwarded_addresses_count_only_behind_a_trusted_proxy(aiohttp_client, fake_rasa) -> None:
    untrusted = await aiohttp_client(app_with(fake_rasa, chat_rate_per_address="2/minute"))
    trusted = await aiohttp_client(app_with(fake_rasa, chat_rate_per_address="2/minute", trusted_proxy_hops=1))
    for client, expected in ((untrusted, [200, 200, 429, 429]), (trusted, [200, 200, 200, 200])):
        statuses = []
        for n in range(4):
            headers = {"X-Forwarded-For": f"203.0.113.{n}"}  # a new "address" every time
            message = {"sender": f"sender-{n:04d}-abcdef", "message": "hi"}
            statuses.append((await client.post("/api/chat", json=message, headers=headers)).status)
        assert statuses == expected


@pytest.mark.parametrize("path", ["/no-such-page", "/api/no-such", "/test-broken", "/healthz", "/static/nothing.css"])
async def test_every_response_has_the_security_headers_and_names_no_versions(aiohttp_client, fake_rasa, path: str) -> None:
    client = await aiohttp_client(app_with(fake_rasa))
    response = await client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    server = response.headers.get("Server", "")
    assert "aiohttp" not in server and "Python" not in server
    assert "Strict-Transport-Security" not in response.headers  # plain http, no proxy trusted


async def test_hsts_only_over_tls_and_only_from_a_trusted_proxy(aiohttp_client, fake_rasa) -> None:
    https = {"X-Forwarded-Proto": "https"}
    trusted = await aiohttp_client(app_with(fake_rasa, trusted_proxy_hops=1))
    untrusted = await aiohttp_client(app_with(fake_rasa))
    assert "max-age=" in (await trusted.get("/healthz", headers=https)).headers["Strict-Transport-Security"]
    assert "Strict-Transport-Security" not in (await untrusted.get("/healthz", headers=https)).headers


async def test_staff_pages_keep_their_stricter_policy(aiohttp_client, fake_rasa) -> None:
    client = await aiohttp_client(app_with(fake_rasa))
    response = await client.get("/staff/login")
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
