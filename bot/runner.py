"""Start the Rasa server, the action server and the web service together; Ctrl-C stops all three."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import PROJECT_ROOT, Settings, get_settings
from bot.storage.config import database_url
from bot.storage.migrate import upgrade
from bot.training import MODEL_PATH


@dataclass
class Service:
    name: str
    command: list[str]
    health_url: str
    address: str
    environment: dict[str, str] = field(default_factory=dict)  # what the process is started with
    log_dir: Path | None = None  # SERVICE_LOG_DIR: a log file per service there, else the terminal
    process: subprocess.Popen[bytes] | None = None


def services(settings: Settings) -> list[Service]:
    rasa_port = str(settings.rasa_port)
    python = sys.executable
    listed = [
        Service(
            "action server",
            [python, "-m", "bot.action_server"],  # rasa-sdk's executor; loopback, shared secret (bot/action_server.py)
            f"http://{settings.action_host}:{settings.action_port}/health",
            f"http://{settings.action_host}:{settings.action_port} (Rasa server only: shared secret)",
        ),
        Service(
            "Rasa server",
            [
                python,
                "-m",
                "bot.rasa_server",  # Rasa's own command line, with the project's adjustments
                "run",
                "--model",
                str(MODEL_PATH),
                "--interface",
                settings.rasa_host,
                "--port",
                rasa_port,
                "--enable-api",  # the token comes from RASA_TOKEN in the environment, never the command line
                "--credentials",
                "credentials.yml",
                "--endpoints",
                "endpoints.yml",
            ],
            f"http://{settings.rasa_host}:{rasa_port}/",
            f"http://{settings.rasa_host}:{rasa_port} (web service only: REST channel, HTTP API behind RASA_TOKEN)",
        ),
        Service(
            "web service",
            [python, "-m", "bot", "web"],
            f"http://localhost:{settings.web_port}/healthz",
            f"http://localhost:{settings.web_port}",
        ),
    ]
    environment = _environment(settings)
    for service in listed:
        service.environment = environment
        service.log_dir = settings.service_log_dir
    return listed


def _is_up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (local health check)
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def stop(running: list[Service]) -> None:
    for service in running:
        if service.process and service.process.poll() is None:
            os.killpg(service.process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for service in running:
        if not service.process:
            continue
        try:
            service.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(service.process.pid, signal.SIGKILL)
            service.process.wait()


def _environment(settings: Settings) -> dict[str, str]:
    """The services see exactly the settings read here (`.env` included), and what Rasa and Sanic need."""
    return {
        **os.environ,
        **settings.as_environment(),
        "RASA_TELEMETRY_ENABLED": "false",
        "PYTHONPATH": str(PROJECT_ROOT),
        "DATABASE_URL": database_url(settings),  # endpoints.yml needs it set, even when .env leaves it to the default
        # Sanic closes idle connections after 5 s, Rasa's client keeps them 15 s: under load a reused,
        # closing connection lost action results (rasa-sdk raised this to 120 s after 3.6, PR #1047).
        "SANIC_KEEP_ALIVE_TIMEOUT": "120",
        # The Rasa server takes nothing bigger than this (the web service sends at most 16 KB).
        "SANIC_REQUEST_MAX_SIZE": str(1024 * 1024),
    }


def _log_target(service: Service) -> int | None:
    """Where a service writes its log: the terminal, or a file per service under SERVICE_LOG_DIR (tests read these)."""
    if service.log_dir is None:
        return None
    path = service.log_dir / (service.name.replace(" ", "_") + ".log")
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)


def _launch(service: Service) -> None:
    log_fd = _log_target(service)
    try:
        service.process = subprocess.Popen(
            service.command, cwd=PROJECT_ROOT, env=service.environment, start_new_session=True, stdout=log_fd, stderr=log_fd
        )
    finally:
        if log_fd is not None:
            os.close(log_fd)


def _wait_until_up(started: list[Service], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for service in started:
        while not _is_up(service.health_url):
            if service.process and service.process.poll() is not None:
                raise SystemExit(f"The {service.name} stopped while starting (exit code {service.process.returncode}).")
            if time.monotonic() > deadline:
                raise SystemExit(f"The {service.name} did not start within {timeout:.0f} s.")
            time.sleep(0.5)


def start_all(settings: Settings | None = None, startup_timeout: float = 180.0) -> list[Service]:
    """Start every service and wait until each answers its health check."""
    settings = settings or get_settings()
    if not settings.rasa_token.get_secret_value():
        raise SystemExit("RASA_TOKEN is empty in .env: the Rasa HTTP API must never run without a token.")
    if not settings.action_server_secret.get_secret_value():
        raise SystemExit("ACTION_SERVER_SECRET is empty in .env: run `make setup` to generate one.")
    if not MODEL_PATH.exists():
        raise SystemExit(f"No trained model at {MODEL_PATH}. Run `make train` first.")
    upgrade(database_url(settings))  # the schema is current before anything writes to it
    started: list[Service] = []
    try:
        for service in services(settings):
            _launch(service)
            started.append(service)
        _wait_until_up(started, startup_timeout)
    except BaseException:
        stop(started)
        raise
    return started


def restart(service: Service, startup_timeout: float = 180.0) -> None:
    """Stop one service and start it again (conversations and referrals live in the database)."""
    stop([service])
    _launch(service)
    _wait_until_up([service], startup_timeout)


def run() -> int:
    began = time.monotonic()
    running = start_all()
    print(f"\nAll services are up after {time.monotonic() - began:.1f} s:")
    for service in running:
        print(f"  {service.name:<15} {service.address}")
    print(f"\nChat with the assistant at {running[-1].address}/  (Ctrl-C stops everything)\n", flush=True)
    try:
        while all(s.process and s.process.poll() is None for s in running):
            time.sleep(1)
        print("A service stopped unexpectedly; stopping the others.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping...")
        return 0
    finally:
        stop(running)
        print("All services stopped.")
