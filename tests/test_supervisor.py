"""`make run` with replicas: what it starts, what it refuses, and a process that dies is started again."""

from __future__ import annotations

import os
import signal
import sys

import pytest

from bot.config import load_settings
from bot.runner import Service, Supervisor, check_replicas, services, stop


def settings_with(monkeypatch: pytest.MonkeyPatch, **values: str):  # type: ignore[no-untyped-def]
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return load_settings(env_file=None)


REPLICATED = {
    "RASA_URL": "http://localhost:5705",
    "ACTION_PORT": "5755",
    "WEB_PORT": "8705",
    "RASA_REPLICAS": "2",
    "WEB_REPLICAS": "2",
    "LOCK_STORE_URL": "redis://127.0.0.1:56379/1",
    "RATE_LIMIT_STORAGE": "redis://127.0.0.1:56379/2",
    "RASA_TOKEN": "t",
    "ACTION_SERVER_SECRET": "s",
}


def test_two_replicas_each_get_their_own_action_server_and_every_web_service_knows_both(monkeypatch) -> None:
    listed = {service.name: service for service in services(settings_with(monkeypatch, **REPLICATED))}
    assert list(listed) == [
        "action server 1", "Rasa server 1", "action server 2", "Rasa server 2", "web service 1", "web service 2",
    ]
    assert listed["Rasa server 1"].environment["ACTION_SERVER_URL"] == "http://127.0.0.1:5755/webhook"
    assert listed["Rasa server 2"].environment["ACTION_SERVER_URL"] == "http://127.0.0.1:5756/webhook"
    assert listed["action server 2"].environment["ACTION_PORT"] == "5756"
    assert "5706" in listed["Rasa server 2"].command
    for name in ("web service 1", "web service 2"):
        assert listed[name].environment["RASA_URLS"] == "http://localhost:5705,http://localhost:5706"
    assert listed["web service 2"].environment["WEB_PORT"] == "8706"
    assert listed["Rasa server 2"].environment["LOCK_STORE_URL"] == "redis://127.0.0.1:56379/1"


def test_one_of_each_is_what_it_always_was(monkeypatch) -> None:
    settings = settings_with(monkeypatch, RASA_URL="http://localhost:5705", ACTION_PORT="5755", WEB_PORT="8705")
    listed = services(settings)
    assert [s.name for s in listed] == ["action server", "Rasa server", "web service"]
    assert listed[2].environment["RASA_URLS"] == "http://localhost:5705"


@pytest.mark.parametrize(
    ("change", "named"),
    [({"LOCK_STORE_URL": ""}, "LOCK_STORE_URL"), ({"RATE_LIMIT_STORAGE": "async+memory://"}, "RATE_LIMIT_STORAGE")],
)
def test_replicas_whose_shared_state_would_sit_in_one_process_are_refused(monkeypatch, change, named) -> None:
    settings = settings_with(monkeypatch, **{**REPLICATED, **change})
    with pytest.raises(SystemExit) as refusal:
        check_replicas(settings)
    assert named in str(refusal.value)


def sleeper(name: str) -> Service:
    return Service(name, [sys.executable, "-c", "import time; time.sleep(60)"], "http://health.invalid/", "-")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def start(services_: list[Service]) -> None:
    from bot.runner import _launch

    for service in services_:
        _launch(service)


def kill(service: Service) -> int:
    assert service.process is not None
    pid = service.process.pid
    os.kill(pid, signal.SIGKILL)
    service.process.wait(timeout=10)
    return pid


def test_a_process_killed_is_started_again_with_a_growing_wait_and_the_runner_says_so() -> None:
    clock, said, answering = Clock(), [], {"up": False}
    rasa, web = sleeper("Rasa server 2"), sleeper("web service 1")
    start([rasa, web])
    supervisor = Supervisor([rasa, web], clock=clock, is_up=lambda url: answering["up"], say=said.append)
    try:
        first_pid = kill(rasa)
        supervisor.check()
        assert said == ["The Rasa server 2 stopped (killed by SIGKILL); starting it again in 1 s."]
        clock.now += 0.5
        supervisor.check()
        assert rasa.process.poll() is not None  # still waiting
        clock.now += 0.6
        supervisor.check()
        assert rasa.process.poll() is None and rasa.process.pid != first_pid  # a new process
        answering["up"] = True
        clock.now += 2
        supervisor.check()
        assert said[-1] == "The Rasa server 2 is answering again, 3.1 s after it stopped."

        kill(rasa)  # dies again soon after: wait longer
        clock.now += 1
        supervisor.check()
        assert said[-1].endswith("starting it again in 2 s.")
        clock.now += 2
        supervisor.check()
        kill(rasa)
        supervisor.check()
        assert said[-1].endswith("starting it again in 4 s.")
        clock.now += 4
        supervisor.check()

        clock.now += 61  # a stable run: the next stop waits 1 s again
        supervisor.check()
        kill(rasa)
        supervisor.check()
        assert said[-1].endswith("starting it again in 1 s.")
        assert web.process.poll() is None and not any("web service" in line for line in said)
        assert supervisor.restarts == 3
    finally:
        stop([rasa, web])


def test_the_wait_never_grows_past_a_minute() -> None:
    supervisor = Supervisor([], say=lambda line: None)
    assert [supervisor.wait_after(n) for n in (1, 2, 3, 6, 7, 30)] == [1, 2, 4, 32, 60, 60]


def test_a_process_that_exits_with_an_error_is_described_by_its_exit_code() -> None:
    clock, said = Clock(), []
    failing = Service("action server", [sys.executable, "-c", "raise SystemExit(3)"], "http://health.invalid/", "-")
    start([failing])
    failing.process.wait(timeout=10)
    Supervisor([failing], clock=clock, is_up=lambda url: False, say=said.append).check()
    assert said == ["The action server stopped (exit code 3); starting it again in 1 s."]


@pytest.mark.stack
def test_kill_while_starting_stops_everything_it_had_started(tmp_path) -> None:  # noqa: ANN001
    import subprocess
    import time

    import psutil

    env = {
        **os.environ, "RASA_URL": "http://localhost:5705", "ACTION_PORT": "5755",
        "ACTION_SERVER_URL": "http://127.0.0.1:5755/webhook", "WEB_PORT": "8705",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}", "REFERRAL_SPOOL_DIR": str(tmp_path / "spool"),
    }
    runner = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    deadline = time.monotonic() + 60
    while not psutil.Process(runner.pid).children() and time.monotonic() < deadline:
        time.sleep(0.2)
    children = psutil.Process(runner.pid).children(recursive=True)
    assert children, "the runner started nothing"
    runner.send_signal(signal.SIGTERM)
    output, _ = runner.communicate(timeout=60)
    assert runner.returncode == 0 and "Stopped while starting." in output
    _, alive = psutil.wait_procs(children, timeout=20)
    assert not alive, [p.cmdline() for p in alive]
