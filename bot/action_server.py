"""The action server: rasa-sdk's action executor behind a small Sanic app of our own.

rasa-sdk's own endpoint listens on every interface, takes any caller, and answers a failing action
with the whole request (the conversation tracker) in its error body, which the Rasa server then
logs. This app keeps rasa-sdk's executor (what runs the actions) and changes the edges:

- it listens on loopback unless `ACTION_HOST` says otherwise;
- every call but the health check must carry the shared secret (`ACTION_SERVER_SECRET`) that the
  Rasa server sends as a header (endpoints.yml); anything else gets 403 before it is read;
- an action that fails answers with a plain apology and the emergency numbers (`utter_action_failed`),
  and the log names the action and the error type only, never the tracker or the request body.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import traceback
import zlib
from typing import Any

from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Action-Secret"  # noqa: S105 (a header name, not a secret)
FAILED_RESPONSE = "utter_action_failed"  # a plain domain response: works whatever broke here
# A long conversation's tracker is a few hundred kilobytes; nothing legitimate comes near this.
MAX_REQUEST_BYTES = 16 * 1024 * 1024


class BadActionCall(ValueError):
    """The body is not an action call this server can run."""


def where_it_failed(exc: BaseException) -> str:
    """The innermost frame as file:line, for the log: no message, no values."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    last = frames[-1]
    return f"{os.path.basename(last.filename)}:{last.lineno}"


def failure_result() -> dict[str, Any]:
    return {"events": [], "responses": [{"response": FAILED_RESPONSE}]}


def read_action_call(request: Request) -> dict[str, Any]:
    body = request.body
    if request.headers.get("Content-Encoding") == "deflate":
        inflater = zlib.decompressobj()
        try:
            body = inflater.decompress(body, MAX_REQUEST_BYTES)
        except zlib.error as exc:
            raise BadActionCall("the body is not valid deflate data") from exc
        if inflater.unconsumed_tail:
            raise BadActionCall("the body is too large")
    try:
        call = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise BadActionCall("the body is not valid JSON") from exc
    if not isinstance(call, dict) or not isinstance(call.get("next_action"), str):
        raise BadActionCall("the body names no action")
    if not isinstance(call.get("tracker"), dict):
        raise BadActionCall("the body has no tracker")
    return call


def create_app(secret: str, actions_package: str = "actions") -> Sanic:
    if not secret:
        raise SystemExit("ACTION_SERVER_SECRET is empty in .env: the action server must never run without it.")
    app = Sanic("parent_support_actions", configure_logging=False)
    app.config.REQUEST_MAX_SIZE = MAX_REQUEST_BYTES
    executor = ActionExecutor()
    executor.register_package(actions_package)

    @app.middleware("request")
    async def require_secret(request: Request) -> HTTPResponse | None:
        if request.path == "/health":
            return None
        sent = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(sent.encode(), secret.encode()):
            log.warning("action server: refused a call to %s without the shared secret", request.path)
            return response.json({"error": "forbidden"}, status=403)
        return None

    @app.get("/health")
    async def health(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    @app.get("/actions")
    async def list_actions(_: Request) -> HTTPResponse:
        return response.json([{"name": name} for name in executor.actions])

    @app.post("/webhook")
    async def webhook(request: Request) -> HTTPResponse:
        try:
            call = read_action_call(request)
        except BadActionCall as exc:
            return response.json({"error": str(exc)}, status=400)
        name = call["next_action"]
        try:
            result = await executor.run(call)  # type: ignore[arg-type]
        except ActionExecutionRejection as exc:  # a form slot rejected: Rasa's own contract
            return response.json({"error": exc.message, "action_name": exc.action_name}, status=400)
        except ActionNotFoundException:
            log.error("action server: no action named %r", name[:80])
            return response.json({"error": "no such action", "action_name": name[:80]}, status=404)
        except Exception as exc:  # noqa: BLE001 (any failure: the parent still gets an answer)
            log.error("action %s failed: %s at %s", name[:80], type(exc).__name__, where_it_failed(exc))
            result = failure_result()
        return response.json(result or {"events": [], "responses": []})

    async def any_error(request: Request, exc: Exception) -> HTTPResponse:
        status = getattr(exc, "status_code", 500)
        if status >= 500:
            log.error("action server: %s at %s", type(exc).__name__, where_it_failed(exc))
        return response.json({"error": "the request could not be handled"}, status=status)

    app.error_handler.add(Exception, any_error)
    return app


def main() -> None:
    from bot.config import settings_or_exit

    settings = settings_or_exit()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s - %(message)s")
    app = create_app(settings.action_server_secret.get_secret_value())
    log.info("action server on http://%s:%s", settings.action_host, settings.action_port)
    app.run(settings.action_host, settings.action_port, access_log=False, workers=1, motd=False)


if __name__ == "__main__":
    main()
