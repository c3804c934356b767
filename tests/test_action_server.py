"""The action server's own edges (bot/action_server.py), without a Rasa server; the stack tests call it for real."""

from __future__ import annotations

import json
import zlib
from types import SimpleNamespace

import pytest

from bot.action_server import MAX_REQUEST_BYTES, BadActionCall, create_app, read_action_call, where_it_failed

CALL = {"next_action": "action_show_menu", "tracker": {"sender_id": "x", "events": []}, "domain": {}}


def incoming(body: bytes, **headers: str) -> SimpleNamespace:
    return SimpleNamespace(body=body, headers=headers)


def test_a_plain_and_a_compressed_action_call_are_read() -> None:
    body = json.dumps(CALL).encode()
    assert read_action_call(incoming(body)) == CALL
    assert read_action_call(incoming(zlib.compress(body), **{"Content-Encoding": "deflate"})) == CALL


@pytest.mark.parametrize(
    ("body", "headers", "why"),
    [
        (b"not json", {}, "not valid JSON"),
        (b"[" * 50_000 + b"]" * 50_000, {}, "not valid JSON"),
        (json.dumps({"tracker": {}}).encode(), {}, "names no action"),
        (json.dumps({"next_action": ["a"], "tracker": {}}).encode(), {}, "names no action"),
        (json.dumps({"next_action": "action_show_menu", "tracker": "x"}).encode(), {}, "no tracker"),
        (b"\x00\x01 not deflate", {"Content-Encoding": "deflate"}, "not valid deflate"),
        (zlib.compress(b" " * (MAX_REQUEST_BYTES + 10)), {"Content-Encoding": "deflate"}, "too large"),
    ],
    ids=["garbage", "nested", "no action", "action not text", "tracker not an object", "bad deflate", "deflate bomb"],
)
def test_a_bad_body_is_refused_with_the_reason(body: bytes, headers: dict[str, str], why: str) -> None:
    with pytest.raises(BadActionCall, match=why):
        read_action_call(incoming(body, **headers))


def test_the_log_line_for_a_failure_names_a_place_not_a_value() -> None:
    def fails(name: str) -> None:
        raise KeyError(name)

    try:
        fails("Quentin Marchbanks")
    except KeyError as exc:
        place = where_it_failed(exc)
    assert place.startswith("test_action_server.py:") and "Quentin" not in place


def test_the_action_server_will_not_start_without_a_secret() -> None:
    with pytest.raises(SystemExit, match="ACTION_SERVER_SECRET"):
        create_app("")
