"""Start the Rasa servers (each with its own action server) and the web services, and keep them running.

RASA_REPLICAS and WEB_REPLICAS say how many of each (one by default). A process that stops is started
again by the supervisor, with a growing wait; Ctrl-C or SIGTERM stops everything.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

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


def _numbered(name: str, index: int, count: int) -> str:
    """"Rasa server" alone, or "Rasa server 2" where there are several."""
    return f"{name} {index + 1}" if count > 1 else name


def _with_port(url: str, port: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{parts.hostname}:{port}"))


def rasa_replica_urls(settings: Settings) -> list[str]:
    """Where this machine's Rasa replicas listen: RASA_URL's port, then the ports after it."""
    return [_with_port(settings.rasa_url, settings.rasa_port + index) for index in range(settings.rasa_replicas)]


def check_replicas(settings: Settings) -> None:
    """Refuse replica counts whose shared state would live in one process's memory."""
    if settings.rasa_replicas > 1 and not settings.lock_store_url.get_secret_value():
        raise SystemExit(
            f"RASA_REPLICAS is {settings.rasa_replicas}, but LOCK_STORE_URL is empty: several Rasa servers need a shared "
            "lock store (Redis, e.g. redis://127.0.0.1:6379/1), or two of them could answer one conversation at once."
        )
    if settings.web_replicas > 1 and settings.rate_limit_storage.startswith("async+memory"):
        raise SystemExit(
            f"WEB_REPLICAS is {settings.web_replicas}, but RATE_LIMIT_STORAGE is in memory: each web service would keep "
            "its own counts. Point it at Redis (redis://127.0.0.1:6379/2)."
        )


def services(settings: Settings) -> list[Service]:
    """Every process to start, in order: each Rasa replica after its own action server, then the web services."""
    python = sys.executable
    replicas, webs = settings.rasa_replicas, settings.web_replicas
    environment = _environment(settings)
    listed: list[Service] = []
    rasa_urls = rasa_replica_urls(settings)
    for index in range(replicas):
        action_port = settings.action_port + index
        rasa_port = str(settings.rasa_port + index)
        action_url = f"http://{settings.action_host}:{action_port}"
        listed.append(
            Service(
                _numbered("action server", index, replicas),
                [python, "-m", "bot.action_server"],  # rasa-sdk's executor; loopback, shared secret (bot/action_server.py)
                f"{action_url}/health",
                f"{action_url} (Rasa server only: shared secret)",
                {**environment, "ACTION_PORT": str(action_port)},
            )
        )
        listed.append(
            Service(
                _numbered("Rasa server", index, replicas),
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
                f"http://{settings.rasa_host}:{rasa_port} (web services only: REST channel, HTTP API behind RASA_TOKEN)",
                {**environment, "ACTION_SERVER_URL": f"{action_url}/webhook"} if replicas > 1 else environment,
            )
        )
    # The web services relay to this machine's replicas, unless RASA_URLS names others (one Rasa server here).
    relay_to = ",".join(rasa_urls) if replicas > 1 or not settings.rasa_urls else ",".join(settings.rasa_urls)
    for index in range(webs):
        web_port = settings.web_port + index
        listed.append(
            Service(
                _numbered("web service", index, webs),
                [python, "-m", "bot", "web"],
                f"http://localhost:{web_port}/healthz",
                f"http://localhost:{web_port}",
                {**environment, "WEB_PORT": str(web_port), "RASA_URLS": relay_to},
            )
        )
    for service in listed:
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


def wait_until_up(started: list[Service], timeout: float, stopping: threading.Event | None = None) -> None:
    """Wait until each service answers its health check; stop with a clear message if one exits or takes too long.

    Raises KeyboardInterrupt once `stopping` is set (SIGTERM while starting: `run`).
    """
    deadline = time.monotonic() + timeout
    for service in started:
        while not _is_up(service.health_url):
            _check_stopping(stopping)
            if service.process and service.process.poll() is not None:
                raise SystemExit(f"The {service.name} stopped while starting (exit code {service.process.returncode}).")
            if time.monotonic() > deadline:
                raise SystemExit(f"The {service.name} did not start within {timeout:.0f} s.")
            time.sleep(0.5)


def _check_stopping(stopping: threading.Event | None) -> None:
    if stopping is not None and stopping.is_set():
        raise KeyboardInterrupt


