"""Rasa's own command line, started with three adjustments the project needs (`python -m bot.rasa_server run ...`).

1. No message text in Rasa's logs. Rasa's structured log events can carry what a parent typed (for
   example `rest.message.received.timeout` logs the whole message, and an error in a turn logged the
   message among the traceback's local variables). Rasa runs every such event through its
   `_anonymizer` processor first; ours takes its place, withholds every text value but the event's
   own name, and writes tracebacks without local variables. (Rasa's plugin hook for anonymisation
   is not used: with a pipeline registered, Rasa reloads the conversation once more on every turn.)
2. A cheaper check of each action server reply. Rasa 3.6 checks every reply against its JSON schema
   with `jsonschema.validate`, which first re-checks the schema itself against the meta-schema: about
   14 ms of the Rasa server's single thread per custom action call, more than the rest of a turn. The
   same schema is checked here with a validator built once (about 0.6 ms). A reply the fast check
   rejects goes through Rasa's own check, so the error a bad reply raises is Rasa's, word for word.
3. No long pauses for garbage collection. The loaded model is hundreds of thousands of Python objects;
   a full collection over them took about 350 ms, during which every open conversation waited. Once
   the model is loaded it is moved out of the collector's way with `gc.freeze()` (full collections
   then take under 6 ms).

The settings are checked before Rasa starts (every bad value listed, exit status 2) and given to Rasa
as environment variables, which `endpoints.yml` reads. The HTTP API's token comes from the RASA_TOKEN
setting, not the command line, so that `ps` never shows it.

`bot/runner.py` starts the Rasa server through this module; `tests/test_rasa_server.py` keeps the
adjustments honest against the installed Rasa.
"""

from __future__ import annotations

import functools
import gc
import os
import sys
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jsonschema
import rasa.core.run
import rasa.utils.log_utils
import structlog
from jsonschema.exceptions import best_match
from rasa.core.actions.action import RemoteAction

from bot.endpoints import lock_store_environment

if TYPE_CHECKING:
    from bot.config import Settings

WITHHELD = "[withheld]"
# Keys whose values Rasa fills with its own words or a file name, never with what a parent typed.
SAFE_KEYS = frozenset({"event", "level", "event_key", "event_info", "exc_info", "filename"})


