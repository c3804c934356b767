"""The Rasa server's adjustments (bot/rasa_server.py) hold against the installed Rasa.

bot.rasa_server imports Rasa's core, and with it TensorFlow (seconds): it is imported by the fixture, when
a test runs, so that `make test-fast` (which leaves the `model` tests out) never pays for it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from types import ModuleType
from typing import Any
from unittest import mock

import jsonschema
import pytest
from rasa_sdk.events import ActiveLoop, SlotSet

from bot.config import PROJECT_ROOT, get_settings, load_settings
from bot.runner import services

pytestmark = pytest.mark.model

SECRET = "my son is at Darren's flat on Mill Lane"


@pytest.fixture(autouse=True)
def rasa_server() -> Iterator[ModuleType]:
    """bot.rasa_server. Every test starts and ends with Rasa's own names: a patch left behind would leak into others."""
    from bot import rasa_server as module

    module.uninstall()
    yield module
    module.uninstall()


@pytest.fixture()
def remote_action(rasa_server: ModuleType) -> Any:
    from rasa.core.actions.action import RemoteAction

    rasa_server.install()
    return RemoteAction("action_topic_next", None)


async def test_rasas_own_call_path_uses_the_cheap_check(aiohttp_server, rasa_server: ModuleType) -> None:
    """RemoteAction.run, as the Rasa server calls it, against an action server: the schema is never re-checked."""
    from aiohttp import web
    from rasa.core.actions.action import RemoteAction
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    async def webhook(request: web.Request) -> web.Response:
        return web.json_response({"events": [{"event": "slot", "name": "area", "value": None}], "responses": []})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    server = await aiohttp_server(app)
    rasa_server.install()
    action = RemoteAction("action_topic_next", EndpointConfig(str(server.make_url("/webhook"))))
    validator_class = type(rasa_server.action_reply_validator())
    with mock.patch.object(validator_class, "check_schema", wraps=validator_class.check_schema) as check_schema:
        tracker = DialogueStateTracker("sender", [])
        events = await action.run(CollectingOutputChannel(), TemplatedNaturalLanguageGenerator({}), tracker, Domain.empty())
    assert [event.key for event in events] == ["area"]
    assert check_schema.call_count == 0


def test_another_rasa_version_stops_the_server_before_anything_is_replaced(rasa_server: ModuleType) -> None:
    from rasa.core.actions.action import RemoteAction

    with pytest.raises(rasa_server.UnexpectedRasa, match="Rasa 3.7.0 is installed"):
        rasa_server.check_rasa("3.7.0")
    assert RemoteAction._validate_action_result is not rasa_server.validate_action_result


def test_a_name_missing_from_rasa_stops_the_server(monkeypatch: pytest.MonkeyPatch, rasa_server: ModuleType) -> None:
    import rasa.core.run

    monkeypatch.delattr(rasa.core.run, "load_agent_on_start")
    with pytest.raises(rasa_server.UnexpectedRasa, match="load_agent_on_start"):
        rasa_server.install()


def test_uninstall_gives_rasas_own_names_back(rasa_server: ModuleType) -> None:
    from rasa.core.actions.action import RemoteAction

    original = RemoteAction._validate_action_result
    rasa_server.install()
    assert RemoteAction._validate_action_result is rasa_server.validate_action_result
    rasa_server.uninstall()
    assert RemoteAction._validate_action_result is original


def test_the_token_reaches_rasa_from_the_environment_not_the_command_line(
    monkeypatch: pytest.MonkeyPatch, rasa_server: ModuleType
) -> None:
    monkeypatch.setenv("RASA_TOKEN", "s3cret-token")
    rasa = next(service for service in services(load_settings()) if service.name == "Rasa server")
    assert "s3cret-token" not in rasa.command and "--auth-token" not in rasa.command
    argv = rasa_server.with_token_from_environment(["rasa", "run", "--enable-api"])
    assert argv[-2:] == ["--auth-token", "s3cret-token"]


def test_the_http_api_is_never_opened_without_a_token(monkeypatch: pytest.MonkeyPatch, rasa_server: ModuleType) -> None:
    monkeypatch.setenv("RASA_TOKEN", "")
    get_settings.cache_clear()
    with pytest.raises(SystemExit) as refusal:
        rasa_server.with_token_from_environment(["rasa", "run", "--enable-api"])
    assert "RASA_TOKEN is empty" in str(refusal.value)
    assert rasa_server.with_token_from_environment(["rasa", "run"]) == ["rasa", "run"]  # no API: nothing to guard


