"""The replica benchmark (`python -m bot bench replicas`): the whole stack on PostgreSQL and Redis, N Rasa
replicas (each with its own action server) and N web services, many conversations at once through the
web services, optionally killing one Rasa server and one web service (SIGKILL) part-way.

It reports what a parent and the support team would notice: turns answered, turns that needed a retry,
errors the driver saw, referrals saved (each exactly once), staff notifications delivered (each exactly
once), p95 before and after the kill, and how long the killed processes took to come back.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from bot.benchmark import report as reporting
from bot.benchmark.conversations import OUR_MIX, SMOKE_MIX, mix_for
from bot.benchmark.memory import MemorySampler, peak_total
from bot.benchmark.stacks import environment_set
from bot.benchmark.stats import percentile
from bot.benchmark.web_driver import TurnResult, WebRun, drive_web
from bot.config import PROJECT_ROOT, load_settings
from bot.runner import Service, Supervisor, start_all, stop
from bot.storage.models import Outbox, Referral
from bot.web.relay import RasaReplicas

RASA_PORT, ACTION_PORT, WEB_PORT = 6105, 6155, 6205
KILLED = ("Rasa server 1", "web service 1")


@dataclass(frozen=True)
class Options:
    replicas: int = 2
    conversations: int = 200
    kill: bool = True
    kill_at: float = 0.4  # the share of all turns done when the processes are killed
    smoke: bool = False
    timeout: float = 30.0
    think_seconds: float = 0.0  # a parent's pause between turns (see drive_web)


def _log(message: str) -> None:
    print(f"[bench replicas] {message}", flush=True)


def _service_url(script: str, prefix: str) -> str:
    """Start a test server with one of scripts/test-*.sh and return the URL it prints."""
    result = subprocess.run([str(PROJECT_ROOT / "scripts" / script)], capture_output=True, text=True, timeout=900, check=False)
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines or not lines[-1].startswith(prefix):
        raise SystemExit(f"scripts/{script} failed: {result.stderr.strip()[-500:]}")
    return lines[-1].split("=", 1)[1]


@contextlib.contextmanager
def _fresh_database(server_url: str) -> Iterator[str]:
    name = f"bench_replicas_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield str(make_url(server_url).set(database=name))
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class Webhook:
    """The staff notification receiver, counting each delivery id it is sent."""

    def __init__(self) -> None:
        self.deliveries: Counter[str] = Counter()
        self.port = 0
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        async def hook(request: web.Request) -> web.Response:
            await request.read()
            self.deliveries[request.headers.get("X-Delivery-Id", "?")] += 1
            return web.Response(status=204)

        app = web.Application()
        app.router.add_post("/hook", hook)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()


def _environment(options: Options, database: str, redis_url: str, webhook_port: int, workdir: Path) -> dict[str, str]:
    content = shutil.copytree(PROJECT_ROOT / "content", workdir / "content")
    (workdir / "spool").mkdir()
    (workdir / "logs").mkdir()
    return {
        "RASA_URL": f"http://localhost:{RASA_PORT}",
        "ACTION_PORT": str(ACTION_PORT),
        "ACTION_SERVER_URL": f"http://127.0.0.1:{ACTION_PORT}/webhook",
        "WEB_PORT": str(WEB_PORT),
        "RASA_REPLICAS": str(options.replicas),
        "WEB_REPLICAS": str(options.replicas),
        "DATABASE_URL": database,
        "LOCK_STORE_URL": f"{redis_url}/6",
        "RATE_LIMIT_STORAGE": f"{redis_url}/7",
        # One driver sends everything from one address: the limits would be what is measured.
        "CHAT_RATE_PER_ADDRESS": "1000000/minute",
        "CHAT_RATE_PER_CONVERSATION": "100000/minute",
        "STAFF_WEBHOOK_URL": f"http://127.0.0.1:{webhook_port}/hook",
        "STAFF_WEBHOOK_SECRET": "bench",
        "CONTENT_DIR": str(content),
        "REFERRAL_SPOOL_DIR": str(workdir / "spool"),
        "SERVICE_LOG_DIR": str(workdir / "logs"),
        "RASA_TELEMETRY_ENABLED": "false",
    }


def _p95(turns: list[TurnResult]) -> float | None:
    latencies = [turn.latency_ms for turn in turns if not turn.error]
    return round(percentile(latencies, 0.95), 1) if latencies else None


def _stored(database: str, references: list[str]) -> dict:
    engine = create_engine(database, future=True)
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(Referral.reference)).scalars().all()
            outbox = connection.execute(select(func.count()).select_from(Outbox)).scalar_one()
            undelivered = connection.execute(
                select(func.count()).select_from(Outbox).where(Outbox.delivered_at.is_(None))
            ).scalar_one()
    finally:
        engine.dispose()
    saved = Counter(rows)
    told = Counter(references)
    return {
        "referrals_told_to_parents": len(told),
        "referrals_saved": len(rows),
        "told_and_saved_exactly_once": sum(1 for ref in told if saved[ref] == 1),
        "told_but_not_saved": sum(1 for ref in told if saved[ref] == 0),
        "saved_more_than_once": sum(1 for count in saved.values() if count > 1),
        "parents_told_twice": sum(1 for count in told.values() if count > 1),
        "notifications_queued": outbox,
        "notifications_undelivered": undelivered,
    }


def _summary(run: WebRun, killed_at: float | None, restarts: list[str]) -> dict:
    answered = [turn for turn in run.turns if not turn.error]
    before = [turn for turn in run.turns if killed_at is None or turn.started < killed_at]
    after = [turn for turn in run.turns if killed_at is not None and turn.started >= killed_at]
    return {
        "conversations": run.conversations,
        "turns": len(run.turns),
        "turns_answered": len(answered),
        "turns_needing_a_retry": sum(1 for turn in run.turns if turn.tries > 1),
        "turns_needing_a_retry_answered": sum(1 for turn in answered if turn.tries > 1),
        "errors_seen_by_driver": sum(run.errors.values()),
        "errors_by_kind": dict(sorted(run.errors.items())),
        "error_examples": run.error_examples,
        "failed_conversations": run.failed_conversations,
        "wall_seconds": round(run.wall_seconds, 1),
        "turns_per_second": round(len(answered) / run.wall_seconds, 2) if run.wall_seconds else None,
        "p50_ms": round(percentile([t.latency_ms for t in answered], 0.5), 1) if answered else None,
        "p95_ms": _p95(run.turns),
        "p95_before_kill_ms": _p95(before) if killed_at is not None else None,
        "p95_after_kill_ms": _p95(after) if killed_at is not None else None,
        "turns_after_kill": len(after),
        "supervisor": restarts,
    }


def run_replicas(options: Options) -> dict:
    """Run one configuration and return its report."""
    _log("starting PostgreSQL and Redis (Debian's packages; installed once)...")
    pg_url = _service_url("test-services.sh", "TEST_DATABASE_URL=")
    redis_url = _service_url("test-redis.sh", "TEST_REDIS_URL=")
    import redis

    for db in (6, 7):
        redis.Redis.from_url(f"{redis_url}/{db}").flushdb()
    scripts = mix_for(options.conversations, SMOKE_MIX if options.smoke else OUR_MIX)
    planned_turns = sum(len(script.turns) for script in scripts)
    run_id = uuid.uuid4().hex[:8]
    load_at_start = reporting.load_average()

    async def measure(services: list[Service]) -> tuple[WebRun, float | None]:
        killed_at: float | None = None
        kill_after = int(planned_turns * options.kill_at) if options.kill else None
        urls = [f"http://localhost:{WEB_PORT + index}" for index in range(options.replicas)]

        def on_turn(done: int) -> None:
            nonlocal killed_at
            if kill_after is not None and killed_at is None and done >= kill_after:
                killed_at = time.monotonic()
                for name in KILLED:
                    service = next(s for s in services if s.name == name)
                    assert service.process is not None
                    os.kill(service.process.pid, signal.SIGKILL)
                _log(f"killed {' and '.join(KILLED)} (SIGKILL) after {done} of {planned_turns} turns")

        # One conversation on each Rasa replica first, so that lazy loading inside Rasa is not measured.
        rasa = RasaReplicas([f"http://localhost:{RASA_PORT + index}" for index in range(options.replicas)])
        candidates = [f"bench-{run_id}-warmup-{n}" for n in range(100)]
        warm = [next(s for s in candidates if rasa.preferred(s)[0] == url) for url in rasa.urls]
        await drive_web(urls, [scripts[0]] * len(warm), "", timeout=options.timeout, senders=warm)
        run = await drive_web(
            urls, scripts, f"bench-{run_id}", timeout=options.timeout, on_turn=on_turn, think_seconds=options.think_seconds
        )
        return run, killed_at

    async def everything(workdir: Path, database: str) -> dict:
        webhook = Webhook()
        await webhook.start()
        try:
            env = _environment(options, database, redis_url, webhook.port, workdir)
            with environment_set(env):
                settings = load_settings()
                _log(f"starting {options.replicas} Rasa server(s), action server(s) and web service(s)...")
                began = time.monotonic()
                services = await asyncio.to_thread(start_all, settings, 600.0)
            startup = time.monotonic() - began
            said: list[str] = []
            stopping = threading.Event()
            supervisor = Supervisor(services, say=lambda line: (said.append(line), _log(line)))
            watcher = threading.Thread(target=supervisor.watch, args=(stopping, 0.25), daemon=True)
            watcher.start()
            sampler = MemorySampler().start()
            for service in services:
                assert service.process is not None
                sampler.watch(service.name, service.process.pid)
            try:
                _log(f"{len(scripts)} conversations at once, {planned_turns} turns...")
                run, killed_at = await measure(services)
                # Let the outbox workers deliver what the last referrals queued (a round every 5 s).
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline and sum(webhook.deliveries.values()) < len(set(run.references)):
                    await asyncio.sleep(1)
                await asyncio.sleep(6)
                if options.kill:  # wait for the killed processes to be answering again, for the report
                    deadline = time.monotonic() + 240
                    while time.monotonic() < deadline and sum("answering again" in line for line in said) < len(KILLED):
                        await asyncio.sleep(1)
            finally:
                stopping.set()
                watcher.join(timeout=10)
                sampler.stop()
                memory_mb = round(peak_total(sampler.snapshot(), [s.name for s in services]) / reporting.MB)
                await asyncio.to_thread(stop, services)
            figures = _summary(run, killed_at, said)
            figures.update(_stored(database, run.references))
            figures["notifications_delivered"] = len(webhook.deliveries)
            figures["notifications_delivered_more_than_once"] = sum(1 for n in webhook.deliveries.values() if n > 1)
            figures["startup_seconds"] = round(startup, 1)
            figures["peak_memory_mb"] = memory_mb
            return figures
        finally:
            await webhook.stop()

    with tempfile.TemporaryDirectory(prefix="bench-replicas-") as temporary, _fresh_database(pg_url) as database:
        figures = asyncio.run(everything(Path(temporary), database))
    return {
        "date": reporting.now(),
        "machine": reporting.machine(),
        "load_average": {"start": load_at_start, "end": reporting.load_average()},
        "options": {
            "replicas": options.replicas,
            "conversations": options.conversations,
            "kill": list(KILLED) if options.kill else [],
            "kill_at_share_of_turns": options.kill_at if options.kill else None,
            "think_seconds": options.think_seconds,
            "mix": [script.name for script in (SMOKE_MIX if options.smoke else OUR_MIX)],
        },
        "figures": figures,
    }


def render(reports: list[dict]) -> str:
    """A table a person can read: one column per configuration."""
    rows = [
        ("replicas (Rasa + action, web)", lambda r: r["options"]["replicas"]),
        ("killed part-way", lambda r: ", ".join(r["options"]["kill"]) or "nothing"),
        ("pause between turns s (mean)", lambda r: r["options"].get("think_seconds", 0)),
        ("conversations", lambda r: r["figures"]["conversations"]),
        ("turns / answered", lambda r: f"{r['figures']['turns']} / {r['figures']['turns_answered']}"),
        ("turns that needed a retry", lambda r: r["figures"]["turns_needing_a_retry"]),
        ("errors seen by the driver", lambda r: f"{r['figures']['errors_seen_by_driver']} {r['figures']['errors_by_kind'] or ''}"),
        ("conversations with an error", lambda r: r["figures"]["failed_conversations"]),
        ("referrals told / saved / exactly once", lambda r: "{} / {} / {}".format(
            r["figures"]["referrals_told_to_parents"], r["figures"]["referrals_saved"],
            r["figures"]["told_and_saved_exactly_once"])),
        ("notifications delivered / twice", lambda r: "{} / {}".format(
            r["figures"]["notifications_delivered"], r["figures"]["notifications_delivered_more_than_once"])),
        ("turns per second", lambda r: r["figures"]["turns_per_second"]),
        ("p50 / p95 ms", lambda r: f"{r['figures']['p50_ms']} / {r['figures']['p95_ms']}"),
        ("p95 before / after the kill ms", lambda r: f"{r['figures']['p95_before_kill_ms']} / {r['figures']['p95_after_kill_ms']}"),
        ("peak memory, all processes MB", lambda r: r["figures"]["peak_memory_mb"]),
        ("load average start / end", lambda r: f"{r['load_average']['start']} / {r['load_average']['end']}"),
    ]
    width = max(len(name) for name, _ in rows)
    lines = []
    for name, value in rows:
        lines.append(f"{name:<{width}}  " + "  ".join(f"{value(r)!s:>22}" for r in reports))
    for report in reports:
        for line in report["figures"]["supervisor"]:
            lines.append(f"supervisor ({report['options']['replicas']} replicas): {line}")
    return "\n".join(lines)
