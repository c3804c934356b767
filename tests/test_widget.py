"""The widget's server side: its files, the help-now config from content, CORS for the charity's sites only."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.config import PROJECT_ROOT, SettingsError, load_settings, normalise_origin
from bot.content.store import ContentStore
from bot.web.app import create_app
from bot.web.widget.helpnow import Call, help_now
from tests.helpers import NO_NODE, run_widget

SENDER = "0b6c9d3e5f7a4b1c9d2e3f4a5b6c7d8e"
CHARITY = "https://www.charity.example"


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(PROJECT_ROOT / "content", tmp_path / "content"))


@pytest.fixture
async def client(aiohttp_client, fake_rasa, content_copy: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("WIDGET_ALLOWED_ORIGINS", f"{CHARITY}/, https://Partner.example:443")
    settings = load_settings(env_file=None).copy(
        update=dict(rasa_url=fake_rasa.url, content_dir=content_copy, max_message_chars=700)
    )
    return await aiohttp_client(create_app(settings))


async def test_config_gives_help_now_from_the_content_files(client) -> None:
    response = await client.get("/widget/config.json")
    assert response.status == 200
    config = await response.json()
    text = config["help_now"]["text"]
    assert "999" in text and "116 123" in text and "{{" not in text
    calls = config["help_now"]["calls"]
    assert {"label": "Emergency services: call 999", "tel": "999"} in calls
    assert {"label": "Samaritans: call 116 123", "tel": "116123"} in calls
    assert config["max_message_chars"] == 700
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


async def test_a_changed_number_in_services_reaches_the_widget_without_a_restart(client, content_copy: Path) -> None:
    path = content_copy / "services.yml"
    services = yaml.safe_load(path.read_text())
    samaritans = next(s for s in services["services"] if s["id"] == "samaritans")
    samaritans["phone"] = "116 999"
    path.write_text(yaml.safe_dump(services, sort_keys=False))
    config = await (await client.get("/widget/config.json")).json()
    assert "116 999" in config["help_now"]["text"] and "116 123" not in config["help_now"]["text"]
    assert {"label": "Samaritans: call 116 999", "tel": "116999"} in config["help_now"]["calls"]


@pytest.mark.skipif(NO_NODE, reason="needs Node.js to run the widget (the browser tests run it too)")
@pytest.mark.parametrize("config", ["none", "down"], ids=["config without help", "no config at all"])
def test_no_content_means_no_help_text_so_the_widget_falls_back_to_999(tmp_path: Path, config: str) -> None:
    assert help_now(ContentStore(tmp_path)).text == ""
    report = run_widget("Hello", "hi", config_help=config)
    assert report["error"] is None
    assert report["help"] == "If anyone is in danger right now, call 999."
    assert report["calls"] == [["Emergency services: call 999", "tel:999"]]


def test_one_phone_link_per_number_named_in_the_message() -> None:
    calls = help_now(ContentStore(PROJECT_ROOT / "content")).calls
    assert len(calls) == len(set(calls))
    assert calls[0] == Call("Emergency services: call 999", "999")
    assert all(call.tel.isdigit() for call in calls)


@pytest.mark.parametrize(
    ("path", "content_type", "words"),
    [
        ("/widget/widget.js", "text/javascript", "Exit this page"),
        ("/widget/widget.css", "text/css", "prefers-reduced-motion"),
    ],
)
async def test_widget_files_are_served_with_the_strict_headers(
    client, path: str, content_type: str, words: str
) -> None:
    response = await client.get(path)
    assert response.status == 200
    assert response.headers["Content-Type"].startswith(content_type)
    assert words in await response.text()
    assert response.headers["Cache-Control"] == "no-store"  # no copy left in the browser's cache
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in response.headers


async def test_demo_page_embeds_the_widget_with_one_script_tag(client) -> None:
    response = await client.get("/")
    page = await response.text()
    assert page.count("<script") == 1  # the example tag shown to the website team is escaped text
    assert '<script src="/widget/widget.js" defer' in page and 'data-exit-url="https://www.bbc.co.uk/weather"' in page
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "Set-Cookie" not in response.headers


async def test_an_allowed_site_may_use_the_relay_and_the_widget_files(client) -> None:
    for path in ("/widget/widget.js", "/widget/widget.css", "/widget/config.json", "/api/status"):
        response = await client.get(path, headers={"Origin": CHARITY})
        assert response.headers.get("Access-Control-Allow-Origin") == CHARITY, path
        assert "Origin" in response.headers.getall("Vary", [])
    preflight = await client.options(
        "/api/chat",
        headers={
            "Origin": CHARITY,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == CHARITY
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Allow-Headers"].lower() == "content-type"
    assert "Access-Control-Allow-Credentials" not in preflight.headers
    response = await client.post("/api/chat", json={"sender": SENDER, "message": "hi"}, headers={"Origin": CHARITY})
    assert response.status == 200 and response.headers["Access-Control-Allow-Origin"] == CHARITY
    # an error is readable too, so the widget can show it
    response = await client.post("/api/chat", json={"sender": "x", "message": "hi"}, headers={"Origin": CHARITY})
    assert response.status == 400 and response.headers["Access-Control-Allow-Origin"] == CHARITY


async def test_the_origin_list_is_normalised(client) -> None:
    response = await client.get("/widget/config.json", headers={"Origin": "https://partner.example"})
    assert response.headers.get("Access-Control-Allow-Origin") == "https://partner.example"


@pytest.mark.parametrize("origin", ["https://evil.example", "http://www.charity.example", "null"])
async def test_any_other_site_is_refused(client, origin: str) -> None:
    response = await client.get("/widget/config.json", headers={"Origin": origin})
    assert "Access-Control-Allow-Origin" not in response.headers
    preflight = await client.options("/api/chat", headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
    assert preflight.status == 403 and "Access-Control-Allow-Origin" not in preflight.headers
    # a "simple" cross-site POST skips the preflight: the relay refuses it without passing it on
    response = await client.post(
        "/api/chat",
        data=f'{{"sender": "{SENDER}", "message": "hi"}}',
        headers={"Origin": origin, "Content-Type": "text/plain"},
    )
    assert response.status == 403


async def test_a_preflight_asking_for_more_than_json_is_refused(client) -> None:
    preflight = await client.options(
        "/api/chat",
        headers={
            "Origin": CHARITY,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, authorization",
        },
    )
    assert preflight.status == 403


async def test_same_origin_pages_need_no_listing(aiohttp_client, fake_rasa, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WIDGET_ALLOWED_ORIGINS", raising=False)
    settings = load_settings(env_file=None).copy(update=dict(rasa_url=fake_rasa.url))
    client = await aiohttp_client(create_app(settings))
    own = f"http://{client.server.host}:{client.server.port}"
    response = await client.post("/api/chat", json={"sender": SENDER, "message": "hi"}, headers={"Origin": own})
    assert response.status == 200
    assert "Access-Control-Allow-Origin" not in response.headers  # same origin: the browser needs none
    response = await client.get("/widget/config.json", headers={"Origin": CHARITY})
    assert "Access-Control-Allow-Origin" not in response.headers  # default: no other site


async def test_status_says_whether_the_assistant_answers(client, aiohttp_client, unused_tcp_port) -> None:
    assert (await client.get("/api/status")).status == 200
    settings = load_settings(env_file=None).copy(update=dict(rasa_url=f"http://127.0.0.1:{unused_tcp_port}"))
    down = await aiohttp_client(create_app(settings))
    response = await down.get("/api/status")
    assert response.status == 503 and (await response.json())["assistant"] == "unreachable"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://Example.org/", "https://example.org"),
        ("https://example.org:443", "https://example.org"),
        ("http://localhost:8000", "http://localhost:8000"),
        ("https://example.org/page", None),
        ("ftp://example.org", None),
        ("example.org", None),
        ("null", None),
    ],
)
def test_normalise_origin(raw: str, expected: str | None) -> None:
    assert normalise_origin(raw) == expected


def test_empty_setting_means_no_other_site(monkeypatch: pytest.MonkeyPatch) -> None:
    for empty in ("", " , "):
        monkeypatch.setenv("WIDGET_ALLOWED_ORIGINS", empty)
        assert load_settings(env_file=None).widget_allowed_origins == frozenset()


def test_an_entry_that_is_not_an_origin_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIDGET_ALLOWED_ORIGINS", f"{CHARITY}, www.partner.example/page")
    with pytest.raises(SettingsError, match="WIDGET_ALLOWED_ORIGINS: entry 2 of 2 is not a web origin"):
        load_settings(env_file=None)


async def test_the_grouped_menu_reaches_the_widget_and_a_group_button_reaches_rasa_unchanged(
    aiohttp_client, fake_rasa, content_copy: Path
) -> None:
    """The widget shows whatever buttons arrive; the relay must pass the group buttons and their payloads through."""
    from bot import conversation

    content = ContentStore(content_copy).get()

    def the_menu(body: dict) -> list[dict]:
        group = body["message"].partition('"group":"')[2].rstrip('"}') or None
        shown = conversation.show_menu(content, group).messages[0]
        return [{"recipient_id": body["sender"], "text": shown.text, "buttons": shown.buttons}]

    fake_rasa.answer = the_menu
    settings = load_settings(env_file=None).copy(update=dict(rasa_url=fake_rasa.url, content_dir=content_copy))
    client = await aiohttp_client(create_app(settings))
    own = {"Origin": f"http://{client.server.host}:{client.server.port}"}

    first = await (await client.post("/api/chat", json={"sender": SENDER, "message": "/menu"}, headers=own)).json()
    buttons = first["messages"][0]["buttons"]
    assert [b["title"] for b in buttons] == [g.title for g in content.menu_groups] + ["Talk to someone", "I need help now"]
    press = buttons[1]["payload"]
    page = await (await client.post("/api/chat", json={"sender": SENDER, "message": press}, headers=own)).json()
    assert [body["message"] for body in fake_rasa.received] == ["/menu", press]
    group = content.menu_groups[1]
    assert [b["title"] for b in page["messages"][0]["buttons"]][: len(group.topics)] == [
        content.topics[t].title for t in group.topics
    ]