def withhold_message_text(logger: Any, method_name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """A structlog processor: text, lists and objects become "[withheld]"; numbers and flags stay."""
    for key, value in event_dict.items():
        if key not in SAFE_KEYS and not isinstance(value, (bool, int, float, type(None))):
            event_dict[key] = WITHHELD
    if method_name == "exception" and "exc_info" not in event_dict:
        event_dict["exc_info"] = True
    # A plain traceback, rendered now, so that Rasa's renderer never adds the frames' local variables.
    return structlog.processors.format_exc_info(logger, method_name, event_dict)


@functools.lru_cache(maxsize=1)
def action_reply_validator() -> Any:
    """Rasa's action reply schema, checked once, with the validator class `jsonschema.validate` would pick."""
    schema = RemoteAction.action_response_format_spec()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


_rasa_validate_action_result = RemoteAction._validate_action_result


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Rasa's `_validate_action_result`, with the schema check done once instead of on every call."""
    if best_match(action_reply_validator().iter_errors(result)) is None:
        return True
    return _rasa_validate_action_result(self, result)


_rasa_load_agent_on_start = rasa.core.run.load_agent_on_start


async def load_agent_then_freeze(*args: Any, **kwargs: Any) -> Any:
    """Rasa's start-up model load, then the loaded model set aside from the garbage collector's full sweeps."""
    agent = await _rasa_load_agent_on_start(*args, **kwargs)
    gc.collect()
    gc.freeze()
    return agent


# The Rasa these adjustments were written and tested against: each replaces a name of Rasa's own,
# two of them private, so another version must be checked by hand before it is allowed here.
RASA_VERSION = "3.6.21"


@dataclass(frozen=True)
class Patch:
    owner: Any  # a module or a class of Rasa's
    name: str
    replacement: Callable[..., Any]
    why: str


PATCHES = (
    # configure_structlog() looks the processor up by name when Rasa's command line calls it.
    Patch(rasa.utils.log_utils, "_anonymizer", withhold_message_text, "no message text in Rasa's logs"),
    Patch(RemoteAction, "_validate_action_result", validate_action_result, "action replies checked cheaply"),
    # serve_application() looks this up by name when it registers its start-up listener.
    Patch(rasa.core.run, "load_agent_on_start", load_agent_then_freeze, "the loaded model out of full collections"),
)
_originals: dict[tuple[int, str], Any] = {}


class UnexpectedRasa(RuntimeError):
    """The installed Rasa is not the one the adjustments were written for, or lacks a name they replace."""


def check_rasa(version: str | None = None) -> None:
    """Fail loudly, before anything is replaced, where the installed Rasa is not what the patches expect."""
    import rasa

    found = version or rasa.__version__
    if found != RASA_VERSION:
        raise UnexpectedRasa(
            f"bot/rasa_server.py adjusts Rasa {RASA_VERSION}, but Rasa {found} is installed: check each patch "
            "against the new version's code, then change RASA_VERSION"
        )
    for patch in PATCHES:
        current = _originals.get((id(patch.owner), patch.name), getattr(patch.owner, patch.name, None))
        if not callable(current):
            raise UnexpectedRasa(f"Rasa {found} has no {patch.owner.__name__}.{patch.name} to replace ({patch.why})")


def install() -> None:
    """Puts the adjustments in place in this process (idempotent), after checking that Rasa has what they replace."""
    check_rasa()
    for patch in PATCHES:
        key = (id(patch.owner), patch.name)
        _originals.setdefault(key, getattr(patch.owner, patch.name))
        setattr(patch.owner, patch.name, patch.replacement)


def uninstall() -> None:
    """Rasa's own names back (for tests)."""
    for patch in PATCHES:
        original = _originals.pop((id(patch.owner), patch.name), None)
        if original is not None:
            setattr(patch.owner, patch.name, original)


def with_token_from_environment(argv: list[str]) -> list[str]:
    """`argv` with `--auth-token` taken from the RASA_TOKEN setting, so the token never shows in the process list."""
    from bot.config import get_settings

    token = get_settings().rasa_token.get_secret_value()
    given = "--auth-token" in argv or "-t" in argv
    if len(argv) > 1 and argv[1] == "run" and "--enable-api" in argv and not token and not given:
        raise SystemExit("RASA_TOKEN is empty: the Rasa server's HTTP API must never run without a token (make setup makes one).")
    if len(argv) > 1 and argv[1] == "run" and token and not given:
        return [*argv, "--auth-token", token]
    return argv


def endpoint_environment(environment: MutableMapping[str, str], settings: Settings, database: str) -> None:
    """Put in `environment` what endpoints.yml reads, where it is missing or blank.

    A blank setting means its default, as bot.config reads it, and endpoints.yml must see that default: a
    systemd EnvironmentFile line `DATABASE_URL=` left Rasa with an empty tracker store URL (it fell back
    to keeping conversations in memory, so a restart or another replica lost them).
    """
    derived = {"DATABASE_URL": database, **lock_store_environment(settings.lock_store_url.get_secret_value())}
    for name, value in {**settings.as_environment(), **derived}.items():
        if not environment.get(name, "").strip():
            environment[name] = value


def main() -> None:
    from bot.config import settings_or_exit
    from bot.storage.config import database_url

    # endpoints.yml reads ACTION_SERVER_URL, ACTION_SERVER_SECRET, DATABASE_URL and the LOCK_STORE_* names
    # from the environment.
    endpoint_environment(os.environ, settings_or_exit(), database_url())
    install()
    from rasa.__main__ import main as rasa_main

    sys.argv = with_token_from_environment(["rasa", *sys.argv[1:]])
    rasa_main()


if __name__ == "__main__":
    main()
