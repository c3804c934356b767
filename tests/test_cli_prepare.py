"""`python -m bot prepare` (setup's last steps in one process) runs them in order and stops at the first
that fails, so a forged encoder file or a broken database never reaches training."""

from __future__ import annotations

import argparse

import pytest

from bot import cli

STEPS = ("encoder_install", "env_complete", "db_upgrade", "train")


def record_steps(monkeypatch: pytest.MonkeyPatch, failing: str | None) -> list[str]:
    ran: list[str] = []

    def stand_in(name: str):  # noqa: ANN202
        def step(args: argparse.Namespace) -> int:
            ran.append(name)
            return 1 if name == failing else 0

        return step

    for name in STEPS:
        monkeypatch.setattr(cli, name, stand_in(name))
    return ran


def test_prepare_runs_every_step_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    ran = record_steps(monkeypatch, failing=None)
    assert cli.main(["prepare"]) == 0
    assert ran == list(STEPS)


@pytest.mark.parametrize("failing", STEPS[:-1])
def test_a_failing_step_stops_prepare_before_the_rest(monkeypatch: pytest.MonkeyPatch, failing: str) -> None:
    ran = record_steps(monkeypatch, failing=failing)
    assert cli.main(["prepare"]) == 1
    assert ran == list(STEPS[: STEPS.index(failing) + 1])


def test_prepare_never_forces_a_retrain(monkeypatch: pytest.MonkeyPatch) -> None:
    record_steps(monkeypatch, failing=None)
    forced: list[bool] = []
    monkeypatch.setattr(cli, "train", lambda args: forced.append(args.force) or 0)
    cli.main(["prepare"])
    assert forced == [False]


def test_listing_staff_roles_does_not_load_the_database_layer() -> None:
    """Every CLI command builds the whole parser; the roles it offers come from a module without SQLAlchemy."""
    import subprocess
    import sys

    probe = "import sys; from bot.cli import build_parser; build_parser(); print('sqlalchemy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "False"