def test_a_blank_database_url_gives_rasa_the_default_database_not_an_empty_one(
    monkeypatch: pytest.MonkeyPatch, rasa_server: ModuleType
) -> None:
    """systemd's EnvironmentFile sets `DATABASE_URL=` as blank; blank means the default, for endpoints.yml too
    (with an empty URL Rasa kept conversations in memory, and a restart lost them)."""
    monkeypatch.delenv("LOCK_STORE_URL", raising=False)
    default = "sqlite:////srv/var/parent_support.db"
    environment = {"DATABASE_URL": "", "LOCK_STORE_TYPE": " ", "ACTION_SERVER_URL": "http://127.0.0.1:5999/webhook"}
    rasa_server.endpoint_environment(environment, load_settings(env_file=None), default)
    assert environment["DATABASE_URL"] == default
    assert environment["LOCK_STORE_TYPE"] == "in_memory"
    assert environment["ACTION_SERVER_URL"] == "http://127.0.0.1:5999/webhook"  # what the environment says stays
    chosen = {"DATABASE_URL": "postgresql+psycopg2://u@db:5432/p"}
    rasa_server.endpoint_environment(chosen, load_settings(env_file=None), default)
    assert chosen["DATABASE_URL"] == "postgresql+psycopg2://u@db:5432/p"


def a_reply() -> dict:
    return {
        "events": [SlotSet("requested_slot", "area"), ActiveLoop("referral_form"), SlotSet("area", None)],
        "responses": [{"text": "Which council area?", "buttons": [{"title": "Skip", "payload": "/skip"}]}],
    }


def test_a_good_action_reply_passes_without_rechecking_the_schema(remote_action: Any, rasa_server: ModuleType) -> None:
    validator_class = type(rasa_server.action_reply_validator())
    with mock.patch.object(validator_class, "check_schema", wraps=validator_class.check_schema) as check_schema:
        for _ in range(20):
            assert remote_action._validate_action_result(a_reply()) is True
    assert check_schema.call_count == 0  # Rasa's own check re-checks the schema on every call


@pytest.mark.parametrize(
    "bad_reply",
    [
        {"events": "not a list", "responses": []},
        {"events": [{"name": "area", "value": "Leeds"}], "responses": []},  # an event without its type
        {"events": [], "responses": ["plain text instead of a response"]},
    ],
)
def test_a_bad_action_reply_raises_rasas_own_error(remote_action: Any, bad_reply: dict) -> None:
    with pytest.raises(jsonschema.ValidationError) as raised:
        remote_action._validate_action_result(bad_reply)
    assert "Failed to validate Action server response" in raised.value.message


def test_the_rasa_server_is_started_through_the_adjusting_module() -> None:
    rasa = next(service for service in services(load_settings()) if service.name == "Rasa server")
    assert rasa.command[1:4] == ["-m", "bot.rasa_server", "run"]


def test_rasa_logs_withhold_what_a_parent_typed_even_in_a_traceback() -> None:
    # A fresh interpreter, because Rasa configures structlog for the whole process.
    script = textwrap.dedent(
        f"""
        import structlog
        from bot import rasa_server
        rasa_server.install()
        from rasa.utils.log_utils import configure_structlog
        configure_structlog(20)
        log = structlog.get_logger()
        log.error("rest.message.received.timeout", text={SECRET!r})
        def handle(text):
            raise ValueError("the turn failed")
        try:
            handle({SECRET!r})
        except ValueError:
            log.exception("rest.message.received.failure", text={SECRET!r}, turns=3)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    logged = result.stdout + result.stderr
    assert "rest.message.received.timeout" in logged and "rest.message.received.failure" in logged
    assert "ValueError: the turn failed" in logged  # the traceback itself is still there to debug with
    assert '"turns": 3' in logged  # numbers are kept
    assert "Darren" not in logged and "Mill Lane" not in logged


def test_the_loaded_model_is_set_aside_from_full_garbage_collections(
    monkeypatch: pytest.MonkeyPatch, rasa_server: ModuleType
) -> None:
    # A full sweep over the loaded model stalled every open conversation for about 350 ms under load.
    import asyncio
    import gc

    import rasa.core.run

    loaded = object()

    async def rasa_load(*args: object) -> object:
        return loaded

    monkeypatch.setattr(rasa_server, "_rasa_load_agent_on_start", rasa_load)
    rasa_server.install()
    assert rasa.core.run.load_agent_on_start is rasa_server.load_agent_then_freeze
    try:
        assert asyncio.run(rasa.core.run.load_agent_on_start("model", None, None, None, None)) is loaded
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