def start_all(
    settings: Settings | None = None, startup_timeout: float = 180.0, stopping: threading.Event | None = None
) -> list[Service]:
    """Start every service and wait until each answers its health check; what was started is stopped again if
    that fails, or once `stopping` is set (checked between launches, never in the middle of one)."""
    settings = settings or get_settings()
    if not settings.rasa_token.get_secret_value():
        raise SystemExit("RASA_TOKEN is empty in .env: the Rasa HTTP API must never run without a token.")
    if not settings.action_server_secret.get_secret_value():
        raise SystemExit("ACTION_SERVER_SECRET is empty in .env: run `make setup` to generate one.")
    if not MODEL_PATH.exists():
        raise SystemExit(f"No trained model at {MODEL_PATH}. Run `make train` first.")
    check_replicas(settings)
    upgrade(database_url(settings))  # the schema is current before anything writes to it
    started: list[Service] = []
    try:
        for service in services(settings):
            _check_stopping(stopping)
            _launch(service)
            started.append(service)
        wait_until_up(started, startup_timeout, stopping)
    except BaseException:
        stop(started)
        raise
    return started


def restart(service: Service, startup_timeout: float = 180.0) -> None:
    """Stop one service and start it again (conversations and referrals live in the database)."""
    stop([service])
    _launch(service)
    wait_until_up([service], startup_timeout)


def _how_it_ended(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit code {returncode}"


@dataclass
class _Watch:
    """What the supervisor knows of one service between its checks."""

    failures: int = 0  # stops in a row without a stable run between them
    started_at: float = 0.0
    stopped_at: float | None = None
    start_again_at: float | None = None
    coming_back: bool = False


class Supervisor:
    """Starts a service again when it stops, waiting longer after each stop in a row (1 s, 2 s, 4 s ... 60 s).

    A service that then stays up for `stable_after` seconds starts the count again. Everything it does is
    said through `say` (the terminal for `make run`). `check()` is one look at every service; `watch()` loops.
    """

    def __init__(
        self,
        running: list[Service],
        *,
        first_wait: float = 1.0,
        longest_wait: float = 60.0,
        stable_after: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        is_up: Callable[[str], bool] | None = None,
        say: Callable[[str], None] | None = None,
    ) -> None:
        self.running = running
        self.first_wait, self.longest_wait, self.stable_after = first_wait, longest_wait, stable_after
        self._clock = clock
        self._is_up = is_up or _is_up
        self._say = say or (lambda line: print(line, file=sys.stderr, flush=True))
        now = clock()
        self._watch = {id(service): _Watch(started_at=now) for service in running}
        self.restarts = 0

    def wait_after(self, failures: int) -> float:
        return min(self.longest_wait, self.first_wait * 2 ** max(0, failures - 1))

    def check(self) -> None:
        now = self._clock()
        for service in self.running:
            watch = self._watch[id(service)]
            if watch.start_again_at is None and service.process and service.process.poll() is not None:
                if now - watch.started_at >= self.stable_after:
                    watch.failures = 0
                watch.failures += 1
                wait = self.wait_after(watch.failures)
                watch.stopped_at = watch.stopped_at if watch.coming_back else now
                watch.start_again_at = now + wait
                watch.coming_back = False
                self._say(
                    f"The {service.name} stopped ({_how_it_ended(service.process.returncode)}); "
                    f"starting it again in {wait:g} s."
                )
            elif watch.start_again_at is not None and now >= watch.start_again_at:
                _launch(service)
                self.restarts += 1
                watch.start_again_at, watch.started_at, watch.coming_back = None, now, True
            elif watch.coming_back and self._is_up(service.health_url):
                watch.coming_back = False
                down = now - (watch.stopped_at or now)
                self._say(f"The {service.name} is answering again, {down:.1f} s after it stopped.")

    def watch(self, stop: threading.Event, interval: float = 0.5) -> None:
        """Check every `interval` seconds until `stop` is set."""
        while not stop.wait(interval):
            self.check()


def run() -> int:
    stopping = threading.Event()
    # `kill` stops everything as Ctrl-C does, while starting up too. The handler only sets a flag: raising from
    # it could land inside the launch of a process, which would then be left running.
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    began = time.monotonic()
    try:
        running = start_all(stopping=stopping)  # stops what it started, if interrupted
    except KeyboardInterrupt:
        print("\nStopped while starting.")
        return 0
    print(f"\nAll services are up after {time.monotonic() - began:.1f} s:")
    for service in running:
        print(f"  {service.name:<15} {service.address}")
    web = next(s for s in running if s.name.startswith("web service"))
    print(f"\nChat with the assistant at {web.address}/  (Ctrl-C stops everything)", flush=True)
    print("A service that stops is started again, after a wait that grows if it keeps stopping.\n", flush=True)
    try:
        Supervisor(running).watch(stopping)
        return 0
    except KeyboardInterrupt:
        print("\nStopping...")
        return 0
    finally:
        stop(running)
        print("All services stopped.")
